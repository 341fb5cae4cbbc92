import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateRepositoryCommand, DescribeRegistryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { runCli } from '../support/cli.ts';
import { awsClientConfig } from '../support/sandbox.ts';

/**
 * `ecr-sentinel audit --enforce` and `ecr-sentinel repo ensure` as a user runs them, against a sandbox of its
 * own (faults and request counters are sandbox-wide): repositories made by hand with the AWS CLI, fixed, and
 * their new state read back with the AWS CLI.
 */

const run = promisify(execFile);
const env = { AWS_ACCESS_KEY_ID: 'ci', AWS_SECRET_ACCESS_KEY: 'ci', AWS_REGION: 'us-east-1' };

let sandbox: Sandbox;
let ecr: ECRClient;
let admin: ReturnType<typeof sandboxAdmin>;
let configFile = '';
let account = '';
let aws: (...args: string[]) => Promise<{ stdout: string }>;

const LIFECYCLE_TEMPLATE = {
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 50 },
      action: { type: 'expire' },
    },
  ],
};

/** A public statement next to one that grants the account itself, which must survive the fix. */
function policyWithPublicStatement(): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Public', Effect: 'Allow', Principal: '*', Action: ['ecr:BatchGetImage'] },
      {
        Sid: 'OwnAccountPull',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      },
    ],
  });
}

/** The AWS CLI's `create-repository` of a build script: scanning off, mutable tags, a public statement. */
async function createByHand(name: string): Promise<void> {
  await aws(
    'create-repository',
    '--repository-name',
    name,
    '--image-tag-mutability',
    'MUTABLE',
    '--image-scanning-configuration',
    'scanOnPush=false',
  );
  await aws('set-repository-policy', '--repository-name', name, '--policy-text', policyWithPublicStatement());
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
  ecr = new ECRClient(awsClientConfig(sandbox.url));
  admin = sandboxAdmin(sandbox.url);
  account = (await ecr.send(new DescribeRegistryCommand({}))).registryId ?? '';
  const dir = await mkdtemp(join(tmpdir(), 'helperE-enforce-cli-'));
  configFile = join(dir, 'sentinel.config.yml');
  await writeFile(
    configFile,
    `version: 1
repositoryGroups:
  - name: services
    repositories: ["services-*"]
  - name: audited
    repositories: ["audited-*"]
compliance:
  defaults:
    scanning: { frequency: SCAN_ON_PUSH, mode: enforce }
    tagMutability: { mutability: IMMUTABLE_WITH_EXCLUSION, exclusionFilters: [latest], mode: enforce }
    encryption: { type: AES256, mode: enforce }
    lifecyclePolicy:
      mode: enforce
      template: ${JSON.stringify(LIFECYCLE_TEMPLATE)}
    repositoryPolicy: { allowedAccounts: [], mode: enforce }
    resourceTags: { required: [team], values: { team: platform }, mode: enforce }
  groups:
    audited:
      repositoryPolicy: { allowedAccounts: [], mode: audit }
`,
  );
  const awsEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
  };
  aws = (...args: string[]) => run('aws', ['ecr', ...args, '--endpoint-url', sandbox.url], { env: awsEnv });
}, 90_000);

afterAll(async () => {
  ecr?.destroy();
  await sandbox?.stop();
}, 30_000);

afterEach(async () => {
  await admin('DELETE', '/faults');
});

function cli(...args: string[]) {
  return runCli([...args, '--config', configFile, '--endpoint-url', sandbox.url], { env });
}

interface JsonFinding {
  controlId: string;
  status: string;
}
interface JsonAction {
  controlId: string;
  action: string;
  outcome: 'applied' | 'failed';
  error?: string;
  before: unknown;
  after: unknown;
}

const WRITE_ACTION = /^(Create|Put|Set|Delete|Tag|Untag|Update|Batch(Delete|Import))/;

