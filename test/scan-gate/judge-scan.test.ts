import { describe, expect, it } from 'vitest';
import type { AlertDocument } from '../../src/notifications/index.ts';
import type { Finding } from '../../src/scan-gate/domain/findings.ts';
import type { PolicyConfig } from '../../src/scan-gate/domain/policy.ts';
import type { Verdict } from '../../src/scan-gate/domain/verdict.ts';
import { ForeignRegistryError, type ScanCompletedEvent } from '../../src/scan-gate/events.ts';
import { EnforcementError, judgeScan } from '../../src/scan-gate/judge-scan.ts';
import type {
  AlertClaim,
  AlertClaims,
  ImageChecker,
  ScanFindingsReader,
  ScanResult,
  VerdictStore,
} from '../../src/scan-gate/ports.ts';
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

function event(
  over: { repository?: string; status?: string; time?: string; tags?: string[] } = {},
): ScanCompletedEvent {
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
      'image-tags': over.tags ?? ['v1'],
      'finding-severity-counts': {},
    },
  };
}

/** An AWS SDK error as the SDK raises it: the error code is its name. */
function awsError(code: string): Error {
  return Object.assign(new Error(`Rate exceeded (${code})`), { name: code, $metadata: {} });
}

/**
 * {@link AlertClaims} in memory, with the conditional write's semantics: a claim is taken when absent, or when
 * unpublished and its lease is over (a released claim's lease is 0).
 */
function memoryClaims(calls: string[]) {
  const items = new Map<string, { owner: string; kind: string; leaseUntil: number; published: boolean }>();
  let owners = 0;
  const id = (claim: Pick<AlertClaim, 'key'>) => JSON.stringify(claim.key);
  const claims: AlertClaims = {
    async claim(key, request) {
      calls.push('claim');
      const now = request.now.getTime();
      const item = items.get(id({ key }));
      const takeOver = item !== undefined && !item.published && item.leaseUntil < now;
      if (request.takeOverOnly ? !takeOver : item !== undefined && !takeOver) return undefined;
      const owner = `owner-${++owners}`;
      const kind = item?.kind ?? request.kind;
      items.set(id({ key }), { owner, kind, leaseUntil: now + request.leaseMs, published: false });
      return { key, owner, kind };
    },
    async published(claim) {
      calls.push('published');
      const item = items.get(id(claim));
      if (item) item.published = true;
    },
    async release(claim) {
      calls.push('release');
      const item = items.get(id(claim));
      if (item?.owner === claim.owner && !item.published) item.leaseUntil = 0;
    },
  };
  return { claims, items };
}

/** The account and Region the fake function runs in, those of {@link event}. */
const HOME = { accountId: '123456789012', region: 'us-east-1' };

function fakes(
  scan: ScanResult | Error,
  stored?: Verdict,
  options: { imageExists?: boolean; tagsOnImage?: readonly string[] } = {},
) {
  const calls: string[] = [];
  const saved: Verdict[] = [];
  let latest = stored;
  let failSave: Error | undefined;
  let failUntag: Error | undefined;
  const { claims, items: claimItems } = memoryClaims(calls);
  const reader: ScanFindingsReader & ImageChecker = {
    async read() {
      calls.push('read');
      if (scan instanceof Error) throw scan;
      return scan;
    },
    async exists() {
      calls.push('exists');
      return options.imageExists ?? true;
    },
  };
  const store: VerdictStore = {
    async latest() {
      calls.push('latest');
      return latest;
    },
    async save(verdict) {
      calls.push('save');
      if (failSave) throw failSave;
      latest = verdict;
      saved.push(verdict);
    },
  };
  const published: AlertDocument[] = [];
  let failPublish = false;
  const deps = {
    reader,
    store,
    claims,
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
        if (failUntag) throw failUntag;
        const on = options.tagsOnImage ?? tags;
        return { removed: tags.filter((t) => on.includes(t)), skipped: tags.filter((t) => !on.includes(t)) };
      },
    },
    config: CONFIG,
    clock: { now: () => NOW },
  };
  const judge = judgeScan(deps);
  return {
    judge: (scanEvent: ScanCompletedEvent, home: typeof HOME & { stage?: string } = HOME) =>
      judge(scanEvent, home),
    calls,
    saved,
    published,
    failPublishing: (fail: boolean) => {
      failPublish = fail;
    },
    failSaving: (error: Error | undefined) => {
      failSave = error;
    },
    failUntagging: (error: Error | undefined) => {
      failUntag = error;
    },
    latest: () => latest,
    claimItems,
  };
}

