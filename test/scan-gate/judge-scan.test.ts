import { describe, expect, it } from 'vitest';
import type { AlertDocument } from '../../src/notifications/index.ts';
import type { Finding } from '../../src/scan-gate/domain/findings.ts';
import type { PolicyConfig } from '../../src/scan-gate/domain/policy.ts';
import type { Verdict } from '../../src/scan-gate/domain/verdict.ts';
import type { ScanCompletedEvent } from '../../src/scan-gate/events.ts';
import { judgeScan } from '../../src/scan-gate/judge-scan.ts';
import type { ScanFindingsReader, ScanResult, VerdictStore } from '../../src/scan-gate/ports.ts';
import { ImageGoneError } from '../../src/shared/errors.ts';
import { DIGEST, finding, NOW } from './verdict-fixtures.ts';

/** The use case with in-memory fakes of its ports (no SDK): ordering and skips. */

const CONFIG: PolicyConfig & { exceptions: [] } = {
  scanGate: {
    defaults: { thresholds: { CRITICAL: 0, HIGH: 0 } },
    groups: {},
    environments: { prod: { enforcement: 'untag', untagTags: ['latest'] } },
  },
  repositoryGroups: [],
  environments: [{ name: 'prod', repositoryTemplate: '{app}-{env}' }],
  exceptions: [],
};

function event(over: { repository?: string; status?: string; time?: string } = {}): ScanCompletedEvent {
  return {
    account: '123456789012',
    region: 'us-east-1',
    time: over.time ?? '2026-06-01T11:59:00Z',
    source: 'aws.ecr',
    'detail-type': 'ECR Image Scan',
    detail: {
      'scan-status': over.status ?? 'COMPLETE',
      'repository-name': over.repository ?? 'web',
      'image-digest': DIGEST,
      'image-tags': ['v1'],
      'finding-severity-counts': {},
    },
  };
}

function fakes(scan: ScanResult | Error, stored?: Verdict) {
  const calls: string[] = [];
  const saved: Verdict[] = [];
  let latest = stored;
  const reader: ScanFindingsReader = {
    async read() {
      calls.push('read');
      if (scan instanceof Error) throw scan;
      return scan;
    },
  };
  const store: VerdictStore = {
    async latest() {
      calls.push('latest');
      return latest;
    },
    async save(verdict) {
      calls.push('save');
      latest = verdict;
      saved.push(verdict);
    },
  };
  const published: AlertDocument[] = [];
  let failPublish = false;
  const deps = {
    reader,
    store,
    publisher: {
      async publish(alert: AlertDocument) {
        calls.push('publish');
        if (failPublish) throw new Error('SNS throttled');
        published.push(alert);
        return { messageId: `m${published.length}` };
      },
    },
    tagger: {
      async untag(_repository: string, _digest: string, tags: readonly string[]) {
        calls.push('untag');
        return { removed: [...tags], skipped: [] };
      },
    },
    config: CONFIG,
    clock: { now: () => NOW },
  };
  return {
    judge: judgeScan(deps),
    calls,
    saved,
    published,
    failPublishing: (fail: boolean) => {
      failPublish = fail;
    },
  };
}

const complete = (findings: Finding[]): ScanResult => ({
  scanStatus: 'COMPLETE',
  findings,
  scanCompletedAt: new Date('2026-06-01T11:58:00Z'),
});

describe('judgeScan', () => {
  it('publishes, then stores: 4 calls for a new failing image', async () => {
    const f = fakes(complete([finding('CVE-1', 'CRITICAL')]));

    const summary = await f.judge(event());

    expect(summary).toMatchObject({ outcome: 'judged', status: 'FAIL', alert: 'new', alertMessageId: 'm1' });
    expect(f.calls).toEqual(['read', 'latest', 'publish', 'save']);
    expect(f.saved[0]?.scanCompletedAt).toBe('2026-06-01T11:58:00.000Z');
  });

  it('does not lose the alert when publishing fails: nothing is stored, the retry sends it', async () => {
    const f = fakes(complete([finding('CVE-1', 'CRITICAL')]));
    f.failPublishing(true);

    await expect(f.judge(event())).rejects.toThrow('SNS throttled');
    f.failPublishing(false);
    const retry = await f.judge(event());

    expect(f.saved).toHaveLength(1);
    expect(retry.alert).toBe('new');
    expect(f.published).toHaveLength(1);
  });

  it('sends nothing for an identical re-evaluation but still records it', async () => {
    const f = fakes(complete([finding('CVE-1', 'CRITICAL')]));
    await f.judge(event());

    const again = await f.judge(event());

    expect(again.alert).toBe('none');
    expect(f.published).toHaveLength(1);
    expect(f.saved).toHaveLength(2);
  });

  it('judges a failed scan from the event alone (ERROR, fail closed) without reading findings', async () => {
    const f = fakes(new Error('must not be called'));

    const summary = await f.judge(event({ status: 'FAILED' }));

    expect(summary).toMatchObject({ status: 'ERROR', reason: 'scan FAILED', alert: 'new' });
    expect(f.calls).not.toContain('read');
  });

  it('skips a failed-scan event older than the scan the stored verdict judged', async () => {
    const f = fakes(complete([]));
    await f.judge(event());

    const summary = await f.judge(event({ status: 'FAILED', time: '2026-06-01T10:00:00Z' }));

    expect(summary.outcome).toBe('stale');
    expect(f.saved).toHaveLength(1);
  });

  it('skips an image deleted since its scan, and a scan superseded by a running rescan', async () => {
    const gone = fakes(new ImageGoneError('gone'));
    const running = fakes({ scanStatus: 'IN_PROGRESS', findings: undefined });

    expect(await gone.judge(event())).toMatchObject({ outcome: 'image-gone', alert: 'none' });
    expect(await running.judge(event())).toMatchObject({ outcome: 'scan-in-progress' });
    expect([...gone.calls, ...running.calls]).toEqual(['read', 'read']);
  });

  it('untags a failing image where the policy enforces untag, and not a passing one', async () => {
    const failing = fakes(complete([finding('CVE-1', 'HIGH')]));
    const passing = fakes(complete([]));

    const fail = await failing.judge(event({ repository: 'web-prod' }));
    const pass = await passing.judge(event({ repository: 'web-prod' }));

    expect(fail.untagged).toEqual(['latest']);
    expect(failing.calls).toEqual(['read', 'latest', 'publish', 'untag', 'save']);
    expect(pass.untagged).toEqual([]);
    expect(passing.calls).not.toContain('untag');
  });
});
