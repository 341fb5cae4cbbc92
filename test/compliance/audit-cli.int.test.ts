import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateRepositoryCommand, ECRClient, PutLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { runCli } from '../support/cli.ts';
import { awsClientConfig } from '../support/sandbox.ts';

/**
 * `ecr-sentinel audit` as a user runs it, against a sandbox of its own (faults are sandbox-wide, and an audit
 * without --repository reads every repository): a repository made with the AWS CLI that drifts on every check
 * it can, and one made compliant with the SDK.
 */

const run = promisify(execFile);
const env = { AWS_ACCESS_KEY_ID: 'ci', AWS_SECRET_ACCESS_KEY: 'ci', AWS_REGION: 'us-east-1' };
const DRIFTING = 'services-drifting';
const COMPLIANT = 'services-compliant';

let sandbox: Sandbox;
let ecr: ECRClient;
let admin: ReturnType<typeof sandboxAdmin>;
let configFile = '';

const CAPS_ALL = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 50 },
      action: { type: 'expire' },
    },
  ],
});

/** Caps untagged images only: tagged images are kept forever. */
const UNTAGGED_ONLY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
  ],
});

const PUBLIC_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Public', Effect: 'Allow', Principal: '*', Action: ['ecr:BatchGetImage'] }],
});

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
  ecr = new ECRClient(awsClientConfig(sandbox.url));
  admin = sandboxAdmin(sandbox.url);
  const dir = await mkdtemp(join(tmpdir(), 'audit-cli-'));
  configFile = join(dir, 'sentinel.config.yml');
  // The compliance part of sentinel.config.yml, without depending on the example's exact content.
  await writeFile(
    configFile,
    `version: 1
repositoryGroups:
  - name: services
    repositories: ["services-*"]
compliance:
  defaults:
    scanning: { frequency: SCAN_ON_PUSH }
    tagMutability: { mutability: IMMUTABLE_WITH_EXCLUSION, exclusionFilters: [latest] }
    encryption: { type: AES256 }
    lifecyclePolicy: { capUntagged: true, capTagged: true }
    repositoryPolicy: { allowedAccounts: [] }
    resourceTags:
      required: [team, cost-center]
      allowedValues: { cost-center: ["1000", "2000"] }
  registry:
    replication: { rules: [] }
`,
  );

  // As the scenario: made by hand with the AWS CLI, scanning off and mutable tags.
  const awsEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
  };
  const aws = (...args: string[]) =>
    run('aws', ['ecr', ...args, '--endpoint-url', sandbox.url], { env: awsEnv });
  await aws(
    'create-repository',
    '--repository-name',
    DRIFTING,
    '--image-tag-mutability',
    'MUTABLE',
    '--image-scanning-configuration',
    'scanOnPush=false',
  );
  await aws('set-repository-policy', '--repository-name', DRIFTING, '--policy-text', PUBLIC_POLICY);
  await aws('put-lifecycle-policy', '--repository-name', DRIFTING, '--lifecycle-policy-text', UNTAGGED_ONLY);

  await ecr.send(
    new CreateRepositoryCommand({
      repositoryName: COMPLIANT,
      imageScanningConfiguration: { scanOnPush: true },
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
      tags: [
        { Key: 'team', Value: 'platform' },
        { Key: 'cost-center', Value: '1000' },
      ],
    }),
  );
  await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: COMPLIANT, lifecyclePolicyText: CAPS_ALL }));
}, 90_000);

afterAll(async () => {
  ecr?.destroy();
  await sandbox?.stop();
}, 30_000);

afterEach(async () => {
  await admin('DELETE', '/faults');
});

function audit(...args: string[]) {
  return runCli(['audit', '--config', configFile, '--endpoint-url', sandbox.url, ...args], { env });
}

interface JsonFinding {
  controlId: string;
  status: string;
  expected: string;
  actual: string;
  fix?: string;
  error?: string;
}

