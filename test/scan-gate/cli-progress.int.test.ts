import {
  CreateRepositoryCommand,
  ECRClient,
  PutImageScanningConfigurationCommand,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { awsClientConfig } from '../support/sandbox.ts';
import { progressStates, startGate, until } from './gate-cli.ts';

/**
 * What `scan-gate` says while it waits. A sandbox of its own, whose scans take 3 s (the shared one finishes them
 * in 50 ms, before the gate could look): a scan stays IN_PROGRESS long enough to be seen, polled several times.
 */
describe('scan-gate while it waits', () => {
  let sandbox: Sandbox;
  let ecr: ECRClient;
  const env = {
    AWS_ACCESS_KEY_ID: 'ci',
    AWS_SECRET_ACCESS_KEY: 'ci',
    AWS_REGION: 'us-east-1',
    GITHUB_ACTIONS: '',
  };
  const gate = (args: string[]) =>
    startGate(['scan-gate', '--endpoint-url', sandbox.url, '--stage', 'nothing-deployed', ...args], { env });

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, scanDelayMs: 3_000, quiet: true });
    ecr = new ECRClient(awsClientConfig(sandbox.url));
  }, 90_000);

  afterAll(async () => {
    ecr?.destroy();
    await sandbox?.stop();
  }, 30_000);

  it('says once per change, on stderr, that there is no scan yet, that it runs, that it is done', async () => {
    // Pushed before scan on push was turned on: no scan yet, but the gate expects one and waits.
    const repositoryName = 'progress-dev';
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const { imageDigest } = await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v1');
    await ecr.send(
      new PutImageScanningConfigurationCommand({
        repositoryName,
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );

    const run = gate(['--repository', repositoryName, '--tag', 'v1', '--wait', '60']);
    expect(await until(() => run.stderr().includes('no scan yet'), 30_000), run.stderr()).toBe(true);
    await ecr.send(new StartImageScanCommand({ repositoryName, imageId: { imageDigest } }));
    const result = await run.done;

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/: PASS \(evaluated verdict\)/);
    expect(progressStates(result.stderr)).toEqual([
      'no scan yet (scan on push is on)',
      'scan IN_PROGRESS',
      'scan COMPLETE',
    ]);
    const seconds = [...result.stderr.matchAll(/^scan-gate: .*, (\d+) s$/gm)].map((m) => Number(m[1]));
    // The scan took the sandbox's 3 s between the second line and the third, polled more than once meanwhile.
    expect((seconds[2] ?? 0) - (seconds[1] ?? 0)).toBeGreaterThanOrEqual(2);
    expect(result.stderr).toContain(
      'ecr-sentinel: warning: no verdict table ecr-sentinel-nothing-deployed in us-east-1: judging the scan here',
    );
  }, 90_000);

  it('with --json prints only the JSON on stdout and no progress', async () => {
    const repositoryName = 'progress-json-dev';
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const { imageDigest } = await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v1');
    await ecr.send(
      new PutImageScanningConfigurationCommand({
        repositoryName,
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );

    const run = gate(['--repository', repositoryName, '--tag', 'v1', '--wait', '60', '--json']);
    // Nothing on stderr to watch for: give the gate time to start polling, then start the 3 s scan.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await ecr.send(new StartImageScanCommand({ repositoryName, imageId: { imageDigest } }));
    const result = await run.done;

    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      outcome: 'PASS',
      polls: expect.any(Number),
      noStoredVerdicts: true,
      warnings: ['no verdict table ecr-sentinel-nothing-deployed in us-east-1: judging the scan here'],
    });
    expect(JSON.parse(result.stdout).polls).toBeGreaterThan(1);
    expect(progressStates(result.stderr)).toEqual([]);
  }, 90_000);
});
