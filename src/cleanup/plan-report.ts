/**
 * How a cleanup plan reads: `--json` in GetLifecyclePolicyPreview's field names plus bytes and dollars (so tools
 * that read ECR's preview read ours), and a table per repository followed by the expiring images on a terminal.
 */

import { JsonSlices, jsonPieces, textTable } from '../shared/cli.ts';
import { humanBytes, usd } from '../shared/units.ts';
import type { PlannedImage, ProtectedImage } from './domain/plan.ts';
import type { CleanupPlan, PlannedRepository } from './plan-cleanup.ts';

// The two builders below write every key in place rather than spreading a shared part: a plan lists each of
// a repository's images (100,000 and more), and the spreads were most of the time `--json` took.

function previewResult(repositoryName: string, planned: PlannedImage) {
  const { image } = planned;
  const result: {
    repositoryName: string;
    imageDigest: string;
    imageTags: string[];
    imagePushedAt: string;
    imageSizeInBytes: number;
    action: PlannedImage['action'];
    appliedRulePriority: number;
    storageClass: 'ARCHIVE' | 'STANDARD';
    note?: string;
  } = {
    // An image as GetLifecyclePolicyPreview names its fields, plus the repository.
    repositoryName,
    imageDigest: image.digest,
    imageTags: image.tags.slice(),
    imagePushedAt: new Date(image.pushedAt).toISOString(),
    imageSizeInBytes: image.sizeBytes,
    action: { ...planned.action },
    appliedRulePriority: planned.appliedRulePriority,
    storageClass: image.storageClass === 'archive' ? 'ARCHIVE' : 'STANDARD',
  };
  if (planned.note !== undefined) result.note = planned.note;
  return result;
}

function protectedResult(repositoryName: string, kept: ProtectedImage) {
  const { image } = kept;
  return {
    repositoryName,
    imageDigest: image.digest,
    imageTags: image.tags.slice(),
    imagePushedAt: new Date(image.pushedAt).toISOString(),
    imageSizeInBytes: image.sizeBytes,
    appliedRulePriority: kept.appliedRulePriority,
    reason: kept.reasons.join('; '),
  };
}

/** Per-repository figures, the same in JSON and in the table. */
function repositoryRow(entry: PlannedRepository) {
  const { plan } = entry;
  return {
    repositoryName: plan.repositoryName,
    status: plan.status,
    ...(plan.reason === undefined ? {} : { reason: plan.reason }),
    ...(entry.policySource === undefined ? {} : { policySource: entry.policySource }),
    imageCount: plan.imageCount,
    keptCount: plan.keptCount,
    protectedCount: plan.protected.length,
    expiringCount: plan.expiring.length,
    transitioningCount: plan.transitioning.length,
    bytesReclaimed: plan.bytesReclaimed,
    monthlySavingsUsd: plan.monthlySavingsUsd,
  };
}

/** The repositories whose plan would act (not skipped, not refused). */
function acting(plan: CleanupPlan): PlannedRepository[] {
  return plan.repositories.filter((r) => r.plan.status === 'planned');
}

/** One repository's part of a list in the document: an array, or a plan's PlannedImages. */
interface Part<T> {
  readonly repositoryName: string;
  readonly items: { readonly length: number; at(k: number): T | undefined };
}

/** The parts one after another as one list, each item made (by `make`) only when its slice is. */
function slicesOf<T, R>(
  parts: readonly Part<T>[],
  make: (repositoryName: string, item: T) => R,
): JsonSlices<R> {
  const length = parts.reduce((n, p) => n + p.items.length, 0);
  return new JsonSlices(length, (start, end) => {
    const out: R[] = [];
    let offset = 0;
    for (const part of parts) {
      const from = Math.max(start - offset, 0);
      const to = Math.min(end - offset, part.items.length);
      for (let k = from; k < to; k++) out.push(make(part.repositoryName, part.items.at(k) as T));
      offset += part.items.length;
      if (offset >= end) break;
    }
    return out;
  });
}

/** The `--json` document of a plan, its image lists made a slice at a time when printed. */
function planDocument(plan: CleanupPlan) {
  const active = acting(plan);
  const part = <T>(r: PlannedRepository, items: Part<T>['items']): Part<T> => ({
    repositoryName: r.plan.repositoryName,
    items,
  });
  const previewResults = slicesOf(
    [...active.map((r) => part(r, r.plan.expiring)), ...active.map((r) => part(r, r.plan.transitioning))],
    previewResult,
  );
  const expiringCount = active.reduce((n, r) => n + r.plan.expiring.length, 0);
  const bytesReclaimed = active.reduce((n, r) => n + r.plan.bytesReclaimed, 0);
  const monthlySavingsUsd = Math.round(active.reduce((n, r) => n + r.plan.monthlySavingsUsd, 0) * 100) / 100;
  return {
    now: plan.now,
    signals: [...plan.signals],
    repositories: plan.repositories.map(repositoryRow),
    previewResults,
    protected: slicesOf(
      plan.repositories.map((r) => part(r, r.plan.protected)),
      protectedResult,
    ),
    summary: {
      expiringImageTotalCount: expiringCount,
      transitioningImageTotalCount: previewResults.length - expiringCount,
      bytesReclaimed,
      monthlySavingsUsd,
      skippedRepositoryCount: plan.repositories.filter((r) => r.plan.status === 'skipped').length,
      refusedRepositoryCount: plan.repositories.filter((r) => r.plan.status === 'refused').length,
    },
  };
}

