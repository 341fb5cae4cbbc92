import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { CleanupChapter } from '../../src/demo/cleanup-chapter.ts';
import type { PromotionChapter } from '../../src/demo/promotion-chapter.ts';
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
        pushes: Array<{ repositoryName: string; imageDigest: string }>;
        scans: Array<{ status: string; severityCounts: Record<string, number> }>;
        images: unknown[];
        events: Array<{ detailType: string; detail: Record<string, unknown> }>;
        invocations: Array<{ function: string; ok: boolean; result: { scan: string } }>;
        inventory: Array<{ repositoryName: string; tags: string[] }>;
        verdicts: Array<{ repositoryName: string; status: string; blocking: string[] }>;
        alerts: {
          email: Array<{ to: string; subject: string; message: string }>;
          slack: Array<{ text: string; blocks: number }>;
          others: string[];
        };
        promotion: PromotionChapter | null;
        cleanup: CleanupChapter | null;
      };
      expect(report.pushes).toHaveLength(3);
      expect(report.images).toHaveLength(3);
      expect(report.scans.map((s) => s.status)).toEqual(['COMPLETE', 'COMPLETE', 'COMPLETE']);
      expect(report.scans[0]?.severityCounts).toEqual({ CRITICAL: 1, HIGH: 1 });
      const pushes = report.events.filter((e) => e.detailType === 'ECR Image Action');
      const scans = report.events.filter((e) => e.detailType === 'ECR Image Scan');
      expect(pushes.map((e) => e.detail['action-type'])).toEqual(['PUSH', 'PUSH', 'PUSH']);
      expect(scans).toHaveLength(3);
      // The pipeline: each PUSH reached on-image-pushed, which recorded it and scanned where needed; each scan
      // reached on-scan-completed; the one failing verdict reached Slack.
      const ran = (fn: string) => report.invocations.filter((i) => i.function === fn);
      expect(report.invocations.every((i) => i.ok)).toBe(true);
      expect(
        ran('onImagePushed')
          .map((i) => i.result.scan)
          .sort(),
      ).toEqual(['scans-on-push', 'scans-on-push', 'started']);
      expect(ran('onScanCompleted')).toHaveLength(3);
      // notifySlack posts every alert: the failing verdict's, and the compliance functions' about the repositories
      // the demo created (the example config's compliance section; report.alerts.others, checked below).
      expect(ran('notifySlack').length).toBeGreaterThanOrEqual(1);
      expect(report.inventory.map((r) => `${r.repositoryName}:${r.tags.join(',')}`).sort()).toEqual([
        'orders-api-dev:1.0.0',
        'orders-api-staging:0.9.0',
        'web-frontend-dev:2.3.1',
      ]);
      // The scan chapter: one vulnerable image fails (CRITICAL over dev's limit of 0), the clean ones pass,
      // and only the failure is alerted, by email and Slack.
      expect(report.verdicts.map((v) => [v.repositoryName, v.status, v.blocking])).toEqual([
        ['orders-api-dev', 'FAIL', ['CVE-2023-45853']],
        ['web-frontend-dev', 'PASS', []],
        ['orders-api-staging', 'PASS', []],
      ]);
      expect(report.alerts.email).toHaveLength(1);
      expect(report.alerts.others.every((subject) => subject.startsWith('[COMPLIANCE'))).toBe(true);
      expect(report.alerts.email[0]).toMatchObject({
        to: 'platform-alerts@example.com',
        subject: expect.stringMatching(
          /^\[FAIL\] orders-api-dev@sha256:[0-9a-f]{12}… \(1\.0\.0\): 1 CRITICAL$/,
        ),
      });
      expect(report.alerts.email[0]?.message).toContain('CVE-2023-45853');
      expect(report.alerts.slack).toHaveLength(1);
      expect(report.alerts.slack[0]?.blocks).toBeGreaterThan(3);

      // The promotion chapter: the clean image dev → staging (copied, its repository created), staging → prod
      // pending until bob approves (alice, the requester, can't), and prod then holds dev's digest.
      const chapter = report.promotion;
      expect(chapter).toMatchObject({ app: 'web-frontend', version: '2.3.1' });
      if (!chapter) throw new Error('no promotion chapter');
      const dev = report.pushes.find((p) => p.repositoryName === 'web-frontend-dev');
      expect(chapter.digest).toBe(dev?.imageDigest);
      const [toStaging, toProd] = chapter.hops;
      expect(chapter.hops.map((h) => `${h.from}→${h.to}`)).toEqual(['dev→staging', 'staging→prod']);
      expect(toStaging?.request.result).toMatchObject({
        outcome: 'completed',
        promotion: { status: 'COMPLETED', digest: chapter.digest, requestedBy: 'alice' },
      });
      const stagingCopy = toStaging?.request.result?.promotion.copy;
      expect(stagingCopy).toMatchObject({ blobsCopied: 2, blobsSkipped: 0, repositoryCreated: true });
      expect(stagingCopy?.bytesCopied).toBeGreaterThan(0);
      expect(toStaging?.selfApproval).toBeUndefined();
      const pending = toProd?.request.result?.promotion;
      expect(toProd?.request.result?.outcome).toBe('pending-approval');
      expect(pending?.status).toBe('PENDING_APPROVAL');
      expect(toProd?.selfApproval?.result).toBeUndefined();
      expect(toProd?.selfApproval?.error).toEqual({
        type: 'PromotionConflictError',
        message: expect.stringMatching(/alice requested promotion .* can't approve it/),
      });
      expect(toProd?.approval?.result).toMatchObject({
        outcome: 'completed',
        promotion: {
          id: pending?.id,
          status: 'COMPLETED',
          digest: chapter.digest,
          requestedBy: 'alice',
          approvedBy: 'bob',
          copy: { repositoryCreated: true },
        },
      });
      expect(chapter.held.map((h) => [h.repositoryName, h.imageDigest])).toEqual([
        ['web-frontend-dev', chapter.digest],
        ['web-frontend-staging', chapter.digest],
        ['web-frontend-prod', chapter.digest],
      ]);
      expect(
        chapter.status.environments.map((e) => [e.environment, e.release?.digest, e.release?.promotedBy]),
      ).toEqual([
        ['dev', undefined, undefined],
        ['staging', chapter.digest, 'alice'],
        ['prod', chapter.digest, 'bob'],
      ]);
      // The failing image is refused with staging's policy: HIGH ≤ 0 blocks the HIGH that dev (≤ 5) allowed.
      expect(chapter.refusal?.result).toMatchObject({
        outcome: 'refused',
        promotion: { status: 'FAILED', gate: { status: 'FAIL' } },
      });
      expect(chapter.refusal?.result?.promotion.gate.blocking.sort()).toEqual([
        'CVE-2023-45853',
        'CVE-2024-6119',
      ]);
      expect(chapter.alerts.approveCommand).toBe(`npx ecr-sentinel approve ${pending?.id} --by <your name>`);
      expect(chapter.alerts.email.map((m) => m.subject.replace(/ .*/, ''))).toEqual([
        '[PROMOTED]',
        '[APPROVAL',
        '[APPROVED]',
        '[PROMOTED]',
        '[PROMOTION',
      ]);
      expect(chapter.alerts.slack).toBe(chapter.alerts.email.length);

      // The cleanup chapter: the config's policy keeps the 3 newest tagged images, untagged ones go after 14
      // days; as of a month later the build ECS runs (1.1.0) is kept with its reason, and apply deletes the plan.
      const cleanup = report.cleanup;
      if (!cleanup) throw new Error('no cleanup chapter');
      const running = cleanup.pushed.find((p) => p.tag === '1.1.0')?.imageDigest;
      expect(cleanup.plan.protected).toEqual([
        expect.objectContaining({
          imageDigest: running,
          reason: expect.stringContaining('ECS service orders'),
        }),
      ]);
      const untagged = cleanup.pushed
        .filter((p) => p.tag === 'latest')
        .slice(0, 2)
        .map((p) => p.imageDigest);
      const expiring = cleanup.plan.previewResults.map((r) => r.imageDigest);
      expect(expiring).toEqual(expect.arrayContaining(untagged));
      expect(expiring).not.toContain(running);
      expect(cleanup.outcome).toMatchObject({
        status: 'cleaned',
        deletedCount: expiring.length,
        failures: [],
      });
      expect(cleanup.left).toHaveLength((cleanup.plan.repositories[0]?.imageCount ?? 0) - expiring.length);
      expect(cleanup.left).toContain(running);
    }
  }, 240_000);

  it('prints a readable report', async () => {
    const result = await runCli(['demo'], { timeoutMs: 120_000 });

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/sandbox ready on http:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toContain('orders-api-dev:1.0.0');
    expect(result.stdout).toMatch(/ECR events that reached EventBridge \(6\)/);
    expect(result.stdout).toMatch(
      /aws\.ecr ECR Image Action -> onImagePushed: orders-api-staging@[0-9a-f]{12} recorded, scan: started/,
    );
    expect(result.stdout).toMatch(
      /orders-api-dev:1\.0\.0 {2}FAIL {2}1 CRITICAL \(max 0\) {2}blocking: CVE-2023-45853/,
    );
    expect(result.stdout).toContain('Alerts sent: 1 email, 1 Slack');
    expect(result.stdout).toMatch(/Promotions: web-frontend 2\.3\.1 dev → staging → prod/);
    expect(result.stdout).toMatch(/completed: web-frontend 2\.3\.1 dev → staging\n/);
    expect(result.stdout).toMatch(/copied +2 blobs \(\d+ B\), 0 already there; 1 manifest/);
    expect(result.stdout).toContain('created repository web-frontend-prod');
    expect(result.stdout).toMatch(/pending approval: web-frontend 2\.3\.1 staging → prod/);
    expect(result.stdout).toMatch(
      /ecr-sentinel: alice requested promotion [0-9A-Z]{26} and can't approve it/,
    );
    expect(result.stdout).toMatch(/by +alice, approved by bob/);
    expect(result.stdout).toMatch(/prod +2\.3\.1 +sha256:[0-9a-f]{12} +PASS .* bob /);
    expect(result.stdout).toContain('ECR holds 2.3.1 as the same digest in 3 of 3 environments');
    expect(result.stdout).toMatch(/REFUSED: orders-api 1\.0\.0 dev → staging/);
    expect(result.stdout).toContain('Promotion alerts sent: 5 email, 5 Slack');
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
