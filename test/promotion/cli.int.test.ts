import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetImageCommand, CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { admin, awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';
import { scanCompleted } from '../support/scans.ts';
import { createSentinelTable } from '../support/table.ts';

/** `ecr-sentinel promote | approve | reject | promotions | status` as a user runs them, against the sandbox. */

const CONFIG = `
version: 1
environments:
  - name: dev
  - name: staging
  - name: prod
    requiresApproval: true
scanGate:
  defaults:
    thresholds: { CRITICAL: 0, HIGH: 0 }
  environments:
    dev:
      thresholds: { HIGH: 5 }
`;

const env = { AWS_ACCESS_KEY_ID: 'ci', AWS_SECRET_ACCESS_KEY: 'ci', AWS_REGION: 'us-east-1' };
const dynamo = new DynamoDBClient(awsClientConfig());
const ecr = new ECRClient(awsClientConfig());
const tableName = uniqueName('promote-cli');
let configFile = '';

/** Run `ecr-sentinel COMMAND …` with the test's config, table and the sandbox's endpoint. */
function cli(args: string[]) {
  return runCli([...args, '--config', configFile, '--table', tableName, '--endpoint-url', sandboxUrl()], {
    env,
  });
}

/** A new app with version 1.0.0 pushed to its dev repository and scanned with `found` findings. */
async function devImage(found: Array<{ name: string; severity: 'HIGH' | 'CRITICAL' }> = []) {
  const app = uniqueName('cliapp');
  const repositoryName = `${app}-dev`;
  await ecr.send(
    new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }),
  );
  expect(
    (await admin('POST', 'findings', { repositoryName, imageTag: '1.0.0', findings: found })).status,
  ).toBe(201);
  const image = sampleImage(`${app}-${randomBytes(4).toString('hex')}`);
  const { imageDigest } = await pushImage(ecr, repositoryName, image, '1.0.0');
  await scanCompleted(ecr, repositoryName, imageDigest);
  return { app, imageDigest };
}

/** The promotion id a text result names on its first line. */
function idIn(stdout: string): string {
  const id = /^promotion ([0-9A-Z]{26}) /m.exec(stdout)?.[1];
  if (!id) throw new Error(`no promotion id in:\n${stdout}`);
  return id;
}

beforeAll(async () => {
  await createSentinelTable(dynamo, tableName);
  const dir = await mkdtemp(join(tmpdir(), 'promote-cli-'));
  configFile = join(dir, 'sentinel.config.yml');
  await writeFile(configFile, CONFIG);
});

afterAll(() => {
  ecr.destroy();
  dynamo.destroy();
});