describe('ecr-sentinel audit --enforce', () => {
  it('fixes scanning, mutability and the public statement (keeping the others), then exits 0', async () => {
    // Prepare
    const name = 'services-by-hand';
    await createByHand(name);

    // Act
    const { code, stdout, stderr } = await cli('audit', '--enforce', '--repository', name);

    // Assess: what was done, before -> after, and the state afterwards
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/enforce: 5 actions: 5 applied, 0 failed/);
    expect(stdout).toMatch(
      new RegExp(
        `applied  tag-mutability  PutImageTagMutability  ${name}\\n    before: .*MUTABLE.*\\n    after: `,
      ),
    );
    expect(stdout).toMatch(/applied {2}repository-policy {2}SetRepositoryPolicy/);
    expect(stdout).toMatch(/1 repository, 6 checks: 1 pass, 5 fixed, 0 drift, 0 unknown/);
    expect(stdout).toMatch(
      new RegExp(`${name}\\s+services\\s+fixed\\s+fixed\\s+pass\\s+fixed\\s+fixed\\s+fixed`),
    );

    // The AWS CLI sees the new state
    const described = JSON.parse((await aws('describe-repositories', '--repository-names', name)).stdout);
    expect(described.repositories[0]).toMatchObject({
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
    });
    const policy = JSON.parse(
      JSON.parse((await aws('get-repository-policy', '--repository-name', name)).stdout).policyText,
    );
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['OwnAccountPull']);
    const scanning = JSON.parse(
      (await aws('batch-get-repository-scanning-configuration', '--repository-names', name)).stdout,
    );
    expect(scanning.scanningConfigurations[0].scanFrequency).toBe('SCAN_ON_PUSH');
    const lifecycle = JSON.parse((await aws('get-lifecycle-policy', '--repository-name', name)).stdout);
    expect(JSON.parse(lifecycle.lifecyclePolicyText)).toEqual(LIFECYCLE_TEMPLATE);

    // A plain audit agrees
    expect((await cli('audit', '--repository', name)).code).toBe(0);
  });

  it('leaves the drift of an audit-mode check alone: it stays DRIFT and exits 1', async () => {
    const name = 'audited-by-hand';
    await createByHand(name);

    const { code, stdout } = await cli('audit', '--enforce', '--repository', name);

    expect(code).toBe(1);
    expect(stdout).toMatch(/enforce: 4 actions: 4 applied, 0 failed/);
    expect(stdout).toMatch(
      new RegExp(`${name}\\s+audited\\s+fixed\\s+fixed\\s+pass\\s+fixed\\s+DRIFT\\s+fixed`),
    );
    const policy = JSON.parse(
      JSON.parse((await aws('get-repository-policy', '--repository-name', name)).stdout).policyText,
    );
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['Public', 'OwnAccountPull']);
  });

  it('a failed action is reported failed, the others still applied, and exits 1', async () => {
    // Prepare
    const name = 'services-faulty';
    await createByHand(name);
    await admin('POST', '/faults', {
      service: 'ecr',
      action: 'PutImageTagMutability',
      error: 'AccessDeniedException',
      message: 'not authorized to perform ecr:PutImageTagMutability',
    });

    // Act
    const { code, stdout } = await cli('audit', '--enforce', '--repository', name, '--json');

    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as {
      repositories: { findings: JsonFinding[] }[];
      summary: { drift: number; fixed: number };
      enforcement: { actions: JsonAction[] };
    };
    const outcomes = Object.fromEntries(report.enforcement.actions.map((a) => [a.action, a.outcome]));
    expect(outcomes).toEqual({
      PutRegistryScanningConfiguration: 'applied',
      PutImageTagMutability: 'failed',
      SetRepositoryPolicy: 'applied',
      PutLifecyclePolicy: 'applied',
      TagResource: 'applied',
    });
    const failed = report.enforcement.actions.find((a) => a.outcome === 'failed');
    expect(failed).toMatchObject({
      controlId: 'tag-mutability',
      error: 'AccessDeniedException: not authorized to perform ecr:PutImageTagMutability',
      before: { imageTagMutability: 'MUTABLE' },
    });
    const statuses = Object.fromEntries(
      (report.repositories[0]?.findings ?? []).map((f) => [f.controlId, f.status]),
    );
    expect(statuses).toMatchObject({
      scanning: 'fixed',
      'tag-mutability': 'drift',
      'repository-policy': 'fixed',
    });
    expect(report.summary).toMatchObject({ drift: 1, fixed: 4 });
  });
});

describe('ecr-sentinel repo ensure', () => {
  it('creates the repository compliant; the second run says so and makes no write call', async () => {
    const name = 'services-ensured';

    // Act: the first run creates
    const first = await cli('repo', 'ensure', name);

    // Assess
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      `${name} (group services): created (CreateRepository: IMMUTABLE_WITH_EXCLUSION [latest], AES256, scan on push, tags team=platform)`,
    );
    expect(first.stdout).toMatch(/applied {2}lifecycle-policy {2}PutLifecyclePolicy/);
    expect((await cli('audit', '--repository', name)).code).toBe(0);

    // Act: the second run, counting ECR calls
    await admin('DELETE', '/requests');
    const second = await cli('repo', 'ensure', name, '--json');
    const counts = (await admin('GET', '/requests')) as Record<string, Record<string, number>>;

    // Assess
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      repositoryName: name,
      group: 'services',
      created: null,
      alreadyCompliant: true,
      actions: [],
    });
    const calls = Object.keys(counts.ecr ?? {});
    expect(calls).toContain('DescribeRepositories');
    expect(calls.filter((action) => WRITE_ACTION.test(action))).toEqual([]);
    const text = await cli('repo', 'ensure', name);
    expect(text.stdout).toContain(`${name} (group services): already compliant, nothing changed`);
  });

  it('brings an existing repository to its desired state through enforcement, whatever the mode', async () => {
    const name = 'audited-ensured';
    await createByHand(name);

    const { code, stdout } = await cli('repo', 'ensure', name);

    expect(code).toBe(0);
    expect(stdout).toContain(`${name} (group audited): exists, brought to its desired state`);
    expect(stdout).toMatch(/applied {2}repository-policy {2}SetRepositoryPolicy/);
    expect(stdout).toMatch(/5 fixed, 0 drift/);
  });

  it('reports the encryption drift of an existing repository, which it cannot fix: exit 1', async () => {
    const name = 'services-kms';
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: name,
        imageTagMutability: 'IMMUTABLE',
        encryptionConfiguration: { encryptionType: 'KMS' },
      }),
    );

    const { code, stdout } = await cli('repo', 'ensure', name);

    expect(code).toBe(1);
    expect(stdout).toMatch(/encryption: encryption can't change after creation/);
    expect(stdout).toMatch(new RegExp(`${name}\\s+services\\s+fixed\\s+pass\\s+DRIFT`));
  });

  it('a bad NAME is exit 2, naming it, with no call made', async () => {
    const { code, stdout, stderr } = await cli('repo', 'ensure', 'Bad_Name!');

    expect(code).toBe(2);
    expect(stderr).toMatch(/NAME: "Bad_Name!" is not an ECR repository name/);
    expect(stdout).toBe('');
  });

  it('--help says what is created and the exit codes, loading no SDK', async () => {
    const { code, stdout } = await runCli(['repo', 'ensure', '--help']);

    expect(code).toBe(0);
    expect(stdout).toContain('already');
    expect(stdout).toMatch(/Exit codes: 0 the repository complies/);
  });
});
