import {
  BatchGetRepositoryScanningConfigurationCommand,
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  GetRepositoryPolicyCommand,
  PutLifecyclePolicyCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { complianceKeys } from '../../src/shared/table.ts';
import { eventually } from '../support/eventually.ts';
import { onFailureRecord } from '../support/runtime.ts';
import { type ComplianceFunctions, startComplianceFunctions } from './function-sandbox.ts';

/**
 * checkCompliance as deployed, on ECR's CloudTrail events (function-sandbox.ts: a sandbox of its own, the
 * functions under their IAM roles): what it finds, fixes and records is read back from ECR, the table and the
 * email outbox; the loop of its own fixes ends; faults on reads and writes; malformed events.
 */
/** Caps untagged images only: tagged ones pile up for ever. */
const UNTAGGED_ONLY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
  ],
});

let f: ComplianceFunctions;
let runtime: ComplianceFunctions['runtime'];
let ecr: ComplianceFunctions['ecr'];
let sqs: ComplianceFunctions['sqs'];
let admin: ComplianceFunctions['admin'];
let account = '';
let id = '';
const aws = (...args: string[]) => f.aws(...args);
const emailsAbout = (name: string) => f.emailsAbout(name);
const remediations = (subject: string) => f.remediations(subject);
const statuses = (subject: string) => f.statuses(subject);

beforeAll(async () => {
  f = await startComplianceFunctions('cmp');
  ({ runtime, ecr, sqs, admin, account, id } = f);
}, 120_000);

afterAll(async () => {
  await f?.stop();
}, 30_000);

afterEach(async () => {
  await admin('DELETE', '/faults');
});