describe('ecr-sentinel promote', () => {
  it('explains the flow, the exit codes and AWS access in --help', async () => {
    const result = await runCli(['promote', '--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: ecr-sentinel promote \[options\] <app> <version> <env>/);
    expect(result.stdout).toMatch(/requiresApproval/);
    expect(result.stdout).toMatch(/Exit codes: 0 completed or pending approval, 1 refused/);
    expect(result.stdout).toMatch(/--endpoint-url\s+\(or\s+AWS_ENDPOINT_URL\)\s+for\s+the\s+local/);
    expect(result.stdout).toMatch(/Examples:/);
  });

  it('copies dev → staging (exit 0) naming the digest and counts; again with --json answers the same record', async () => {
    // Prepare
    const { app, imageDigest } = await devImage();

    // Act
    const first = await cli(['promote', app, '1.0.0', 'staging', '--by', 'alice']);
    const [again, againText] = await Promise.all([
      cli(['promote', app, '1.0.0', 'staging', '--json']),
      cli(['promote', app, '1.0.0', 'staging']),
    ]);

    // Assert
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`completed: ${app} 1\\.0\\.0 dev → staging`));
    expect(first.stdout).toContain(imageDigest);
    // Uploaded: BLOB_MOUNTING is off in the shared sandbox (test/promotion/blob-mount.int.test.ts mounts).
    expect(first.stdout).toMatch(
      /copied +[1-9]\d* blobs? \(\d+(\.\d)? (B|KiB|MiB)\), 0 already there; 1 manifest/,
    );
    expect(first.stdout).toMatch(new RegExp(`gate +PASS with staging's policy \\(scan of ${app}-dev`));
    expect(again.code, again.stderr).toBe(0);
    expect(againText.code, againText.stderr).toBe(0);
    expect(againText.stdout).toMatch(/completed: .* \(already requested by alice at .*\)/);
    expect(againText.stdout).toMatch(/nothing was copied now/);
    const record = JSON.parse(again.stdout);
    expect(record).toMatchObject({
      id: idIn(first.stdout),
      status: 'COMPLETED',
      digest: imageDigest,
      requestedBy: 'alice',
      from: { environment: 'dev', repositoryName: `${app}-dev` },
      to: { environment: 'staging', repositoryName: `${app}-staging` },
    });
    const target = await ecr.send(
      new BatchGetImageCommand({ repositoryName: `${app}-staging`, imageIds: [{ imageTag: '1.0.0' }] }),
    );
    expect(target.images?.[0]?.imageId?.imageDigest).toBe(imageDigest);
  }, 60_000);

  it("defaults --by to the caller's identity ARN", async () => {
    const { app } = await devImage();

    const result = await cli(['promote', app, '1.0.0', 'staging', '--json']);

    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).requestedBy).toMatch(/^arn:aws:(iam|sts)::\d{12}:/);
  }, 60_000);

  it('refuses (exit 1) what fails the target policy, printing the reason and the blocking CVE', async () => {
    const { app } = await devImage([{ name: 'CVE-2026-0101', severity: 'HIGH' }]);

    const [text, json] = await Promise.all([
      cli(['promote', app, '1.0.0', 'staging', '--by', 'alice']),
      cli(['promote', app, '1.0.0', 'staging', '--by', 'alice', '--json']),
    ]);

    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/REFUSED/);
    expect(text.stdout).toMatch(new RegExp(`reason +${app}-staging's policy says FAIL: 1 HIGH \\(max 0\\)`));
    expect(text.stdout).toMatch(/blocking 1: CVE-2026-0101/);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'FAILED',
      gate: { status: 'FAIL', blocking: ['CVE-2026-0101'] },
    });
  }, 60_000);
});

