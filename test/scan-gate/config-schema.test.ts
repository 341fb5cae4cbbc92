import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import * as z from 'zod';
import { checkScanPolicyReferences, scanPolicyConfigShape } from '../../src/scan-gate/config-schema.ts';
import { policyFor } from '../../src/scan-gate/domain/policy.ts';

/** The scan policy sections wired the way src/config/schema.ts is meant to wire them. */
const configSchema = z
  .strictObject({
    environments: z
      .array(z.strictObject({ name: z.string(), repositoryTemplate: z.string().default('{app}-{env}') }))
      .default([
        { name: 'dev', repositoryTemplate: '{app}-{env}' },
        { name: 'prod', repositoryTemplate: '{app}-{env}' },
      ]),
    repositoryGroups: z
      .array(z.strictObject({ name: z.string(), repositories: z.array(z.string()) }))
      .default([]),
    ...scanPolicyConfigShape,
  })
  .superRefine((config, ctx) => checkScanPolicyReferences(config, ctx));

function parse(yaml: string) {
  return configSchema.safeParse(parseDocument(yaml).toJS());
}

function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`))
    .join('');
}

function problems(yaml: string): Array<[string, string]> {
  const result = parse(yaml);
  if (result.success) throw new Error('expected the configuration to be rejected');
  return result.error.issues.map((i) => [pathOf(i.path), i.message]);
}

const EXAMPLE = `
repositoryGroups:
  - { name: services, repositories: ['orders-api-*', 'web-frontend-*'] }
scanGate:
  defaults: { thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: 10 }, fixableOnly: false, enforcement: notify, alertOn: change }
  groups:
    services: { thresholds: { HIGH: 2 } }
  environments:
    prod: { thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: 0 }, enforcement: untag, untagTags: [latest] }
exceptions:
  - { cve: CVE-2024-1234, repositories: ['orders-api-*'], expires: 2027-01-31, owner: alice@example.com, reason: 'not reachable', ticket: SEC-12 }
alerts:
  email: [platform@example.com]
  slack: { webhookParameter: /ecr-sentinel/slack-webhook }
