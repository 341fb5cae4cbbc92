import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  PutImageScanningConfigurationCommand,
  ScanNotFoundException,
} from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoVerdicts } from '../../src/scan-gate/adapters/dynamodb-verdicts.ts';
import type { Verdict } from '../../src/scan-gate/domain/verdict.ts';
import { runCli } from '../support/cli.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { admin, awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';
import { startGate } from './gate-cli.ts';
import { sarifSchemaErrors } from './sarif-schema.ts';

/** `ecr-sentinel scan-gate` as a CI job runs it, against the sandbox. */
describe('ecr-sentinel scan-gate', () => {
  const ecr = new ECRClient(awsClientConfig());
  // Outside GitHub Actions unless a test says otherwise, even when this suite runs under it.
  const env = {
    AWS_ACCESS_KEY_ID: 'ci',
    AWS_SECRET_ACCESS_KEY: 'ci',
    AWS_REGION: 'us-east-1',
    GITHUB_ACTIONS: '',
  };
  // A stage with no deployed table: the gate judges scans itself.
  const gate = (args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) =>
    startGate(['scan-gate', '--endpoint-url', sandboxUrl(), '--stage', 'nothing-deployed', ...args], {
      env: { ...env, ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }).done;

  /** A repository (name ends in -dev: the example config's dev policy, CRITICAL 0) with one pushed image. */
  async function image(options: {
    scanOnPush: boolean;
    findings?: unknown[];
    status?: string;
    name?: string;
  }) {
    const repositoryName = options.name ?? `${uniqueName('sg')}-dev`;
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

  it('exits 2 when no scan finishes within --wait, saying the verdict table is missing', async () => {
    // Scan on push turned on after the push: the gate expects a scan, which never comes.
    const { repositoryName } = await image({ scanOnPush: false });
    await ecr.send(
      new PutImageScanningConfigurationCommand({
        repositoryName,
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );

    const result = await gate(['--repository', repositoryName, '--tag', 'v1', '--wait', '1', '--json']);

    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      outcome: 'TIMEOUT',
      message: 'no scan of the image after 1 s (expected: scan on push is on)',
      noStoredVerdicts: true,
      warnings: ['no verdict table ecr-sentinel-nothing-deployed in us-east-1: judging the scan here'],
    });
  });

  it('answers ERROR at once, saying what to run, when nothing will ever scan the image', async () => {
    // Scan on push off and no registry rule: the emulator, like ECR, answers ScanNotFoundException for it.
    const { repositoryName, imageDigest } = await image({ scanOnPush: false });
    await expect(
      ecr.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest } })),
    ).rejects.toBeInstanceOf(ScanNotFoundException);

    const result = await gate(['--repository', repositoryName, '--tag', 'v1', '--wait', '300']);

    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toContain(
      `no scan started: enable scan on push or run aws ecr start-image-scan --repository-name ${repositoryName} --image-id imageDigest=${imageDigest}`,
    );
    // At once: not after --wait 300 (the command's own start, ~1-3 s, is most of it).
    expect(result.ms).toBeLessThan(20_000);
    expect(result.stderr).not.toMatch(/^scan-gate: /m);
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
    [
      ['--repository', 'r-dev', '--tag', 'a', '--json', '--format', 'sarif'],
      /--json and --format sarif disagree/,
    ],
    [
      ['--repository', 'r-dev', '--tag', 'a', '--format', 'xml'],
      /--format: expected one of text, json, sarif/,
    ],
    [
      ['--repository', 'r-dev', '--tag', 'a', '--config', '/nonexistent/sentinel.yml'],
      /--config \/nonexistent\/sentinel\.yml: not found/,
    ],
  ])('exits 2 naming the bad argument for %j', async (args, message) => {
    const result = await gate(args);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('reports an AWS error the one way, as a JSON error on stdout with --json (exit 2)', async () => {
    // Act
    const result = await gate(['--repository', uniqueName('no-such-repo'), '--tag', 'a', '--json']);

    // Assert
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^ecr-sentinel: .*does not exist/m);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: { type: 'RepositoryNotFoundException', message: expect.stringMatching(/does not exist/) },
    });
  });

  it('answers ERROR (exit 2) for a tag no image has', async () => {
    const { repositoryName } = await image({ scanOnPush: false });

    const result = await gate(['--repository', repositoryName, '--tag', 'nope']);

    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/no image tagged nope/);
  });

  describe('under GitHub Actions', () => {
    const critical = { name: 'CVE-2024-0101', severity: 'CRITICAL', package: 'openssl', version: '3.0.1' };
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'scan-gate-gh-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('annotates the failure and each blocking CVE, and appends a step summary', async () => {
      const { repositoryName } = await image({ scanOnPush: true, findings: [critical] });
      const summary = join(dir, 'summary.md');
      writeFileSync(summary, '# earlier step\n');

      const result = await gate(['--repository', repositoryName, '--tag', 'v1', '--wait', '30'], {
        env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
      });

      expect(result.code).toBe(1);
      const commands = result.stdout.split('\n').filter((l) => l.startsWith('::'));
      expect(commands).toEqual([
        expect.stringMatching(
          new RegExp(
            `^::error title=scan-gate FAIL%3A ${repositoryName}@sha256%3A[0-9a-f]{12}…::1 CRITICAL \\(max 0\\)$`,
          ),
        ),
        expect.stringMatching(
          /^::error title=CVE-2024-0101 \(CRITICAL\)::openssl 3\.0\.1 \(fix unknown\) in .*https:\/\/nvd\.nist\.gov\/vuln\/detail\/CVE-2024-0101$/,
        ),
      ]);
      const text = readFileSync(summary, 'utf8');
      expect(text.startsWith('# earlier step\n### scan-gate: FAIL\n')).toBe(true);
      expect(text).toMatch(/CRITICAL\s+1\s+1\s+0\s+<- over the limit/);
      expect(text).toContain(
        '| [CVE-2024-0101](https://nvd.nist.gov/vuln/detail/CVE-2024-0101) | CRITICAL | openssl | 3.0.1 | unknown |',
      );
    });

    it('keeps stdout one JSON document, the annotations going to stderr', async () => {
      const { repositoryName } = await image({ scanOnPush: true, findings: [critical] });
      const summary = join(dir, 'json-summary.md');

      const result = await gate(['--repository', repositoryName, '--tag', 'v1', '--wait', '30', '--json'], {
        env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
      });

      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'FAIL' });
      expect(result.stderr).toMatch(/^::error title=CVE-2024-0101 \(CRITICAL\)::/m);
      expect(readFileSync(summary, 'utf8')).toContain('### scan-gate: FAIL');
    });

    it('writes neither outside GitHub Actions', async () => {
      const { repositoryName } = await image({ scanOnPush: true, findings: [critical] });
      const summary = join(dir, 'outside.md');

      const result = await gate(['--repository', repositoryName, '--tag', 'v1', '--wait', '30'], {
        env: { GITHUB_STEP_SUMMARY: summary },
      });

      expect(result.code).toBe(1);
      expect(`${result.stdout}${result.stderr}`).not.toContain('::error');
      expect(() => readFileSync(summary)).toThrow(/ENOENT/);
    });
  });

  it('prints a SARIF 2.1.0 log that the official schema accepts', async () => {
    const { repositoryName, imageDigest } = await image({
      scanOnPush: true,
      findings: [
        { name: 'CVE-2024-0201', severity: 'CRITICAL', package: 'openssl', version: '3.0.1' },
        { name: 'CVE-2024-0202', severity: 'LOW', package: 'zlib', version: '1.2.13' },
      ],
    });

    const result = await gate([
      '--repository',
      repositoryName,
      '--tag',
      'v1',
      '--wait',
      '30',
      '--format',
      'sarif',
    ]);

    expect(result.code, result.stderr).toBe(1);
    const log = JSON.parse(result.stdout);
    expect(sarifSchemaErrors(log)).toEqual([]);
    const run = log.runs[0];
    expect(run.tool.driver).toMatchObject({
      name: 'ecr-sentinel',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    // The sandbox scores a CRITICAL basic finding CVSS3 9.8, a LOW one 3.1 (its CVSS3_SCORE attribute).
    expect(run.tool.driver.rules).toEqual([
      expect.objectContaining({
        id: 'CVE-2024-0201',
        helpUri: 'https://nvd.nist.gov/vuln/detail/CVE-2024-0201',
        properties: expect.objectContaining({ 'security-severity': '9.8' }),
      }),
      expect.objectContaining({
        id: 'CVE-2024-0202',
        properties: expect.objectContaining({ 'security-severity': '3.1' }),
      }),
    ]);
    expect(run.results.map((r: { ruleId: string; level: string }) => [r.ruleId, r.level])).toEqual([
      ['CVE-2024-0201', 'error'],
      ['CVE-2024-0202', 'note'],
    ]);
    expect(run.results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(
      `123456789012.dkr.ecr.us-east-1.amazonaws.com/${repositoryName}@${imageDigest}`,
    );
    expect(run.properties).toMatchObject({
      verdict: 'FAIL',
      reason: '1 CRITICAL (max 0)',
      blocking: ['CVE-2024-0201'],
    });
  });

  describe('without a configuration file', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'scan-gate-noconfig-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    // The example config excepts CVE-2023-45853 in web-frontend-* repositories.
    const excepted = { name: 'CVE-2023-45853', severity: 'CRITICAL', package: 'zlib', version: '1.2.13' };

    it('asks for --threshold when there is no configuration at all', async () => {
      const result = await gate(['--repository', 'r-dev', '--tag', 'v1'], { cwd: dir });

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /no --config and no sentinel\.config\.yml here: give --threshold SEVERITY/,
      );
    });

    it('judges with --threshold alone and applies no exceptions', async () => {
      const { repositoryName } = await image({
        scanOnPush: true,
        findings: [excepted],
        name: `web-frontend-${uniqueName('sg')}`,
      });
      const args = [
        '--repository',
        repositoryName,
        '--tag',
        'v1',
        '--wait',
        '30',
        '--threshold',
        'CRITICAL',
        '--json',
      ];

      const withConfig = await gate(args);
      const configless = await gate(args, { cwd: dir });

      expect(withConfig.code, withConfig.stderr).toBe(0);
      expect(JSON.parse(withConfig.stdout).verdict.exceptionsApplied).toMatchObject([
        { cve: 'CVE-2023-45853' },
      ]);
      expect(configless.code, configless.stderr).toBe(1);
      expect(JSON.parse(configless.stdout)).toMatchObject({
        outcome: 'FAIL',
        verdict: { blocking: { ids: ['CVE-2023-45853'] }, exceptionsApplied: [] },
      });
    });
  });
});