describe('approvals, listings and status', () => {
  it('waits for approval into prod, refuses the requester, copies on a second approval, then shows it', async () => {
    // Prepare
    const { app, imageDigest } = await devImage();
    expect((await cli(['promote', app, '1.0.0', 'staging', '--by', 'alice'])).code).toBe(0);

    // Act
    const pending = await cli(['promote', app, '1.0.0', 'prod', '--by', 'alice']);
    const id = idIn(pending.stdout);
    const byRequester = await cli(['approve', id, '--by', 'ALICE']);
    const byRequesterJson = await cli(['approve', id, '--by', 'alice', '--json']);
    const approved = await cli(['approve', id.toLowerCase(), '--by', 'bob']);
    const twice = await cli(['approve', id, '--by', 'carol']);

    // Assert
    expect(pending.code, pending.stderr).toBe(0);
    expect(pending.stdout).toMatch(/pending approval: .* staging → prod/);
    expect(pending.stdout).toContain(
      `pending approval — approve with: npx ecr-sentinel approve ${id} --by <name>`,
    );
    expect(byRequester.code).toBe(1);
    expect(byRequester.stderr).toMatch(
      /ALICE requested promotion .* and can't approve it: a second person must/,
    );
    expect(byRequesterJson.code).toBe(1);
    expect(JSON.parse(byRequesterJson.stdout)).toEqual({
      error: { type: 'PromotionConflictError', message: expect.stringMatching(/can't approve it/) },
    });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`promotion ${id} completed: ${app} 1\\.0\\.0 staging → prod`));
    expect(approved.stdout).toMatch(/by +alice, approved by bob/);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/is COMPLETED .*not pending approval/);

    // Listings and what runs where
    const [listed, prodOnly, byDigest, status, statusJson] = await Promise.all([
      cli(['promotions', '--app', app]),
      cli(['promotions', '--app', app, '--env', 'prod', '--json']),
      cli(['promotions', '--digest', imageDigest, '--limit', '1', '--json']),
      cli(['status', app]),
      cli(['status', app, '--json']),
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^ID +APP +VERSION +FROM → TO +STATUS +REQUESTED BY +REQUESTED AT +APPROVED BY$/,
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      new RegExp(`^${id} +${app} +1\\.0\\.0 +staging → prod +COMPLETED +alice +\\S+ \\S+Z +bob$`),
    );
    expect(lines[2]).toMatch(/dev → staging +COMPLETED +alice .* —$/);
    expect(prodOnly.code, prodOnly.stderr).toBe(0);
    expect(JSON.parse(prodOnly.stdout)).toEqual([expect.objectContaining({ id, approvedBy: 'bob' })]);
    expect(JSON.parse(byDigest.stdout)).toEqual([expect.objectContaining({ id })]);

    expect(status.code, status.stderr).toBe(0);
    const rows = status.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe(app);
    expect(rows[1]).toMatch(/^ENVIRONMENT +VERSION +DIGEST +GATE +PROMOTED AT +BY +PROMOTION$/);
    expect(rows[2]).toMatch(/^dev +— +— +— +— +— +\(images arrive by push\)$/);
    expect(rows[3]).toMatch(
      new RegExp(`^staging +1\\.0\\.0 +${imageDigest.slice(0, 19)} +PASS +.+Z +alice +[0-9A-Z]{26}$`),
    );
    expect(rows[4]).toMatch(
      new RegExp(`^prod +1\\.0\\.0 +${imageDigest.slice(0, 19)} +PASS +.+Z +bob +${id}$`),
    );
    expect(JSON.parse(statusJson.stdout)).toEqual({
      app,
      environments: [
        { environment: 'dev', repositoryName: `${app}-dev`, release: null },
        expect.objectContaining({
          environment: 'staging',
          release: expect.objectContaining({ promotedBy: 'alice' }),
        }),
        expect.objectContaining({
          environment: 'prod',
          repositoryName: `${app}-prod`,
          release: expect.objectContaining({ promotionId: id, digest: imageDigest, promotedBy: 'bob' }),
        }),
      ],
    });
  }, 120_000);

  it('rejects a pending promotion (exit 0) and then refuses to approve it (exit 1)', async () => {
    // Prepare
    const { app } = await devImage();
    expect((await cli(['promote', app, '1.0.0', 'staging', '--by', 'alice'])).code).toBe(0);
    const id = idIn((await cli(['promote', app, '1.0.0', 'prod', '--by', 'alice'])).stdout);

    // Act
    const rejected = await cli(['reject', id, '--by', 'carol', '--reason', 'wait for 1.0.1', '--json']);
    const approve = await cli(['approve', id, '--by', 'bob']);

    // Assert
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(JSON.parse(rejected.stdout)).toMatchObject({
      id,
      status: 'REJECTED',
      rejectedBy: 'carol',
      reason: 'wait for 1.0.1',
    });
    expect(approve.code).toBe(1);
    expect(approve.stderr).toMatch(/is REJECTED \(by carol\), not pending approval/);
    const status = await cli(['status', app, '--json']);
    expect(JSON.parse(status.stdout).environments[2]).toMatchObject({ environment: 'prod', release: null });
  }, 120_000);
});

