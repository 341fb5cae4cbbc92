import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoVerdicts } from '../../src/scan-gate/adapters/dynamodb-verdicts.ts';
import type { Verdict } from '../../src/scan-gate/domain/verdict.ts';
import { runCli } from '../support/cli.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { admin, awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';

/** `ecr-sentinel scan-gate` as a CI job runs it, against the sandbox. */
describe('ecr-sentinel scan-gate', () => {
  const ecr = new ECRClient(awsClientConfig());
  const env = { AWS_ACCESS_KEY_ID: 'ci', AWS_SECRET_ACCESS_KEY: 'ci', AWS_REGION: 'us-east-1' };
  // A stage with no deployed table: the gate judges scans itself.
  const gate = (args: string[]) =>
    runCli(['scan-gate', '--endpoint-url', sandboxUrl(), '--stage', 'nothing-deployed', ...args], { env });

  /** A repository (name ends in -dev: the example config's dev policy, CRITICAL 0) with one pushed image. */
  async function image(options: { scanOnPush: boolean; findings?: unknown[]; status?: string }) {
    const repositoryName = `${uniqueName('sg')}-dev`;
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName,
        imageScanningConfiguration: { scanOnPush: options.scanOnPush },
      }),
    );
    if (options.findings || options.status) {
      const entry = {
        repositoryName,
        imageTag: 'v1',
        findings: options.findings ?? [],
        status: options.status,
      };
      expect((await admin('POST', 'findings', entry)).status).toBe(201);
    }
    const { imageDigest } = await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v1');
    return { repositoryName, imageDigest };
  }

  afterAll(() => ecr.destroy());

  it('exits 0 for a clean image, waiting for its scan', async () => {
    const { repositoryName } = await image({ scanOnPush: true });

    const result = await gate(['--repository', repositoryName, '--tag', 'v1', '--wait', '30']);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/: PASS \(evaluated verdict\)/);
  });

  it('exits 1 for a failing image and names the blocking CVE', async () => {
    const critical = { name: 'CVE-2024-0001', severity: 'CRITICAL', package: 'openssl', version: '3.0.1' };
    const { repositoryName } = await image({ scanOnPush: true, findings: [critical] });

    const result = await gate(['--repository', repositoryName, '--tag', 'v1', '--wait', '30']);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL/);
    expect(result.stdout).toMatch(/CRITICAL\s+CVE-2024-0001\s+openssl 3\.0\.1/);
  });

  it('lets --threshold replace the configured limits', async () => {
    const high = { name: 'CVE-2024-0002', severity: 'HIGH', package: 'zlib', version: '1.2.13' };
    const { repositoryName, imageDigest } = await image({ scanOnPush: true, findings: [high] });

    const lenient = await gate([
      '--repository',
      repositoryName,
      '--digest',
      imageDigest,
      '--wait',
      '30',
      '--threshold',
      'CRITICAL',
    ]);
    const strict = await gate([
      '--repository',
      repositoryName,
      '--digest',
      imageDigest,
      '--wait',
      '30',
      '--threshold',
      'high', // any case, as people type it
      '--json',
    ]);

    expect(lenient.code).toBe(0);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout)).toMatchObject({
      outcome: 'FAIL',
      verdict: { blocking: { ids: ['CVE-2024-0002'] } },
    });
  });

  it('exits 2 when the scan failed (fail closed)', async () => {
    const { repositoryName } = await image({ scanOnPush: true, status: 'FAILED' });

    const result = await gate(['--repository', repositoryName, '--tag', 'v1', '--wait', '30', '--json']);

    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'ERROR', verdict: { status: 'ERROR' } });
  });

  it('exits 2 when no scan finishes within --wait', async () => {
    const { repositoryName } = await image({ scanOnPush: false });

    const result = await gate(['--repository', repositoryName, '--tag', 'v1', '--wait', '1', '--json']);

    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'TIMEOUT', noStoredVerdicts: true });
  });

  describe('with a deployed verdict table', () => {
    const stage = uniqueName('sg').replace(/-/g, '');
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig()));

    beforeAll(async () => {
      await doc.send(
        new CreateTableCommand({
          TableName: `ecr-sentinel-${stage}`,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
    });
    afterAll(() => doc.destroy());

    it('uses the stored verdict for the digest without waiting for a scan', async () => {
      const { repositoryName, imageDigest } = await image({ scanOnPush: false });
      const stored = {
        status: 'FAIL',
        reason: '1 CRITICAL (max 0)',
        repositoryName,
        imageDigest,
        imageTags: ['v1'],
        scanStatus: 'COMPLETE',
        countsBefore: { CRITICAL: 1 },
        countsAfter: { CRITICAL: 1 },
        thresholds: { CRITICAL: 0 },
        fixableOnly: false,
        exceeded: [{ severity: 'CRITICAL', count: 1, limit: 0 }],
        blocking: { ids: ['CVE-2024-9999'], details: [] },
        exceptionsApplied: [],
        exceptionsExpired: [],
        policyHash: 'x',
        evaluatedAt: new Date().toISOString(),
      } as Verdict;
      await dynamoVerdicts(doc, `ecr-sentinel-${stage}`).save(stored);

      const result = await runCli(
        [
          'scan-gate',
          '--endpoint-url',
          sandboxUrl(),
          '--stage',
          stage,
          '--repository',
          repositoryName,
          '--tag',
          'v1',
        ],
        { env },
      );

      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/FAIL \(stored verdict\)/);
      expect(result.stdout).toContain('CVE-2024-9999');
    });
  });

  it.each([
    [['--repository', 'r-dev'], /exactly one of --tag or --digest/],
    [['--repository', 'r-dev', '--tag', 'a', '--digest', 'sha256:ab'], /exactly one of --tag or --digest/],
    [['--repository', 'Bad Name', '--tag', 'a'], /--repository: "Bad Name"/],
    [
      ['--repository', 'r-dev', '--tag', 'a', '--threshold', 'SEVERE'],
      /--threshold: expected one of CRITICAL/,
    ],
    [['--repository', 'r-dev', '--tag', 'a', '--wait', 'soon'], /--wait: expected a whole number/],
  ])('exits 2 naming the bad argument for %j', async (args, message) => {
    const result = await gate(args);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('answers ERROR (exit 2) for a tag no image has', async () => {
    const { repositoryName } = await image({ scanOnPush: false });

    const result = await gate(['--repository', repositoryName, '--tag', 'nope']);

    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/no image tagged nope/);
  });
});
