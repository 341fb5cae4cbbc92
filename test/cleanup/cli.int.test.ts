import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';
import { createSentinelTable } from '../support/table.ts';

/** `ecr-sentinel cleanup plan | apply` as a user runs them: offline on snapshot files, and against the sandbox. */

const env = { AWS_ACCESS_KEY_ID: 'ci', AWS_SECRET_ACCESS_KEY: 'ci', AWS_REGION: 'us-east-1' };
const ecr = new ECRClient(awsClientConfig());
const dynamo = new DynamoDBClient(awsClientConfig());
const tableName = uniqueName('cleanup-cli');
let dir = '';
let configFile = '';
let policyFile = '';
let snapshotFile = '';

const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const MiB = 1024 * 1024;

/** What `aws ecr describe-images` prints (CLI v2 timestamps). */
const SNAPSHOT = {
  imageDetails: [
    { n: 1, tags: undefined, at: '2026-09-01T10:00:00+00:00' },
    { n: 2, tags: ['v1'], at: '2026-10-01T10:00:00+00:00' },
    { n: 3, tags: ['v2', 'latest'], at: '2026-11-20T10:00:00+00:00' },
    { n: 4, tags: ['release-1'], at: '2026-08-01T10:00:00+00:00' },
  ].map(({ n, tags, at }) => ({
    registryId: '123456789012',
    repositoryName: 'orders-api-dev',
    imageDigest: digest(n),
    ...(tags ? { imageTags: tags } : {}),
    imageSizeInBytes: 100 * MiB,
    imagePushedAt: at,
    imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
  })),
};

const POLICY = {
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
    {
      rulePriority: 2,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
      action: { type: 'expire' },
    },
  ],
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cleanup-cli-'));
  configFile = join(dir, 'sentinel.config.yml');
  policyFile = join(dir, 'policy.json');
  snapshotFile = join(dir, 'orders-api-dev.json');
  await writeFile(
    configFile,
    `version: 1
cleanup:
  maxDeletions: { images: 100, percent: 100 }
  defaults:
    protect:
      minAgeDays: 3
      keepTagPatterns: ['release-*']
      inUse: { lambda: false, inspector: false }
      promoted: false
`,
  );
  await writeFile(policyFile, JSON.stringify(POLICY));
  await writeFile(snapshotFile, JSON.stringify(SNAPSHOT));
  await createSentinelTable(dynamo, tableName);
}, 60_000);

afterAll(() => {
  ecr.destroy();
  dynamo.destroy();
});

function cli(args: string[]) {
  return runCli(['cleanup', ...args, '--config', configFile], { env });
}