describe('checkCompliance on ECR CloudTrail events', () => {
  it('finds a repository made with the AWS CLI drifting, fixes it in enforce mode, records it and alerts once', async () => {
    // Prepare
    const name = `svc-cli-${id}`;

    // Act: a build script's create-repository, scanning off and mutable tags.
    await aws(
      'create-repository',
      '--repository-name',
      name,
      '--image-tag-mutability',
      'MUTABLE',
      '--image-scanning-configuration',
      'scanOnPush=false',
    );

    // Assess: ECR read back shows both fixes.
    const fixes = await eventually(
      () => remediations(name),
      (found) => found.length >= 2,
      60_000,
    );
    await runtime.idle(60_000);
    const repository = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] })))
      .repositories?.[0];
    expect(repository?.imageTagMutability).toBe('IMMUTABLE_WITH_EXCLUSION');
    expect(repository?.imageTagMutabilityExclusionFilters?.map((f) => f.filter)).toEqual(['latest']);
    const scanning = await ecr.send(
      new BatchGetRepositoryScanningConfigurationCommand({ repositoryNames: [name] }),
    );
    expect(scanning.scanningConfigurations?.[0]?.scanFrequency).toBe('SCAN_ON_PUSH');
    // Each remediation with its state before and after, the trigger and the result.
    expect(
      fixes
        .map((f) => [f.controlId, f.action, f.outcome, (f.trigger as { eventName?: string }).eventName])
        .sort(),
    ).toEqual([
      ['scanning', 'PutRegistryScanningConfiguration', 'applied', 'CreateRepository'],
      ['tag-mutability', 'PutImageTagMutability', 'applied', 'CreateRepository'],
    ]);
    const mutability = fixes.find((f) => f.controlId === 'tag-mutability');
    expect(JSON.parse(String(mutability?.before))).toMatchObject({ imageTagMutability: 'MUTABLE' });
    expect(JSON.parse(String(mutability?.after))).toMatchObject({
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
    });
    expect(mutability?.at).toEqual(expect.any(String));
    // Statuses: both pass now.
    expect((await statuses(name)).map((s) => [s.sk, s.status]).sort()).toEqual([
      ['STATUS#scanning', 'pass'],
      ['STATUS#tag-mutability', 'pass'],
    ]);
    // One alert, naming both fixes.
    const emails = await emailsAbout(name);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.subject).toContain('[COMPLIANCE FIXED]');
    expect(emails[0]?.message).toContain('PutImageTagMutability applied');
  }, 120_000);

  it('ends the fix loop: the echoes of its own fixes are checked, pass, and fix or alert nothing', async () => {
    // Prepare
    const name = `svc-loop-${id}`;

    // Act
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name, imageTagMutability: 'MUTABLE' }));
    await eventually(
      () => remediations(name),
      (found) => found.length >= 1,
      60_000,
    );
    await runtime.idle(60_000);

    // Assess: the echo of PutImageTagMutability ran, found its check passing and did nothing.
    const echoes = runtime
      .history()
      .map((h) => h.result as { echo?: boolean; eventName?: string; applied?: number; alertsSent?: number })
      .filter((r) => r?.echo === true && r.eventName === 'PutImageTagMutability');
    expect(echoes.length).toBeGreaterThan(0);
    for (const echo of echoes) expect(echo).toMatchObject({ applied: 0, alertsSent: 0, drift: 0 });
    expect(await emailsAbout(name)).toHaveLength(1);
    // Scanning and tag mutability, each fixed once.
    expect(await remediations(name)).toHaveLength(2);
  }, 120_000);

  it('removes the public statement of a repository policy in enforce mode and keeps the others', async () => {
    // Prepare
    const name = `pol-public-${id}`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    await runtime.idle(60_000);
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Public', Effect: 'Allow', Principal: '*', Action: ['ecr:BatchGetImage'] },
        {
          Sid: 'OwnAccount',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: ['ecr:BatchGetImage'],
        },
      ],
    };

    // Act
    await ecr.send(
      new SetRepositoryPolicyCommand({ repositoryName: name, policyText: JSON.stringify(policy) }),
    );

    // Assess
    const fixes = await eventually(
      () => remediations(name),
      (found) => found.some((f) => f.controlId === 'repository-policy'),
      60_000,
    );
    await runtime.idle(60_000);
    const left = JSON.parse(
      (await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: name }))).policyText ?? '{}',
    ) as { Statement: { Sid?: string }[] };
    expect(left.Statement.map((s) => s.Sid)).toEqual(['OwnAccount']);
    expect(fixes.find((f) => f.controlId === 'repository-policy')).toMatchObject({
      action: 'SetRepositoryPolicy',
      outcome: 'applied',
    });
    const emails = await emailsAbout(name);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.message).toContain('repository-policy');
  }, 120_000);

  it('reports a lifecycle policy that never caps tagged images, in audit mode, once per change', async () => {
    // Prepare: created without a lifecycle policy, which is drift already (alerted once).
    const name = `aud-lifecycle-${id}`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    await eventually(
      () => emailsAbout(name),
      (found) => found.length === 1,
      60_000,
    );
    await runtime.idle(60_000);

    // Act: a policy that caps untagged images only, so it drifts differently.
    await ecr.send(
      new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: UNTAGGED_ONLY }),
    );

    // Assess: flagged again (a different drift), not fixed (audit mode), and only once.
    const emails = await eventually(
      () => emailsAbout(name),
      (found) => found.length > 1,
      60_000,
    );
    await runtime.idle(60_000);
    expect(await emailsAbout(name)).toHaveLength(2);
    expect(emails[1]?.subject).toContain('[COMPLIANCE DRIFT]');
    expect(emails[1]?.message).toContain('lifecycle-policy');
    expect(emails[1]?.message).toMatch(/tagged/);
    expect(await remediations(name)).toEqual([]);
    expect((await statuses(name)).map((s) => [s.sk, s.status])).toEqual([
      ['STATUS#lifecycle-policy', 'drift'],
    ]);
  }, 120_000);

  it('reports replication and creation-template drift of the registry', async () => {
    // Act: a replication rule other than the desired one.
    await aws(
      'put-replication-configuration',
      '--replication-configuration',
      JSON.stringify({ rules: [{ destinations: [{ region: 'eu-central-1', registryId: account }] }] }),
    ).catch(async () => {
      // The emulator refuses a destination in the same account: any other account will do.
      await aws(
        'put-replication-configuration',
        '--replication-configuration',
        JSON.stringify({
          rules: [{ destinations: [{ region: 'eu-central-1', registryId: '444455556666' }] }],
        }),
      );
    });

    // Assess
    const subject = complianceKeys.registrySubject(account);
    const found = await eventually(
      () => statuses(subject),
      (s) => s.some((x) => String(x.sk).startsWith('STATUS#replication')),
      60_000,
    );
    await runtime.idle(60_000);
    expect(found.find((s) => String(s.sk).startsWith('STATUS#replication'))?.status).toBe('drift');
    const emails = await emailsAbout(`registry ${account}`);
    expect(emails.some((e) => e.message.includes('replication'))).toBe(true);
  }, 120_000);

  it.each([
    ['throttled', { error: 'ThrottlingException' }],
    ['answered with a 503', { status: 503 }],
  ])(
    'leaves a check unknown when its read is %s: no fix, its status kept, no alert',
    async (_what, fault) => {
      // Prepare: the public statement appears while the policy can't be read.
      const name = `pol-fault-${Object.keys(fault)[0]}-${id}`;
      await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
      await runtime.idle(60_000);
      await admin('POST', 'faults', { service: 'ecr', action: 'GetRepositoryPolicy', rate: 1, ...fault });
      const policy = {
        Version: '2012-10-17',
        Statement: [{ Sid: 'Public', Effect: 'Allow', Principal: '*', Action: ['ecr:BatchGetImage'] }],
      };

      // Act
      await ecr.send(
        new SetRepositoryPolicyCommand({ repositoryName: name, policyText: JSON.stringify(policy) }),
      );
      const checked = await eventually(
        async () =>
          runtime
            .history()
            .map((h) => h.result as { eventName?: string; unknown?: number; triggerId?: string } | undefined)
            .filter((r) => r?.eventName === 'SetRepositoryPolicy'),
        (found) => found.some((r) => (r?.unknown ?? 0) > 0),
        60_000,
      );
      await runtime.idle(60_000);
      await admin('DELETE', '/faults');

      // Assess
      expect(checked.some((r) => r?.unknown === 1)).toBe(true);
      expect(await remediations(name)).toEqual([]);
      // The status recorded when it was created (no policy: pass) stands.
      expect((await statuses(name)).map((x) => [x.sk, x.status])).toEqual([
        ['STATUS#repository-policy', 'pass'],
      ]);
      expect(await emailsAbout(name)).toEqual([]);
      const left = JSON.parse(
        (await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: name }))).policyText ?? '{}',
      ) as { Statement: { Sid?: string }[] };
      expect(left.Statement.map((s) => s.Sid)).toEqual(['Public']);
    },
    120_000,
  );

  it('records a fix that fails, alerts it once, and leaves the event on the onFailure queue after the retries', async () => {
    // Prepare: tag mutability can't be changed; the scanning fix goes through.
    const name = `svc-failing-${id}`;
    await admin('POST', 'faults', {
      service: 'ecr',
      action: 'PutImageTagMutability',
      rate: 1,
      error: 'AccessDeniedException',
    });

    // Act
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name, imageTagMutability: 'MUTABLE' }));

    // Assess: the event's last attempt is on the onFailure queue with its payload.
    const failure = await onFailureRecord(
      runtime,
      sqs,
      (r) =>
        (r.requestPayload?.detail?.requestParameters as { repositoryName?: string } | undefined)
          ?.repositoryName === name,
    );
    await runtime.idle(60_000);
    await admin('DELETE', '/faults');
    expect(failure?.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    expect(failure?.responsePayload?.errorType).toBe('ComplianceFixError');
    expect(failure?.requestPayload?.detail?.eventName).toBe('CreateRepository');
    const fixes = await remediations(name);
    expect(fixes.map((f) => [f.controlId, f.outcome]).sort()).toEqual([
      ['scanning', 'applied'],
      ['tag-mutability', 'failed'],
    ]);
    expect(String(fixes.find((f) => f.outcome === 'failed')?.error)).toContain('AccessDenied');
    const emails = await emailsAbout(name);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.subject).toContain('[COMPLIANCE FIX FAILED]');
  }, 120_000);

  it('sends a malformed event to the onFailure queue with its payload', async () => {
    // Prepare: a CreateRepository record that names no repository.
    const event = {
      version: '0',
      id: `malformed-${id}`,
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.ecr',
      account,
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: {
        eventSource: 'ecr.amazonaws.com',
        eventName: 'CreateRepository',
        eventID: `malformed-${id}`,
        requestParameters: {},
      },
    };

    // Act
    await runtime.invoke('checkCompliance', event, 'Event');

    // Assess
    const failure = await onFailureRecord(runtime, sqs, event.id);
    expect(failure?.responsePayload?.errorType).toBe('InvalidEventError');
    expect(failure?.responsePayload?.errorMessage).toContain('detail.requestParameters.repositoryName');
    expect(failure?.requestPayload).toMatchObject({ id: event.id });
  }, 120_000);
});