/** The `--json` document of a plan. */
export function planJson(plan: CleanupPlan) {
  const document = planDocument(plan);
  return {
    ...document,
    previewResults: document.previewResults.toJSON(),
    protected: document.protected.toJSON(),
  };
}

/** The `summary` of {@link planJson}, without making the image lists. */
export function planSummary(plan: CleanupPlan): PlanJson['summary'] {
  return planDocument(plan).summary;
}

/**
 * What `--json` prints, in pieces: the same text as `JSON.stringify(planJson(plan), null, 2)`, each image's
 * entry made only when its piece is, so a plan of 100,000 images is never in memory twice. `extra` keys go last.
 */
export function planJsonPieces(plan: CleanupPlan, extra: Record<string, unknown> = {}): Iterable<string> {
  return jsonPieces({ ...planDocument(plan), ...extra });
}

/** The JSON document's type (what `--json` prints). */
export type PlanJson = ReturnType<typeof planJson>;

const gb = (bytes: number) => (bytes / 1024 ** 3).toFixed(2);

/** The human form: one row per repository, then the images each would lose (at most `limit` listed per repository). */
export function planText(plan: CleanupPlan, options: { limit?: number } = {}): string {
  const limit = options.limit ?? 50;
  const json = planDocument(plan);
  const rows = json.repositories.map((r) => [
    r.repositoryName,
    String(r.imageCount),
    String(r.keptCount),
    String(r.protectedCount),
    String(r.expiringCount + r.transitioningCount),
    gb(r.bytesReclaimed),
    usd(r.monthlySavingsUsd),
    r.status === 'planned' ? '' : `${r.status.toUpperCase()}: ${r.reason ?? ''}`,
  ]);
  const out: string[] = [];
  out.push(
    plan.signals.length > 0
      ? `protections read: ${plan.signals.join(', ')} (and age, tags, structure)`
      : 'offline: running images and promotions not read (age, tags and structure only)',
  );
  out.push(
    textTable(['REPOSITORY', 'IMAGES', 'KEPT', 'PROTECTED', 'EXPIRING', 'GB', '$/MONTH', 'NOTE'], rows, [
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'left',
    ]).trimEnd(),
  );
  const s = json.summary;
  out.push(
    `total: ${s.expiringImageTotalCount} images expiring (${humanBytes(s.bytesReclaimed)}, ${usd(s.monthlySavingsUsd)}/month)` +
      (s.transitioningImageTotalCount > 0 ? `, ${s.transitioningImageTotalCount} to archive` : '') +
      (s.skippedRepositoryCount + s.refusedRepositoryCount > 0
        ? `; ${s.skippedRepositoryCount} skipped, ${s.refusedRepositoryCount} refused`
        : ''),
  );
  for (const entry of acting(plan)) {
    const { plan: p } = entry;
    const count = p.expiring.length + p.transitioning.length;
    if (count === 0) continue;
    // Only the rows shown are made.
    const images = [...p.expiring.slice(0, limit), ...p.transitioning.slice(0, limit - p.expiring.length)];
    out.push('');
    out.push(`${p.repositoryName} (policy from ${entry.policySource ?? '—'}):`);
    out.push(
      textTable(
        ['ACTION', 'DIGEST', 'TAGS', 'PUSHED', 'SIZE', 'RULE'],
        images.map((i) => [
          i.action.type === 'EXPIRE' ? 'expire' : 'archive',
          i.image.digest.slice(0, 19),
          i.image.tags.length === 0 ? '<untagged>' : i.image.tags.join(','),
          new Date(i.image.pushedAt).toISOString().slice(0, 10),
          humanBytes(i.image.sizeBytes),
          `${i.appliedRulePriority}${i.note ? ` (${i.note})` : ''}`,
        ]),
        ['left', 'left', 'left', 'left', 'right', 'left'],
      ).trimEnd(),
    );
    if (count > limit) out.push(`… and ${count - limit} more (--json lists every image)`);
  }
  return `${out.join('\n')}\n`;
}
