import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { gateOutcome, pollDelayMs, withThresholdOverride } from '../../src/scan-gate/domain/ci-gate.ts';
import { isScanPending } from '../../src/scan-gate/domain/scan-status.ts';
import type { Verdict } from '../../src/scan-gate/domain/verdict.ts';
import type { GateProgress } from '../../src/scan-gate/gate-image.ts';
import { gateImage } from '../../src/scan-gate/gate-image.ts';
import type { ScanResult } from '../../src/scan-gate/ports.ts';
import type { ScanSettings } from '../../src/shared/ecr/scan-settings.ts';
import { DIGEST, finding, policy } from './verdict-fixtures.ts';

describe('scan gate rules', () => {
  it.each([
    ['CRITICAL', { CRITICAL: 0 }],
    ['HIGH', { CRITICAL: 0, HIGH: 0 }],
    ['LOW', { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0 }],
  ] as const)(
    '--threshold %s allows nothing at that severity or worse and anything below',
    (threshold, expected) => {
      expect(withThresholdOverride(policy({ thresholds: { MEDIUM: 3 } }), threshold).thresholds).toEqual(
        expected,
      );
    },
  );

  it.each([
    ['IN_PROGRESS', true],
    ['PENDING', true],
    ['COMPLETE', false],
    ['ACTIVE', false],
    ['FAILED', false],
    ['UNSUPPORTED_IMAGE', false],
  ])('a scan %s is pending: %s', (status, pending) => {
    expect(isScanPending(status)).toBe(pending);
  });

  it.each([
    [{ status: 'PASS' as const }, 'PASS'],
    [{ status: 'FAIL' as const }, 'FAIL'],
    [{ status: 'ERROR' as const }, 'ERROR'],
    [undefined, 'TIMEOUT'],
  ])('the outcome of %j is %s', (verdict, outcome) => {
    expect(gateOutcome(verdict)).toBe(outcome);
  });

  it.each([
    [0, 60_000, 250],
    [3, 60_000, 2_000],
    [10, 60_000, 5_000],
    [10, 1_200, 1_200],
    [0, -5, 0],
  ])('poll %i with %i ms left waits %i ms', (attempt, remaining, delay) => {
    expect(pollDelayMs(attempt, remaining)).toBe(delay);
  });
});

