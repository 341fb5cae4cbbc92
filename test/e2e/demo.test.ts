import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, runCli } from '../support/cli.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe('npm start (ecr-sentinel demo)', () => {
  it('pushes, scans and reports, and works twice in a row', async () => {
    for (const run of [1, 2]) {
      const result = await runCli(['demo', '--json'], { timeoutMs: 120_000 });

      expect(result.code, `run ${run}: ${result.stderr}`).toBe(0);
      const report = JSON.parse(result.stdout) as {
        pushes: unknown[];
        scans: Array<{ status: string; severityCounts: Record<string, number> }>;
        images: unknown[];
        events: Array<{ detailType: string; detail: Record<string, unknown> }>;
        invocations: Array<{ function: string; ok: boolean; result: { scan: string } }>;
        inventory: Array<{ repositoryName: string; tags: string[] }>;
      };
      expect(report.pushes).toHaveLength(3);
      expect(report.images).toHaveLength(3);
      expect(report.scans.map((s) => s.status)).toEqual(['COMPLETE', 'COMPLETE', 'COMPLETE']);
      expect(report.scans[0]?.severityCounts).toEqual({ CRITICAL: 1, HIGH: 1 });
      const pushes = report.events.filter((e) => e.detailType === 'ECR Image Action');
      const scans = report.events.filter((e) => e.detailType === 'ECR Image Scan');
      expect(pushes.map((e) => e.detail['action-type'])).toEqual(['PUSH', 'PUSH', 'PUSH']);
      expect(scans).toHaveLength(3);
      // The pipeline: each PUSH reached on-image-pushed, which recorded it and scanned where needed.
      expect(report.invocations.map((i) => [i.function, i.ok])).toEqual([
        ['onImagePushed', true],
        ['onImagePushed', true],
        ['onImagePushed', true],
      ]);
      expect(report.invocations.map((i) => i.result.scan).sort()).toEqual([
        'scans-on-push',
        'scans-on-push',
        'started',
      ]);
      expect(report.inventory.map((r) => `${r.repositoryName}:${r.tags.join(',')}`).sort()).toEqual([
        'orders-api-dev:1.0.0',
        'orders-api-staging:0.9.0',
        'web-frontend-dev:2.3.1',
      ]);
    }
  }, 240_000);

  it('prints a readable report', async () => {
    const result = await runCli(['demo'], { timeoutMs: 120_000 });

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/sandbox ready on http:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toContain('orders-api-dev:1.0.0');
    expect(result.stdout).toMatch(/ECR events that reached EventBridge \(6\)/);
    expect(result.stdout).toContain(
      'aws.ecr ECR Image Action -> onImagePushed: orders-api-staging recorded, scan: started',
    );
    expect(result.stdout).toContain('Sandbox stopped.');
  }, 120_000);

  it('leaves no process behind on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['bin/ecr-sentinel.js', 'demo'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    expect(await waitUntil(() => /sandbox ready on (\S+)/.test(stdout), 60_000)).toBe(true);
    const url = /sandbox ready on (\S+)/.exec(stdout)?.[1] ?? '';
    const health = (await (await fetch(`${url}/_sandbox/health`)).json()) as { motoPid: number };
    const motoPid = health.motoPid;
    expect(isAlive(motoPid)).toBe(true);
    child.kill('SIGINT');

    expect(await exited).toBe(130);
    expect(await waitUntil(() => !isAlive(motoPid), 5_000)).toBe(true);
  }, 120_000);
});
