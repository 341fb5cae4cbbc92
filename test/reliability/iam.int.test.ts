import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateRepositoryCommand,
  ECRClient,
  PutRegistryScanningConfigurationCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Denial } from '../../src/sandbox/edge/iam.ts';
import type { LambdaRuntime } from '../../src/sandbox/runtime/index.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { PROJECT_ROOT } from '../../src/shared/project-root.ts';
import { pushEvent } from '../inventory/malformed-push-events.ts';
import { enhancedScanEvent } from '../scan-gate/malformed-scan-events.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { startFunctionUnderTest } from '../support/runtime.ts';
import { awsClientConfig } from '../support/sandbox.ts';

/**
 * The sandbox holds each function's calls to its execution role from serverless.yml, so a permission missing from
 * the template fails here as it would in AWS. Each case runs a function twice: with the template as written (its
 * calls are allowed) and with one permission taken out of its role (the call that needs it is refused, named).
 * The registry scans ENHANCED here, where reading findings also needs inspector2:ListFindings, so this file runs a
 * sandbox of its own.
 */

const SERVERLESS = readFileSync(join(PROJECT_ROOT, 'serverless.yml'), 'utf8');
const ACCOUNT = '123456789012';

let sandbox: Sandbox;
let ecr: ECRClient;
let workDir: string;
const runtimes: LambdaRuntime[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
  ecr = new ECRClient(awsClientConfig(sandbox.url));
  await ecr.send(new PutRegistryScanningConfigurationCommand({ scanType: 'ENHANCED', rules: [] }));
  workDir = mkdtempSync(join(tmpdir(), 'iam-'));
}, 90_000);

afterAll(async () => {
  for (const runtime of runtimes) await runtime.stop();
  await sandbox?.stop();
  ecr?.destroy();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}, 30_000);

/**
 * serverless.yml with `from` replaced by `to` inside one role's definition only.
 * @throws when `from` is not in that role (the test would prove nothing)
 */
function withoutPermission(role: string, from: string, to: string): string {
  const start = SERVERLESS.indexOf(`\n      ${role}:\n`);
  const end = SERVERLESS.indexOf('\n      ', SERVERLESS.indexOf('Policies:', start) + 1);
  const nextRole = SERVERLESS.slice(end).search(/\n {6}[A-Za-z]+:\n/);
  const roleEnd = nextRole === -1 ? SERVERLESS.length : end + nextRole;
  const block = SERVERLESS.slice(start, roleEnd);
  if (start === -1 || !block.includes(from)) throw new Error(`${role} does not grant ${from}`);
  const file = join(workDir, `${role}-${to.replace(/\W/g, '')}.yml`);
  writeFileSync(file, SERVERLESS.slice(0, start) + block.replace(from, to) + SERVERLESS.slice(roleEnd));
  return file;
}

async function start(functionName: string, stage: string, serverlessFile?: string) {
  const runtime = await startFunctionUnderTest(functionName, stage, {
    endpoint: sandbox.url,
    ...(serverlessFile ? { serverlessFile, serviceDir: PROJECT_ROOT } : {}),
  });
  runtimes.push(runtime);
  return runtime;
}

async function denials(functionName: string): Promise<Denial[]> {
  const { denials } = (await sandboxAdmin(sandbox.url)('GET', 'iam/denials')) as { denials: Denial[] };
  return denials.filter((d) => d.function === functionName);
}

async function pushed(repositoryName: string) {
  await ecr.send(new CreateRepositoryCommand({ repositoryName }));
  return pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v1');
}

describe('the IAM-enforcing runtime', () => {
  it('runs on-image-pushed as the template grants it, and refuses its DescribeImages once the role lacks it', async () => {
    // Prepare
    const repositoryName = 'iam-pushed';
    const { imageDigest } = await pushed(repositoryName);
    const event = pushEvent({ repositoryName, imageDigest, imageTag: 'v1' });
    const granted = await start('onImagePushed', 'iampush');
    const lacking = await start(
      'onImagePushed',
      'iampushx',
      withoutPermission('OnImagePushedRole', '- ecr:DescribeImages', '- ecr:ListImages'),
    );
    const grantedName = granted.functions[0]?.deployedName ?? '';
    const lackingName = lacking.functions[0]?.deployedName ?? '';

    // Act
    const allowed = await granted.invoke('onImagePushed', event);
    const refused = await lacking.invoke('onImagePushed', event);

    // Assert
    expect(allowed).toEqual({ ok: true, result: expect.anything() });
    expect(await denials(grantedName)).toEqual([]);
    expect(refused.ok).toBe(false);
    expect(refused.error?.errorMessage).toContain(
      `is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${repositoryName}`,
    );
    expect(await denials(lackingName)).toContainEqual(
      expect.objectContaining({
        action: 'ecr:DescribeImages',
        resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${repositoryName}`,
        principalArn: expect.stringMatching(
          new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/[^/]+/${lackingName}$`),
        ),
      }),
    );
  }, 60_000);

  it('needs inspector2:ListFindings to read enhanced findings: on-scan-completed without it is refused', async () => {
    // Prepare
    const repositoryName = 'iam-enhanced';
    const { imageDigest } = await pushed(repositoryName);
    const event = enhancedScanEvent({ repositoryName, imageDigest, imageTags: ['v1'] });
    const granted = await start('onScanCompleted', 'iamscan');
    const lacking = await start(
      'onScanCompleted',
      'iamscanx',
      withoutPermission('OnScanCompletedRole', 'inspector2:ListFindings', 'inspector2:ListCoverage'),
    );
    const grantedName = granted.functions[0]?.deployedName ?? '';
    const lackingName = lacking.functions[0]?.deployedName ?? '';

    // Act
    const allowed = await granted.invoke('onScanCompleted', event);
    const refused = await lacking.invoke('onScanCompleted', event);

    // Assert
    expect(allowed.ok).toBe(true);
    expect(await denials(grantedName)).toEqual([]);
    expect(refused.ok).toBe(false);
    expect(await denials(lackingName)).toContainEqual(
      expect.objectContaining({ action: 'inspector2:ListFindings', resource: '*' }),
    );
  }, 60_000);
});
