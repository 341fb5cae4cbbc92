import { describe, expect, it } from 'vitest';
import { analyseResourcePolicy, principalAccount } from '../../src/compliance/domain/iam-policy.ts';
import {
  repositoryPolicyControl,
  repositoryPolicySettingsSchema,
} from '../../src/compliance/domain/repository-policy.ts';
import { OWN_ACCOUNT, registry, repository } from './state.ts';

const PARTNER = '222222222222';
const STRANGER = '333333333333';
const PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];

function policy(...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

function allow(extra: object): object {
  return { Effect: 'Allow', Action: PULL, ...extra };
}

/** The labels of the offending statements. */
function offending(text: string, allowedAccounts: string[] = [PARTNER]): string[] {
  const analysis = analyseResourcePolicy(text, { ownAccount: OWN_ACCOUNT, allowedAccounts });
  if (!analysis.ok) throw new Error(analysis.problem);
  return analysis.offending.map((o) => o.label);
}

describe('resource policy analysis', () => {
  it.each([
    ['Principal "*"', { Principal: '*' }],
    ['Principal {"AWS": "*"}', { Principal: { AWS: '*' } }],
    ['"*" among an array of AWS principals', { Principal: { AWS: [`arn:aws:iam::${PARTNER}:root`, '*'] } }],
    [
      'NotPrincipal with Allow (everyone but…)',
      { NotPrincipal: { AWS: `arn:aws:iam::${OWN_ACCOUNT}:root` } },
    ],
  ])('flags %s without a restricting condition', (_what, principal) => {
    expect(offending(policy(allow({ Sid: 'Open', ...principal })))).toEqual(['Sid "Open"']);
  });

  it.each([
    ['aws:PrincipalOrgID', { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } }],
    [
      'aws:SourceAccount (any case, ForAnyValue)',
      { 'ForAnyValue:StringEquals': { 'AWS:SOURCEACCOUNT': [OWN_ACCOUNT] } },
    ],
    ['aws:SourceVpce', { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }],
    [
      'aws:SourceArn with ArnLike',
      { ArnLike: { 'aws:SourceArn': `arn:aws:lambda:eu-west-1:${OWN_ACCOUNT}:function:*` } },
    ],
    ['aws:PrincipalAccount of an allowed account', { StringEquals: { 'aws:PrincipalAccount': PARTNER } }],
    ['aws:SourceIp with a real network', { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }],
  ])('accepts Principal "*" restricted by %s', (_what, condition) => {
    expect(offending(policy(allow({ Principal: '*', Condition: condition })))).toEqual([]);
  });

  it.each([
    ['a negated operator', { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123' } }],
    [
      'an …IfExists operator (true when the key is absent)',
      { StringEqualsIfExists: { 'aws:SourceAccount': OWN_ACCOUNT } },
    ],
    [
      'ForAllValues (true for an empty set)',
      { 'ForAllValues:StringEquals': { 'aws:PrincipalOrgPaths': ['o-a/r-b/'] } },
    ],
    ['a wildcard-only value', { StringLike: { 'aws:PrincipalOrgID': '*' } }],
    ['an open network', { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }],
    ['a key that does not identify the caller', { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } }],
    ['a Null check', { Null: { 'aws:PrincipalOrgID': 'false' } }],
  ])('flags Principal "*" whose only condition is %s', (_what, condition) => {
    expect(offending(policy(allow({ Principal: '*', Condition: condition })))).toEqual(['Statement[0]']);
  });

  it('ignores Deny statements, even with Principal "*" or foreign accounts', () => {
    const text = policy(
      { Effect: 'Deny', Principal: '*', Action: 'ecr:*' },
      { Effect: 'Deny', Principal: { AWS: STRANGER }, Action: 'ecr:*' },
      { Effect: 'Deny', NotPrincipal: { AWS: `arn:aws:iam::${OWN_ACCOUNT}:root` }, Action: 'ecr:*' },
    );

    expect(offending(text)).toEqual([]);
  });

  it('flags accounts outside the allowlist, as ARNs or bare ids, and names them', () => {
    const text = policy(
      allow({ Sid: 'Own', Principal: { AWS: `arn:aws:iam::${OWN_ACCOUNT}:role/ci` } }),
      allow({ Sid: 'Partner', Principal: { AWS: [`arn:aws:iam::${PARTNER}:root`, PARTNER] } }),
      allow({ Principal: { AWS: [STRANGER, `arn:aws:sts::444444444444:assumed-role/x/y`] } }),
      allow({ Sid: 'Service', Principal: { Service: 'codebuild.amazonaws.com' } }),
    );

    const analysis = analyseResourcePolicy(text, { ownAccount: OWN_ACCOUNT, allowedAccounts: [PARTNER] });

    expect(analysis.ok && analysis.offending).toEqual([
      {
        index: 2,
        label: 'Statement[2]',
        reasons: [`grants accounts ${STRANGER}, 444444444444, not in the allowlist`],
      },
    ]);
  });

  it('flags a public statement restricted to a foreign account by condition', () => {
    const text = policy(
      allow({ Sid: 'X', Principal: '*', Condition: { StringEquals: { 'aws:SourceAccount': STRANGER } } }),
    );

    expect(offending(text)).toEqual(['Sid "X"']);
  });

  it('reads a single Statement object as well as a list', () => {
    const text = JSON.stringify({ Version: '2012-10-17', Statement: allow({ Principal: '*' }) });

    const analysis = analyseResourcePolicy(text, { ownAccount: OWN_ACCOUNT, allowedAccounts: [] });

    expect(analysis).toMatchObject({ ok: true, remainingText: undefined });
    expect(analysis.ok && analysis.offending.map((o) => o.label)).toEqual(['Statement[0]']);
  });

  it('reads principal accounts from ids and IAM/STS ARNs only', () => {
    expect(principalAccount(PARTNER)).toBe(PARTNER);
    expect(principalAccount(`arn:aws-cn:iam::${PARTNER}:user/a`)).toBe(PARTNER);
    expect(principalAccount('codebuild.amazonaws.com')).toBeUndefined();
    expect(principalAccount('*')).toBeUndefined();
  });
});

describe('repository policy control', () => {
  const desired = repositoryPolicySettingsSchema.parse({ allowedAccounts: [PARTNER], mode: 'enforce' });

  function check(text: string | undefined) {
    return repositoryPolicyControl.check({
      repository: repository({
        repositoryName: 'orders-api-prod',
        ...(text ? { repositoryPolicyText: text } : {}),
      }),
      registry: registry(),
      desired,
    });
  }

  it('passes a repository without a policy, and one naming only allowed accounts', () => {
    expect(check(undefined).status).toBe('pass');
    expect(check(policy(allow({ Principal: { AWS: `arn:aws:iam::${PARTNER}:root` } }))).status).toBe('pass');
  });

  it('names the offending statements and proposes the policy without them', () => {
    const keep = allow({ Sid: 'PartnerPull', Principal: { AWS: `arn:aws:iam::${PARTNER}:root` } });
    const text = policy(
      keep,
      allow({ Sid: 'PublicPull', Principal: '*' }),
      allow({ Principal: { AWS: STRANGER } }),
    );

    const finding = check(text);

    expect(finding).toMatchObject({
      status: 'drift',
      fixable: true,
      actual: 'offending statements: Sid "PublicPull", Statement[2]',
    });
    expect(finding.details).toEqual([
      'Sid "PublicPull": Principal "*" with no condition restricting the caller (such as aws:PrincipalOrgID or aws:SourceAccount)',
      `Statement[2]: grants account ${STRANGER}, not in the allowlist`,
    ]);
    const remediation = finding.remediation;
    if (remediation?.action !== 'SetRepositoryPolicy') throw new Error('expected SetRepositoryPolicy');
    expect(remediation.input.repositoryName).toBe('orders-api-prod');
    expect(JSON.parse(remediation.input.policyText)).toEqual({ Version: '2012-10-17', Statement: [keep] });
    expect(remediation.before).toBe(text);
  });

  it('deletes the repository policy (not the repository) when every statement offends', () => {
    const finding = check(policy(allow({ Principal: '*' })));

    expect(finding.remediation).toMatchObject({
      action: 'DeleteRepositoryPolicy',
      input: { repositoryName: 'orders-api-prod' },
      after: null,
    });
  });

  it('reports a policy that is not JSON as drift enforce leaves alone', () => {
    const finding = check('{not json');

    expect(finding).toMatchObject({ status: 'drift', fixable: false });
    expect(finding.actual).toMatch(/^a policy that can't be read: not valid JSON/);
  });
});