describe('ecr-sentinel audit', () => {
  it('exits 1 and names each drift of a drifting repository, with expected, actual and the fix', async () => {
    // Act
    const { code, stdout, stderr } = await audit('--repository', DRIFTING);

    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toMatch(/1 repository, 7 checks: 2 pass, 5 drift, 0 unknown/);
    expect(stdout).toMatch(
      new RegExp(`${DRIFTING}\\s+services\\s+DRIFT\\s+DRIFT\\s+pass\\s+DRIFT\\s+DRIFT\\s+DRIFT`),
    );
    expect(stdout).toContain(`  ${DRIFTING}  tag-mutability\n    expected: `);
    expect(stdout).toMatch(/actual:\s+MUTABLE/);
    expect(stdout).toMatch(/fix:\s+set tag mutability to IMMUTABLE_WITH_EXCLUSION/);
    expect(stdout).toMatch(
      new RegExp(`fix:\\s+add ${DRIFTING} to the registry's SCAN_ON_PUSH scanning rule`),
    );
    expect(stdout).toMatch(/tagged images are not all capped/);
    expect(stdout).toContain('offending statement: Sid "Public"');
    expect(stdout).toMatch(/replication\s+replication\s+pass/);
  });

  it('exits 0 for a compliant repository, every check passing', async () => {
    const { code, stdout, stderr } = await audit('--repository', COMPLIANT);

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/1 repository, 7 checks: 7 pass, 0 drift, 0 unknown/);
    expect(stdout).not.toContain('DRIFT');
  });

  it('--json prints the audit report, naming each check of each repository', async () => {
    const { code, stdout } = await audit('--json');

    expect(code).toBe(1);
    const report = JSON.parse(stdout) as {
      registryId: string;
      repositories: { repositoryName: string; group: string; findings: JsonFinding[] }[];
      registry: JsonFinding[];
      summary: { drift: number; unknown: number; driftedRepositories: string[] };
    };
    const byRepository = Object.fromEntries(
      report.repositories.map((r) => [
        r.repositoryName,
        Object.fromEntries(r.findings.map((f) => [f.controlId, f.status])),
      ]),
    );
    expect(byRepository).toEqual({
      [COMPLIANT]: {
        scanning: 'pass',
        'tag-mutability': 'pass',
        encryption: 'pass',
        'lifecycle-policy': 'pass',
        'repository-policy': 'pass',
        'resource-tags': 'pass',
      },
      [DRIFTING]: {
        scanning: 'drift',
        'tag-mutability': 'drift',
        encryption: 'pass',
        'lifecycle-policy': 'drift',
        'repository-policy': 'drift',
        'resource-tags': 'drift',
      },
    });
    expect(report.registry.map((f) => [f.controlId, f.status])).toEqual([['replication', 'pass']]);
    expect(report.summary).toMatchObject({ drift: 5, unknown: 0, driftedRepositories: [DRIFTING] });
    const tags = report.repositories.find((r) => r.repositoryName === DRIFTING)?.findings.at(-1);
    expect(tags).toMatchObject({ controlId: 'resource-tags', actual: 'no tags', fix: expect.any(String) });
  });

  it('a check whose read fails is unknown, not drift, and exits 2', async () => {
    // Prepare: ECR refuses GetLifecyclePolicy (not retryable, so the CLI's SDK gives up at once)
    await admin('POST', '/faults', {
      service: 'ecr',
      action: 'GetLifecyclePolicy',
      error: 'AccessDeniedException',
      message: 'not authorized to perform ecr:GetLifecyclePolicy',
    });

    // Act
    const text = await audit('--repository', COMPLIANT);
    const json = await audit('--repository', COMPLIANT, '--json');

    // Assess
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/6 pass, 0 drift, 1 unknown/);
    expect(text.stdout).toMatch(
      new RegExp(`${COMPLIANT}\\s+services\\s+pass\\s+pass\\s+pass\\s+unknown\\s+pass\\s+pass`),
    );
    expect(text.stdout).toContain(
      'error:    GetLifecyclePolicy: AccessDeniedException: not authorized to perform ecr:GetLifecyclePolicy',
    );
    expect(json.code).toBe(2);
    const finding = (
      JSON.parse(json.stdout) as { repositories: { findings: JsonFinding[] }[] }
    ).repositories[0]?.findings.find((f) => f.controlId === 'lifecycle-policy');
    expect(finding).toMatchObject({
      status: 'unknown',
      error: 'GetLifecyclePolicy: AccessDeniedException: not authorized to perform ecr:GetLifecyclePolicy',
    });
    expect(finding?.fix).toBeUndefined();
  });

  it('drift with an unknown check still exits 1: drift is a definite answer', async () => {
    await admin('POST', '/faults', {
      service: 'ecr',
      action: 'ListTagsForResource',
      error: 'AccessDeniedException',
    });

    const { code, stdout } = await audit('--repository', DRIFTING);

    expect(code).toBe(1);
    expect(stdout).toMatch(/2 pass, 4 drift, 1 unknown/);
  });

  it.each([
    [
      ['--repository', 'Not_A Repository!'],
      /--repository: "Not_A Repository!" is not an ECR repository name/,
    ],
    [['--repository', 'services-nonexistent'], /--repository: .*services-nonexistent/],
  ])('a bad --repository (%j) is a usage error, exit 2, naming the option', async (args, message) => {
    const { code, stdout, stderr } = await audit(...args);

    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
  });

  it('a missing config file is exit 2, naming the file', async () => {
    const missing = join(tmpdir(), 'audit-cli-no-such-config.yml');

    const { code, stderr } = await runCli(['audit', '--config', missing, '--endpoint-url', sandbox.url], {
      env,
    });

    expect(code).toBe(2);
    expect(stderr).toContain(missing);
  });

  it('a config without compliance checks is exit 2: nothing to audit', async () => {
    const bare = join(tmpdir(), `audit-cli-bare-${process.pid}.yml`);
    await writeFile(bare, 'version: 1\n');

    const { code, stderr } = await runCli(['audit', '--config', bare, '--endpoint-url', sandbox.url], {
      env,
    });

    expect(code).toBe(2);
    expect(stderr).toMatch(/configures no compliance check/);
  });

  it('--help says what is checked and where the desired state comes from, loading no SDK', async () => {
    const { code, stdout } = await runCli(['audit', '--help']);

    expect(code).toBe(0);
    expect(stdout).toContain('lifecycle-policy');
    expect(stdout).toContain('compliance.groups.G');
    expect(stdout).toMatch(/Exit codes: 0 every check passes; 1 drift/);
  });
});