describe('scan gate use case (ports faked in memory)', () => {
  const config = parseConfig(
    'version: 1\nscanGate:\n  defaults:\n    thresholds: { CRITICAL: 0, HIGH: 0 }\n',
  );

  function setup(options: {
    scans: ScanResult[];
    stored?: Verdict;
    tags?: Record<string, string>;
    coverage?: Partial<ScanSettings>;
    pipeline?: boolean;
  }) {
    let now = Date.parse('2026-11-26T10:00:00Z');
    const slept: number[] = [];
    const progress: GateProgress[] = [];
    let coverageReads = 0;
    let reads = 0;
    const run = gateImage({
      registry: {
        resolveTag: async (_repo, tag) => options.tags?.[tag],
        describeImage: async (_repo, digest) => (digest === DIGEST ? { tags: ['v1'] } : undefined),
      },
      scans: {
        read: async () => options.scans[Math.min(reads++, options.scans.length - 1)] as ScanResult,
      },
      verdicts: { latest: async () => options.stored },
      coverage: {
        read: async () => {
          coverageReads++;
          return {
            repositoryScanOnPush: true,
            registryScanType: 'BASIC',
            registryRules: [],
            ...options.coverage,
          };
        },
      },
      pipelineStartsScans: async () => options.pipeline ?? false,
      config,
      clock: { now: () => new Date(now) },
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
      onProgress: (p) => progress.push(p),
    });
    return { run, slept, progress, coverageReads: () => coverageReads };
  }

  const complete = (findings: ScanResult['findings']): ScanResult => ({ scanStatus: 'COMPLETE', findings });
  const pending: ScanResult = { scanStatus: 'IN_PROGRESS', findings: undefined };

  it('waits with backoff until the scan completes, then passes a clean image', async () => {
    const { run, slept } = setup({ scans: [pending, pending, complete([])], tags: { v1: DIGEST } });

    const result = await run({ repositoryName: 'shop-dev', imageTag: 'v1', waitSeconds: 60 });

    expect(result).toMatchObject({ outcome: 'PASS', imageDigest: DIGEST, source: 'evaluated', polls: 3 });
    expect(slept).toEqual([250, 500]);
  });

  it('fails an image with a finding over the configured threshold and names it', async () => {
    const { run } = setup({ scans: [complete([finding('CVE-2024-1', 'HIGH')])] });

    const result = await run({ repositoryName: 'shop-dev', imageDigest: DIGEST, waitSeconds: 5 });

    expect(result.outcome).toBe('FAIL');
    expect(result.verdict?.blocking.ids).toEqual(['CVE-2024-1']);
  });

  it('applies --threshold instead of the configured thresholds', async () => {
    const { run } = setup({ scans: [complete([finding('CVE-2024-1', 'HIGH')])] });

    const result = await run({
      repositoryName: 'shop-dev',
      imageDigest: DIGEST,
      threshold: 'CRITICAL',
      waitSeconds: 5,
    });

    expect(result.outcome).toBe('PASS');
  });

  it('fails closed with ERROR when the scan failed', async () => {
    const { run } = setup({
      scans: [{ scanStatus: 'FAILED', scanStatusDescription: 'boom', findings: undefined }],
    });

    expect((await run({ repositoryName: 'shop-dev', imageDigest: DIGEST, waitSeconds: 5 })).outcome).toBe(
      'ERROR',
    );
  });

  it('times out when the scan does not finish within --wait', async () => {
    const { run, slept } = setup({ scans: [pending] });

    const result = await run({ repositoryName: 'shop-dev', imageDigest: DIGEST, waitSeconds: 3 });

    expect(result.outcome).toBe('TIMEOUT');
    expect(slept.reduce((a, b) => a + b, 0)).toBe(3_000);
  });

  it('uses the stored verdict for the digest without waiting', async () => {
    const stored = { status: 'FAIL', blocking: { ids: ['CVE-1'], details: [] } } as unknown as Verdict;
    const { run, slept } = setup({ scans: [pending], stored });

    const result = await run({ repositoryName: 'shop-dev', imageDigest: DIGEST, waitSeconds: 60 });

    expect(result).toMatchObject({ outcome: 'FAIL', source: 'stored', polls: 0 });
    expect(slept).toEqual([]);
  });

  const notFound: ScanResult = { scanStatus: 'SCAN_NOT_FOUND', findings: undefined };

  it('reports each change of the scan while it waits, not each poll', async () => {
    const { run, progress } = setup({ scans: [notFound, notFound, pending, pending, pending, complete([])] });

    const result = await run({ repositoryName: 'shop-dev', imageDigest: DIGEST, waitSeconds: 60 });

    expect(result).toMatchObject({ outcome: 'PASS', polls: 6 });
    expect(progress).toEqual([
      { scanStatus: 'SCAN_NOT_FOUND', elapsedSeconds: 0, expected: 'scan on push is on' },
      { scanStatus: 'IN_PROGRESS', elapsedSeconds: 0 },
      { scanStatus: 'COMPLETE', elapsedSeconds: 7 },
    ]);
  });

  it('reports nothing when the scan was finished at the first look', async () => {
    const { run, progress } = setup({ scans: [complete([])] });

    await run({ repositoryName: 'shop-dev', imageDigest: DIGEST, waitSeconds: 60 });

    expect(progress).toEqual([]);
  });

  it('answers ERROR at once, saying what to run, when nothing will ever scan the image', async () => {
    const { run, slept, progress } = setup({ scans: [notFound], coverage: { repositoryScanOnPush: false } });

    const result = await run({ repositoryName: 'shop-dev', imageDigest: DIGEST, waitSeconds: 300 });

    expect(result).toEqual({
      outcome: 'ERROR',
      repositoryName: 'shop-dev',
      imageDigest: DIGEST,
      message: `no scan started: enable scan on push or run aws ecr start-image-scan --repository-name shop-dev --image-id imageDigest=${DIGEST}`,
      polls: 1,
    });
    expect(slept).toEqual([]);
    expect(progress).toEqual([]);
  });

  it('waits for the scan the deployed pipeline starts, reading the scanning settings once', async () => {
    const { run, coverageReads } = setup({
      scans: [notFound, notFound, complete([])],
      coverage: { repositoryScanOnPush: false },
      pipeline: true,
    });

    const result = await run({ repositoryName: 'shop-dev', imageDigest: DIGEST, waitSeconds: 60 });

    expect(result.outcome).toBe('PASS');
    expect(coverageReads()).toBe(1);
  });

  it('answers ERROR naming the tag when no image has it', async () => {
    const { run } = setup({ scans: [pending] });

    const result = await run({ repositoryName: 'shop-dev', imageTag: 'nope', waitSeconds: 1 });

    expect(result).toMatchObject({
      outcome: 'ERROR',
      message: 'no image tagged nope in repository shop-dev',
    });
  });
});