describe('ecr-sentinel promote --wait', () => {
  it('follows a pending promotion until a second person approves it, then exits 0 with the copy', async () => {
    // Prepare
    const { app, imageDigest } = await devImage();
    expect((await cli(['promote', app, '1.0.0', 'staging', '--by', 'alice'])).code).toBe(0);

    // Act
    const waiting = cli(['promote', app, '1.0.0', 'prod', '--by', 'alice', '--wait', '60']);
    const listed = await eventually(
      async () => JSON.parse((await cli(['promotions', '--app', app, '--env', 'prod', '--json'])).stdout),
      (found: Array<{ id: string; status: string }>) => found[0]?.status === 'PENDING_APPROVAL',
      30_000,
    );
    const approved = await cli(['approve', listed[0]?.id ?? '', '--by', 'bob']);
    const waited = await waiting;

    // Assert
    expect(approved.code, approved.stderr).toBe(0);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stderr).toMatch(/COMPLETED after \d+ s/);
    expect(waited.stdout).toMatch(/completed: .* staging → prod/);
    const copied = await ecr.send(
      new BatchGetImageCommand({ repositoryName: `${app}-prod`, imageIds: [{ imageTag: '1.0.0' }] }),
    );
    expect(copied.images?.[0]?.imageId?.imageDigest).toBe(imageDigest);
  }, 120_000);

  it('gives up after --wait seconds with exit 2 while the promotion is still pending', async () => {
    const { app } = await devImage();
    expect((await cli(['promote', app, '1.0.0', 'staging', '--by', 'alice'])).code).toBe(0);
    const waited = await cli(['promote', app, '1.0.0', 'prod', '--by', 'alice', '--wait', '3']);
    expect(waited.code).toBe(2);
    expect(waited.stderr).toMatch(/still PENDING_APPROVAL after 3 s \(--wait\)/);
  }, 120_000);
});

describe('bad usage exits 2 naming what is wrong', () => {
  it('an unknown environment, as ENV or --from', async () => {
    const [toUnknown, fromUnknown, listUnknown] = await Promise.all([
      cli(['promote', 'orders-api', '1.0.0', 'qa']),
      cli(['promote', 'orders-api', '1.0.0', 'prod', '--from', 'test', '--json']),
      cli(['promotions', '--env', 'qa']),
    ]);

    expect(toUnknown.code).toBe(2);
    expect(toUnknown.stderr).toMatch(/ENV: unknown environment "qa" \(environments: dev, staging, prod\)/);
    expect(fromUnknown.code).toBe(2);
    expect(JSON.parse(fromUnknown.stdout)).toEqual({
      error: { type: 'UsageError', message: expect.stringMatching(/^--from: unknown environment "test"/) },
    });
    expect(listUnknown.code).toBe(2);
    expect(listUnknown.stderr).toMatch(/--env: unknown environment "qa"/);
  });

  it('a malformed or unknown promotion id', async () => {
    const [malformed, unknown] = await Promise.all([
      cli(['approve', 'not-an-id', '--by', 'bob']),
      cli(['reject', '01JD2W8Q4N6X3K7M9P5R2T8V4Y', '--by', 'bob', '--reason', 'no', '--json']),
    ]);

    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/ID: "not-an-id" is not a promotion id/);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toEqual({
      error: { type: 'PromotionRequestError', message: 'no promotion 01JD2W8Q4N6X3K7M9P5R2T8V4Y' },
    });
  });

  it('invalid names, limits and a tag that is not there', async () => {
    const { app } = await devImage();

    const [badApp, badLimit, badTopic, firstEnv, noTag] = await Promise.all([
      cli(['promote', 'Orders API', '1.0.0', 'staging']),
      cli(['promotions', '--limit', '0']),
      cli(['approve', '01JD2W8Q4N6X3K7M9P5R2T8V4Y', '--by', 'bob', '--alerts-topic', 'alerts']),
      cli(['promote', app, '1.0.0', 'dev', '--by', 'alice']),
      cli(['promote', app, '9.9.9', 'staging', '--by', 'alice']),
    ]);

    expect(badApp.code).toBe(2);
    expect(badApp.stderr).toMatch(/APP: "Orders API" is not a valid application name/);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toMatch(/--limit: expected a whole number from 1 to 1000, got "0"/);
    expect(badTopic.code).toBe(2);
    expect(badTopic.stderr).toMatch(/--alerts-topic: expected an SNS topic ARN/);
    expect(firstEnv.code).toBe(2);
    expect(firstEnv.stderr).toMatch(/"dev" is the first environment/);
    expect(noTag.code).toBe(2);
    expect(noTag.stderr).toMatch(new RegExp(`no image tagged 9\\.9\\.9 in ${app}-dev`));
  }, 60_000);
});