const complete = (findings: Finding[]): ScanResult => ({
  scanStatus: 'COMPLETE',
  findings,
  scanCompletedAt: new Date('2026-06-01T11:58:00Z'),
});

describe('judgeScan', () => {
  it('claims the alert, stores, then publishes and records it published', async () => {
    const f = fakes(complete([finding('CVE-1', 'CRITICAL')]));

    const summary = await f.judge(event());

    expect(summary).toMatchObject({ outcome: 'judged', status: 'FAIL', alert: 'new', alertMessageId: 'm1' });
    expect(f.calls).toEqual(['read', 'latest', 'claim', 'save', 'publish', 'published']);
    expect(f.saved[0]?.scanCompletedAt).toBe('2026-06-01T11:58:00.000Z');
  });

  it('stores and enforces even when publishing fails, and does not lose the alert: the retry sends it, once', async () => {
    const f = fakes(complete([finding('CVE-1', 'CRITICAL')]));
    f.failPublishing(true);

    await expect(f.judge(event({ repository: 'web-prod' }))).rejects.toThrow('SNS throttled');
    const firstAttempt = [...f.calls];
    f.failPublishing(false);
    const retry = await f.judge(event({ repository: 'web-prod' }));
    const replay = await f.judge(event({ repository: 'web-prod' }));

    expect(firstAttempt).toEqual(['read', 'latest', 'claim', 'save', 'untag', 'publish', 'release']);
    expect(f.latest()?.status).toBe('FAIL');
    expect([retry.alert, replay.alert]).toEqual(['new', 'none']);
    expect(f.published.map((a) => a.kind)).toEqual(['new']);
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
    expect(f.calls[0]).toBe('exists');
  });

  it.each(['FAILED', 'UNSUPPORTED_IMAGE'])(
    'skips a %s scan event of an image the registry does not hold: nothing stored, no alert',
    async (status) => {
      const f = fakes(new Error('must not be called'), undefined, { imageExists: false });

      const summary = await f.judge(event({ status, repository: 'no-such-repository' }));

      expect(summary).toMatchObject({ outcome: 'image-gone', alert: 'none' });
      expect(f.calls).toEqual(['exists']);
      expect(f.saved).toEqual([]);
      expect(f.published).toEqual([]);
    },
  );

  it.each([
    [
      'another account',
      { accountId: '999999999999', region: 'us-east-1' },
      'account 123456789012 region us-east-1',
    ],
    [
      'another Region',
      { accountId: '123456789012', region: 'eu-west-1' },
      'account 123456789012 region us-east-1',
    ],
  ])('refuses a scan of %s than its own before any call', async (_case, home, named) => {
    const f = fakes(complete([finding('CVE-1', 'CRITICAL')]));

    const judged = f.judge(event(), home);

    await expect(judged).rejects.toThrow(ForeignRegistryError);
    await expect(judged).rejects.toThrow(named);
    expect(f.calls).toEqual([]);
  });

  it('refuses an Inspector2 scan whose repository ARN names another account or Region, naming it', async () => {
    const f = fakes(complete([finding('CVE-1', 'CRITICAL')]));
    const enhanced = (arn: string): ScanCompletedEvent => ({
      account: '123456789012',
      region: 'us-east-1',
      source: 'aws.inspector2',
      'detail-type': 'Inspector2 Scan',
      detail: {
        'scan-status': 'INITIAL_SCAN_COMPLETE',
        'repository-name': arn,
        'image-digest': DIGEST,
        'image-tags': [],
        'finding-severity-counts': {},
      },
    });

    const foreignAccount = f.judge(enhanced('arn:aws:ecr:us-east-1:210987654321:repository/web'));
    const foreignRegion = f.judge(enhanced('arn:aws:ecr:eu-west-1:123456789012:repository/web'));
    const own = await f.judge(enhanced('arn:aws:ecr:us-east-1:123456789012:repository/web'));

    await expect(foreignAccount).rejects.toThrow('account 210987654321 region us-east-1');
    await expect(foreignRegion).rejects.toThrow('account 123456789012 region eu-west-1');
    expect(own).toMatchObject({ outcome: 'judged', status: 'FAIL' });
    expect(f.published.map((alert) => alert.accountId)).toEqual(['123456789012']);
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
    expect(failing.calls).toEqual(['read', 'latest', 'claim', 'save', 'untag', 'publish', 'published']);
    expect(pass.untagged).toEqual([]);
    expect(passing.calls).not.toContain('untag');
  });

  it('alerts after the untag: the alert names the removed tag and no longer lists it on the image', async () => {
    const f = fakes(complete([finding('CVE-1', 'HIGH')]));

    await f.judge(event({ repository: 'web-prod', tags: ['v1', 'latest'] }));

    const [alert] = f.published;
    expect(alert?.enforcement).toEqual({
      action: 'untag',
      tags: ['latest'],
      removed: ['latest'],
      skipped: [],
    });
    expect(alert?.imageTags).toEqual(['v1']);
    expect(alert?.subject).toMatch(/: 1 HIGH; removed tag latest$/);
    expect(alert).toMatchObject({ environment: 'prod' });
  });

  it('names a tag the untag skipped and why', async () => {
    const f = fakes(complete([finding('CVE-1', 'HIGH')]), undefined, { tagsOnImage: [] });

    const summary = await f.judge(event({ repository: 'web-prod' }));

    expect(summary.untagSkipped).toEqual(['latest']);
    expect(f.published[0]?.enforcement?.skipped).toEqual([
      { tag: 'latest', reason: expect.stringContaining('not on this image') },
    ]);
    expect(f.published[0]?.subject).toMatch(/; no tag removed$/);
  });

  it('names the stage it was given with the account and Region', async () => {
    const f = fakes(complete([finding('CVE-1', 'CRITICAL')]));

    await f.judge(event(), { ...HOME, stage: 'prod' });

    expect(f.published[0]).toMatchObject({ accountId: '123456789012', region: 'us-east-1', stage: 'prod' });
  });

  it('lists in a RESOLVED alert the CVEs that no longer block', async () => {
    const f = fakes(complete([finding('CVE-1', 'CRITICAL'), finding('CVE-2', 'HIGH')]));
    await f.judge(event({ time: '2026-06-01T11:59:00Z' }));
    const fixedScan = fakes(complete([]), f.latest());

    await fixedScan.judge(event({ time: '2026-06-02T11:59:00Z' }));

    expect(fixedScan.published[0]).toMatchObject({
      kind: 'resolved',
      fixed: { count: 2, ids: ['CVE-1', 'CVE-2'] },
    });
    expect(fixedScan.published[0]?.fixed?.details.map((d) => d.severity)).toEqual(['CRITICAL', 'HIGH']);
  });

  describe('exactly one alert per change, whatever fails after the claim', () => {
    const failing = () => complete([finding('CVE-1', 'HIGH')]);

    it('alerts once across three attempts when the untag keeps failing, stores the verdict, and alerts the failure once', async () => {
      const f = fakes(failing());
      f.failUntagging(awsError('ThrottlingException'));

      const attempts = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        attempts.push(await f.judge(event({ repository: 'web-prod' })).catch((error: unknown) => error));
      }

      expect(attempts.every((e) => e instanceof EnforcementError)).toBe(true);
      expect((attempts[0] as Error).message).toBe(
        'could not remove tag latest: ThrottlingException, will retry',
      );
      expect(f.published.map((a) => a.kind)).toEqual(['new', 'enforcement-failed']);
      expect(f.published[0]?.enforcement).toMatchObject({
        removed: [],
        error: 'could not remove tag latest: ThrottlingException, will retry',
      });
      expect(f.published[0]?.subject).toMatch(/; could not remove tag latest$/);
      expect(f.published[1]).toMatchObject({
        status: 'FAIL',
        reason: 'could not remove tag latest: ThrottlingException, will retry',
      });
      expect(f.published[1]?.subject).toContain('could not remove tag latest');
      expect(f.latest()?.status).toBe('FAIL');
      expect(f.calls.filter((c) => c === 'untag')).toHaveLength(3);
      expect((attempts[2] as EnforcementError).summary).toMatchObject({ outcome: 'judged', alert: 'none' });
    });

    it('alerts once across three attempts when storing keeps failing, and still enforces', async () => {
      const f = fakes(failing());
      f.failSaving(awsError('ProvisionedThroughputExceededException'));

      for (let attempt = 1; attempt <= 3; attempt++) {
        await expect(f.judge(event({ repository: 'web-prod' }))).rejects.toThrow('Rate exceeded');
      }

      expect(f.published.map((a) => a.kind)).toEqual(['new']);
      expect(f.calls.filter((c) => c === 'untag')).toHaveLength(3);
    });

    it('sends one alert for three concurrent copies of one event', async () => {
      const f = fakes(failing());

      const copies = await Promise.all([f.judge(event()), f.judge(event()), f.judge(event())]);

      expect(f.published).toHaveLength(1);
      expect(copies.map((c) => c.alert).sort()).toEqual(['new', 'none', 'none']);
    });

    it('gives the claim up when publishing fails, so the retry publishes it, once', async () => {
      const f = fakes(failing());
      f.failPublishing(true);

      await expect(f.judge(event())).rejects.toThrow('SNS throttled');
      f.failPublishing(false);
      const retry = await f.judge(event());
      const again = await f.judge(event());

      expect(f.calls.slice(0, 6)).toEqual(['read', 'latest', 'claim', 'save', 'publish', 'release']);
      expect([retry.alert, again.alert]).toEqual(['new', 'none']);
      expect(f.published).toHaveLength(1);
    });

    it('publishes an alert a failed copy left unpublished when a concurrent copy stored the verdict first', async () => {
      // Prepare: one copy claims and fails to publish, the other loses the claim; both store the verdict.
      const f = fakes(failing());
      f.failPublishing(true);
      const [first, second] = await Promise.allSettled([f.judge(event()), f.judge(event())]);
      expect([first.status, second.status].sort()).toEqual(['fulfilled', 'rejected']);
      expect(f.latest()?.status).toBe('FAIL');
      f.failPublishing(false);

      // Act: the failed copy's retry finds the evaluation stored.
      const retry = await f.judge(event());
      const replay = await f.judge(event());

      // Assess: it takes the given-up claim over and sends the alert (kind as first decided); a replay does not.
      expect(retry.alert).toBe('new');
      expect(replay.alert).toBe('none');
      expect(f.published.map((a) => a.kind)).toEqual(['new']);
    });

    it('starts no alert for a replay of a stored evaluation that needed none', async () => {
      const f = fakes(complete([]));
      await f.judge(event());

      const replay = await f.judge(event());

      expect(replay.alert).toBe('none');
      expect(f.published).toHaveLength(0);
      expect(f.claimItems.size).toBe(0);
    });
  });
});
