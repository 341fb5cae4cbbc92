import { describe, expect, it } from 'vitest';
import type { RepositoryImage } from '../../src/cleanup/domain/images.ts';
import { parseLifecyclePolicyOrThrow } from '../../src/cleanup/domain/lifecycle-policy.ts';
import { planRepository, skippedPlan } from '../../src/cleanup/domain/plan.ts';
import type { CleanupPlan } from '../../src/cleanup/plan-cleanup.ts';
import { planJson, planJsonPieces } from '../../src/cleanup/plan-report.ts';

const NOW = new Date('2026-11-27T12:00:00Z');
const DAY = 86_400_000;

/** Untagged images expire after a day; `nightly-*` go to archive after 30 days; `keep-*` are kept by tag. */
const POLICY = parseLifecyclePolicyOrThrow({
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
      action: { type: 'expire' },
    },
    {
      rulePriority: 2,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['nightly-*'],
        countType: 'sinceImagePushed',
        countUnit: 'days',
        countNumber: 30,
      },
      action: { type: 'transition', targetStorageClass: 'archive' },
    },
    {
      rulePriority: 3,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5 },
      action: { type: 'expire' },
    },
  ],
});

function repository(name: string, count: number) {
  const images: RepositoryImage[] = Array.from({ length: count }, (_, n) => ({
    digest: `sha256:${name.length.toString(16)}${n.toString(16).padStart(63, '0')}`,
    tags: n % 3 === 0 ? [] : n % 3 === 1 ? [`nightly-${n}`] : [`keep-${n}`, `v${n}`],
    pushedAt: NOW.getTime() - (n + 2) * DAY,
    storageClass: 'standard',
    sizeBytes: 1000 + n,
  }));
  return planRepository({
    repositoryName: name,
    images,
    policy: POLICY,
    protect: { minAgeDays: 0, keepTagPatterns: ['keep-*'] },
    uses: [],
    doubts: [],
    maxDeletions: { images: 1_000_000, percent: 100 },
    pricePerGbMonth: 0.1,
    now: NOW,
  });
}

describe('planJsonPieces', () => {
  it('prints exactly what JSON.stringify prints of planJson, in pieces, over several repositories', () => {
    const plan: CleanupPlan = {
      now: NOW.toISOString(),
      signals: ['ecs'],
      repositories: [
        { plan: repository('orders', 700), policySource: 'repository' },
        { plan: skippedPlan('payments', 10, 'not cleaned on doubt: ecs: throttled') },
        { plan: repository('web', 450), policySource: 'file' },
      ],
    };
    const json = planJson(plan);
    // Long enough lists to be printed a slice at a time, of both kinds and protected images too.
    expect(json.previewResults.length).toBeGreaterThan(600);
    expect(json.previewResults.some((r) => r.action.type === 'TRANSITION')).toBe(true);
    expect(json.protected.length).toBeGreaterThan(300);
    const pieces = [...planJsonPieces(plan)];
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join('')).toBe(`${JSON.stringify(json, null, 2)}\n`);
    const extra = { runId: 'r-1', outcomes: [{ repositoryName: 'orders', deleted: 3 }] };
    expect([...planJsonPieces(plan, extra)].join('')).toBe(
      `${JSON.stringify({ ...json, ...extra }, null, 2)}\n`,
    );
  });
});