describe('cleanup plan, offline', () => {
  it('plans from a snapshot and a policy file with no AWS at all, in preview field names', async () => {
    // Act
    const { code, stdout, stderr } = await runCli(
      [
        'cleanup',
        'plan',
        '--config',
        configFile,
        '--snapshot',
        snapshotFile,
        '--policy',
        `file://${policyFile}`,
        '--now',
        '2026-11-27T12:00:00Z',
        '--json',
      ],
      // No credentials and an endpoint nothing listens on: any AWS call would fail the command.
      { env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } },
    );

    // Assert
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const plan = JSON.parse(stdout);
    expect(plan.signals).toEqual([]);
    expect(plan.previewResults).toEqual([
      {
        repositoryName: 'orders-api-dev',
        imageDigest: digest(1),
        imageTags: [],
        imagePushedAt: '2026-09-01T10:00:00.000Z',
        imageSizeInBytes: 100 * MiB,
        action: { type: 'EXPIRE' },
        appliedRulePriority: 1,
        storageClass: 'STANDARD',
      },
      expect.objectContaining({ imageDigest: digest(2), appliedRulePriority: 2 }),
    ]);
    expect(plan.protected).toEqual([
      expect.objectContaining({
        imageDigest: digest(4),
        reason: 'tag release-1 matches keepTagPatterns release-*',
      }),
    ]);
    expect(plan.summary).toEqual({
      expiringImageTotalCount: 2,
      transitioningImageTotalCount: 0,
      bytesReclaimed: 200 * MiB,
      monthlySavingsUsd: 0.02,
      skippedRepositoryCount: 0,
      refusedRepositoryCount: 0,
    });
  });

  it('prints a table per repository, then the expiring images', async () => {
    const { code, stdout } = await cli([
      'plan',
      '--snapshot',
      snapshotFile,
      '--policy',
      policyFile,
      '--now',
      '2026-11-27T12:00:00Z',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('offline: running images and promotions not read');
    expect(stdout).toMatch(/orders-api-dev\s+4\s+1\s+1\s+2\s+0\.20\s+\$0\.02/);
    expect(stdout).toContain('total: 2 images expiring (200.0 MiB, $0.02/month)');
    expect(stdout).toContain('<untagged>');
  });

  it.each([
    [['plan', '--now', 'yesterday'], '--now: expected an ISO 8601 time'],
    [['plan', '--repository', 'Bad Name'], '--repository: "Bad Name" is not an ECR repository name'],
    [['plan', '--snapshot', '/nonexistent.json', '--policy', '/nonexistent.json'], 'not found'],
    [['plan', '--limit', 'many'], '--limit: expected a whole number'],
    [['apply', '--snapshot', '/x.json'], '--snapshot: apply reads the registry itself'],
  ])('refuses %j naming the bad input (exit 2)', async (args, message) => {
    const { code, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('names the rule and field of an invalid policy file', async () => {
    const bad = join(dir, 'bad-policy.json');
    await writeFile(
      bad,
      JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 },
            action: { type: 'expire' },
          },
        ],
      }),
    );
    const { code, stderr } = await cli(['plan', '--snapshot', snapshotFile, '--policy', bad]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /--policy .*bad-policy\.json: not a valid lifecycle policy:\n\s+rule 1: selection/,
    );
  });

  it('prints errors as JSON with --json', async () => {
    const { code, stdout } = await cli(['plan', '--now', 'soon', '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({
      error: { type: 'UsageError', message: expect.stringContaining('--now') },
    });
  });
});

describe('cleanup plan and apply, against the registry', () => {
  it('plans with the repository’s config, then apply --yes deletes exactly the plan', async () => {
    // Prepare: three tagged images; the policy keeps the newest one.
    const repositoryName = uniqueName('cleanup-cli');
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const pushed: string[] = [];
    for (const tag of ['a1', 'a2', 'a3'])
      pushed.push(
        (await pushImage(ecr, repositoryName, sampleImage(`${repositoryName}-${tag}`), tag)).imageDigest,
      );
    const args = [
      '--repository',
      repositoryName,
      '--policy',
      policyFile,
      '--table',
      tableName,
      '--endpoint-url',
      sandboxUrl(),
      // Images pushed now are younger than minAgeDays (3): judge them as of a week later.
      '--now',
      new Date(Date.now() + 7 * 86_400_000).toISOString(),
    ];

    // Act
    const planned = await cli(['plan', ...args, '--json']);
    const applied = await cli(['apply', ...args, '--yes', '--json']);

    // Assert
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout);
    expect(plan.signals).toEqual(['ecs']);
    expect(plan.previewResults.map((r: { imageDigest: string }) => r.imageDigest).sort()).toEqual(
      [pushed[0], pushed[1]].sort(),
    );
    expect(applied.code, applied.stderr).toBe(0);
    const result = JSON.parse(applied.stdout);
    expect(result.outcomes).toEqual([
      expect.objectContaining({ repositoryName, status: 'cleaned', deletedCount: 2, failures: [] }),
    ]);
    const left = await ecr.send(new DescribeImagesCommand({ repositoryName }));
    expect(left.imageDetails?.map((i) => i.imageDigest)).toEqual([pushed[2]]);
  }, 60_000);
});