`;

const EXCEPTION = (fields: string) => `exceptions:\n  - { ${fields} }\n`;
const FULL_EXCEPTION = "cve: CVE-1, repositories: ['a-*'], expires: 2027-01-31, owner: o, reason: r";

describe('scan policy configuration', () => {
  it('accepts the example with an unquoted YAML date as the expiry', () => {
    const result = parse(EXAMPLE);

    expect(result.error?.issues).toBeUndefined();
    expect(result.data?.exceptions[0]).toEqual({
      cve: 'CVE-2024-1234',
      repositories: ['orders-api-*'],
      expires: '2027-01-31',
      owner: 'alice@example.com',
      reason: 'not reachable',
      ticket: 'SEC-12',
    });
    expect(result.data?.alerts).toEqual({
      email: ['platform@example.com'],
      slack: { webhookParameter: '/ecr-sentinel/slack-webhook' },
    });
  });

  it('fills in the built-in gate when the sections are absent', () => {
    const result = parse('{}');

    expect(result.data?.scanGate).toEqual({
      defaults: {
        thresholds: { CRITICAL: 0, HIGH: 0 },
        fixableOnly: false,
        enforcement: 'notify',
        untagTags: [],
        alertOn: 'change',
      },
      groups: {},
      environments: {},
    });
    expect(result.data?.exceptions).toEqual([]);
    expect(result.data?.alerts).toEqual({ email: [] });
  });

  it('gives policies the resolver can use directly', () => {
    const config = parse(EXAMPLE).data;
    if (config === undefined) throw new Error('expected the example to parse');

    const policy = policyFor(config, 'orders-api-prod');

    expect(policy).toMatchObject({
      thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: 0 },
      enforcement: 'untag',
      untagTags: ['latest'],
    });
  });

  it.each([
    [
      'an exception without owner',
      EXCEPTION("cve: CVE-1, repositories: ['a-*'], expires: 2027-01-31, reason: r"),
      'exceptions[0].owner',
      'required: who owns this exception',
    ],
    [
      'an exception without reason',
      EXCEPTION("cve: CVE-1, repositories: ['a-*'], expires: 2027-01-31, owner: o"),
      'exceptions[0].reason',
      'required: why this vulnerability is accepted',
    ],
    [
      'an exception without expiry',
      EXCEPTION("cve: CVE-1, repositories: ['a-*'], owner: o, reason: r"),
      'exceptions[0].expires',
      'required: expiry date YYYY-MM-DD',
    ],
    [
      'an exception with an empty owner',
      EXCEPTION("cve: CVE-1, repositories: ['a-*'], expires: 2027-01-31, owner: '  ', reason: r"),
      'exceptions[0].owner',
      'required: who owns this exception',
    ],
    [
      'an exception without repositories',
      EXCEPTION('cve: CVE-1, expires: 2027-01-31, owner: o, reason: r'),
      'exceptions[0].repositories',
      'required: repository names or wildcards',
    ],
    [
      'an impossible date',
      EXCEPTION("cve: CVE-1, repositories: ['a-*'], expires: 2027-02-30, owner: o, reason: r"),
      'exceptions[0].expires',
      'expected a real calendar date YYYY-MM-DD',
    ],
    [
      'a date in another format',
      EXCEPTION("cve: CVE-1, repositories: ['a-*'], expires: 31/01/2027, owner: o, reason: r"),
      'exceptions[0].expires',
      'expected a date YYYY-MM-DD',
    ],
    [
      'an unknown exception key',
      EXCEPTION(`${FULL_EXCEPTION}, until: 2027-01-01`),
      'exceptions[0]',
      'Unrecognized key: "until"',
    ],
    [
      'a misspelt severity',
      'scanGate: { defaults: { thresholds: { CRITCAL: 0 } } }',
      'scanGate.defaults.thresholds',
      'Unrecognized key: "CRITCAL"',
    ],
    [
      'a negative threshold',
      'scanGate: { defaults: { thresholds: { HIGH: -1 } } }',
      'scanGate.defaults.thresholds.HIGH',
      'Too small: expected number to be >=0',
    ],
    [
      'an unknown enforcement',
      'scanGate: { defaults: { enforcement: delete } }',
      'scanGate.defaults.enforcement',
      'Invalid option: expected one of "notify"|"untag"',
    ],
    [
      'untag without tags',
      'scanGate: { environments: { prod: { enforcement: untag } } }',
      'scanGate.environments.prod.untagTags',
      'required with enforcement: untag: the mutable tags to remove from a failing image, e.g. [latest]',
    ],
    [
      'a wildcard among the tags to remove',
      "scanGate: { environments: { prod: { enforcement: untag, untagTags: ['v*'] } } }",
      'scanGate.environments.prod.untagTags[0]',
      'expected an image tag such as latest',
    ],
    [
      'a group that is not configured',
      'scanGate: { groups: { nope: { fixableOnly: true } } }',
      'scanGate.groups.nope',
      'no repository group "nope" (repositoryGroups: none)',
    ],
    [
      'an environment that is not configured',
      'scanGate: { environments: { qa: { fixableOnly: true } } }',
      'scanGate.environments.qa',
      'no environment "qa" (environments: dev, prod)',
    ],
    [
      'an invalid email',
      'alerts: { email: [not-an-address] }',
      'alerts.email[0]',
      'expected an email address',
    ],
    [
      'an invalid SSM parameter name',
      "alerts: { slack: { webhookParameter: 'https://hooks.slack.com/x' } }",
      'alerts.slack.webhookParameter',
      'expected an SSM parameter name such as /ecr-sentinel/slack-webhook',
    ],
  ])('rejects %s, naming the key', (_case, yaml, path, message) => {
    expect(problems(yaml)).toContainEqual([path, message]);
  });

  it.each([
    ['2024-02-29', true],
    ['2023-02-29', false],
    ['2027-12-31', true],
    ['2027-13-01', false],
  ])('checks that %s is a real date: %s', (date, valid) => {
    expect(parse(EXCEPTION(`${FULL_EXCEPTION.replace('2027-01-31', date)}`)).success).toBe(valid);
  });

  it('lets an environment lift a limit with null', () => {
    const config = parse('scanGate: { environments: { dev: { thresholds: { HIGH: ~ } } } }').data;
    if (config === undefined) throw new Error('expected the configuration to parse');

    expect(policyFor(config, 'shop-dev').thresholds).toEqual({ CRITICAL: 0 });
  });
});
