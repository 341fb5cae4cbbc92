import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, ECRClient, StartImageScanCommand } from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { dynamoVerdicts } from '../../src/scan-gate/adapters/dynamodb-verdicts.ts';
import type { Verdict } from '../../src/scan-gate/domain/verdict.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { CONFIG_FILE, PROJECT_ROOT, SERVERLESS_FILE } from '../../src/shared/project-root.ts';
import { adminRequest } from '../support/admin.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage, sampleImage } from '../support/images.ts';

/**
 * The sandbox clock drives the functions: moved through `POST /_sandbox/clock`, it is the time the handlers the
 * runtime invokes read (`systemClock`), so an exception's expiry is tested by moving the clock, not by waiting.
 * A sandbox of its own (the clock is the whole sandbox's) runs onScanCompleted with a config whose one exception
 * covers the image's only CVE until 2027-03-31 (through that day, UTC).
 */

const CVE = 'CVE-2099-0042';
const REPOSITORY = 'web-frontend-dev';

describe('the sandbox clock is the functions’ clock', () => {
  let sandbox: Sandbox;
  let dir: string;
  const lines: string[] = [];
  const clients = () => {
    const config = {
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    return { ecr: new ECRClient(config), doc: DynamoDBDocumentClient.from(new DynamoDBClient(config)) };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sentinel-clock-'));
    const config = parse(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
    config.exceptions = [
      {
        cve: CVE,
        repositories: ['web-frontend-*'],
        expires: '2027-03-31',
        owner: 'platform-team@example.com',
        reason: 'not reachable in this image',
        ticket: 'SEC-42',
      },
    ];
    const configFile = join(dir, 'sentinel.config.yml');
    writeFileSync(configFile, stringify(config));
    sandbox = await startSandbox({
      port: 0,
      scanDelayMs: 50,
      log: (line) => lines.push(line),
      runtime: {
        serverlessFile: SERVERLESS_FILE,
        projectRoot: PROJECT_ROOT,
        stage: 'clock',
        retryDelaysMs: [50, 50],
        configFile,
        functions: ['onScanCompleted'],
      },
    });
  }, 90_000);

  afterAll(async () => {
    await sandbox?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const setClock = async (now: string) => {
    const { status } = await adminRequest(sandbox.url, 'POST', 'clock', { now });
    expect(status).toBe(200);
  };
  const reportFindings = async () => {
    const finding = {
      name: CVE,
      severity: 'CRITICAL',
      package: 'openssl',
      version: '3.0.1',
      fixedIn: '3.0.2',
    };
    const { status } = await adminRequest(sandbox.url, 'POST', 'findings', {
      repositoryName: REPOSITORY,
      imageTag: 'v1',
      findings: [finding],
    });
    expect(status).toBe(201);
  };

  it('applies the exception while the clock is on its last day and reports it expired once moved past', async () => {
    const { ecr, doc } = clients();
    const verdicts = dynamoVerdicts(doc, sandbox.runtime()?.resources.SentinelTable?.ref ?? '');
    const verdictAfter = (evaluatedAfter: string) =>
      eventually(
        () => verdicts.latest(REPOSITORY, imageDigest),
        (v: Verdict | undefined) => v !== undefined && v.evaluatedAt > evaluatedAfter,
      );

    // Prepare: the clock on the exception's last day; the image's scan reports the excepted CRITICAL.
    await setClock('2027-03-31T06:00:00Z');
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: REPOSITORY,
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );
    await reportFindings();
    const { imageDigest } = await pushImage(ecr, REPOSITORY, sampleImage('clock'), 'v1');

    // Act + Assess: judged at the sandbox's time, within the exception.
    const before = await verdictAfter('2027-03-31T00:00:00Z');
    expect(before).toMatchObject({
      status: 'PASS',
      exceptionsApplied: [expect.objectContaining({ cve: CVE, expires: '2027-03-31' })],
      exceptionsExpired: [],
    });
    expect(before?.evaluatedAt.startsWith('2027-03-31T06:')).toBe(true);

    // Act: the clock moves a day and a half on (past the expiry, and past ECR's one scan per image per day);
    // the image is scanned again and reports the same CVE.
    await setClock('2027-04-01T18:00:00Z');
    await reportFindings();
    await ecr.send(new StartImageScanCommand({ repositoryName: REPOSITORY, imageId: { imageDigest } }));

    // Assess: the exception no longer applies and the verdict says it expired.
    const after = await verdictAfter('2027-04-01T00:00:00Z');
    expect(after).toMatchObject({
      status: 'FAIL',
      exceptionsApplied: [],
      exceptionsExpired: [expect.objectContaining({ cve: CVE, expires: '2027-03-31' })],
    });
    expect(after?.evaluatedAt.startsWith('2027-04-01T18:')).toBe(true);
  });

  it('leaves the time of code outside an invocation (this test, the CLI) on the wall clock', async () => {
    await setClock('2030-01-01T00:00:00Z');
    expect(Math.abs(systemClock.now().getTime() - Date.now())).toBeLessThan(5_000);
  });
});
