import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkCompliance } from '../../src/compliance/check.ts';
import { composeCheck } from '../../src/compliance/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { snsAlerts } from '../../src/notifications/index.ts';
import { complianceKeys } from '../../src/shared/table.ts';
import { eventually } from '../support/eventually.ts';
import { awsClientConfig } from '../support/sandbox.ts';
import { type ComplianceFunctions, startComplianceFunctions } from './function-sandbox.ts';

/**
 * The scheduled sweep fanned out to checkRepositories, the compliance queue's dead-letter queue, and
 * at-least-once delivery (function-sandbox.ts: a sandbox of its own, the functions under their IAM roles).
 */

let f: ComplianceFunctions;
let sandbox: ComplianceFunctions['sandbox'];
let runtime: ComplianceFunctions['runtime'];
let ecr: ComplianceFunctions['ecr'];
let sqs: ComplianceFunctions['sqs'];
let doc: ComplianceFunctions['doc'];
let admin: ComplianceFunctions['admin'];
let account = '';
let table = '';
let id = '';
const emailsAbout = (name: string) => f.emailsAbout(name);
const remediations = (subject: string) => f.remediations(subject);
const statuses = (subject: string) => f.statuses(subject);

beforeAll(async () => {
  f = await startComplianceFunctions('swp');
  ({ sandbox, runtime, ecr, sqs, doc, admin, account, table, id } = f);
}, 120_000);

afterAll(async () => {
  await f?.stop();
}, 30_000);

afterEach(async () => {
  await admin('DELETE', '/faults');
});

describe('the scheduled sweep, fanned out to checkRepositories', () => {
  it('checks every repository named and the registry, reporting creation-template drift', async () => {
    // Prepare
    const name = `aud-sweep-${id}`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    await runtime.idle(60_000);

    // Act
    const started = await runtime.invoke('sweepCompliance', { repositories: [name] });

    // Assess: the registry's creation template for `svc` is missing; the repository has no lifecycle policy.
    expect(started).toMatchObject({ ok: true, result: { repositories: 1, messages: 1 } });
    const subject = complianceKeys.registrySubject(account);
    const registry = await eventually(
      () => statuses(subject),
      (s) => s.some((x) => String(x.sk).startsWith('STATUS#creation-templates')),
      60_000,
    );
    await runtime.idle(60_000);
    expect(registry.find((s) => String(s.sk).startsWith('STATUS#creation-templates'))?.status).toBe('drift');
    expect((await statuses(name)).map((s) => [s.sk, s.status])).toEqual([
      ['STATUS#lifecycle-policy', 'drift'],
    ]);
    const emails = await emailsAbout(`registry ${account}`);
    expect(emails.some((e) => e.message.includes('creation-templates'))).toBe(true);

    // A second sweep finds the same drift: nothing is alerted again.
    const before = (await admin('GET', 'outbox/email')) as { messages: unknown[] };
    await runtime.invoke('sweepCompliance', { repositories: [name] });
    await runtime.idle(60_000);
    const after = (await admin('GET', 'outbox/email')) as { messages: unknown[] };
    expect(after.messages.length).toBe(before.messages.length);
  }, 180_000);

  it('moves a malformed message to the dead-letter queue with its payload, after the retries', async () => {
    // Prepare
    const body = JSON.stringify({ version: 1, trigger: { kind: 'sweep' }, repositoryNames: ['x'] });

    // Act
    await sqs.send(
      new SendMessageCommand({ QueueUrl: runtime.resources.ComplianceQueue?.url, MessageBody: body }),
    );

    // Assess
    const dead = await eventually(
      async () =>
        (
          await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: runtime.resources.ComplianceDeadLetterQueue?.url,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 1,
            }),
          )
        ).Messages ?? [],
      (messages) => messages.some((m) => m.Body === body),
      90_000,
    );
    expect(dead.map((m) => m.Body)).toContain(body);
  }, 120_000);
});

describe('at-least-once delivery', () => {
  it('records and alerts a trigger delivered twice, concurrently and again later, once', async () => {
    // Prepare: a check the deployed functions' config does not have (resource tags, enforce), so only the use
    // case under test, run as two copies of one delivery, records it.
    const name = `aud-dup-${id}`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    await runtime.idle(60_000);
    const dir = await mkdtemp(join(tmpdir(), `compliance-dup-${id}-`));
    const file = join(dir, 'sentinel.config.yml');
    await writeFile(
      file,
      `version: 1
repositoryGroups:
  - name: audited
    repositories: ["aud-*"]
compliance:
  defaults:
    resourceTags: { required: [team], values: { team: platform }, mode: enforce }
`,
    );
    const config = await loadConfig(file);
    const clients = awsClientConfig(sandbox.url);
    const sns = new SNSClient(clients);
    const topic = runtime.resources.AlertsTopic;
    const deps = composeCheck({
      config,
      ecr,
      doc,
      tableName: table,
      alerts: snsAlerts(sns, topic?.arn ?? topic?.ref ?? ''),
      where: { accountId: account, region: 'us-east-1' },
    });
    const request = {
      trigger: { kind: 'sweep' as const, id: `dup-${id}` },
      repositoryNames: [name],
      registry: false,
      enforce: true,
      mayBeRetry: true,
    };

    // Act: two copies at once, then a redelivery.
    const copies = await Promise.all([checkCompliance(deps, request), checkCompliance(deps, request)]);
    const again = await checkCompliance(deps, request);
    await runtime.idle(60_000);
    sns.destroy();

    // Assess
    expect(copies.map((c) => c.alertsSent).sort()).toEqual([0, 1]);
    expect(again).toMatchObject({ applied: 0, alertsSent: 0, driftFound: [] });
    const fixes = (await remediations(name)).filter((f) => f.controlId === 'resource-tags');
    expect(fixes).toHaveLength(1);
    expect(fixes[0]).toMatchObject({ action: 'TagResource', outcome: 'applied' });
    const emails = (await emailsAbout(name)).filter((e) => e.message.includes('resource-tags'));
    expect(emails).toHaveLength(1);
  }, 120_000);
});
