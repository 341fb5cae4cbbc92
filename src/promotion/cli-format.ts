/**
 * How promotions read in a terminal: one promotion's result, the history table and "what runs where". The CLI
 * and the demo print the same renderings from here; `--json` prints the records instead.
 */

import { textTable as table } from '../shared/cli.ts';
import { type EnvironmentNaming, repositoryName } from '../shared/environments.ts';
import { humanBytes } from '../shared/units.ts';
import type { Promotion, Release } from './domain/promotion.ts';
import type { PromotionResult } from './promote.ts';

const OUTCOME_TITLE: Record<PromotionResult['outcome'], string> = {
  completed: 'completed',
  'pending-approval': 'pending approval',
  refused: 'REFUSED',
  failed: 'FAILED',
  rejected: 'rejected',
};

/** A few readable lines: what was promoted, what the gate said, what was copied or what to do next. */
export function formatResult(result: PromotionResult): string {
  const p = result.promotion;
  const lines = [
    `promotion ${p.id} ${OUTCOME_TITLE[result.outcome]}: ${p.app} ${p.version} ${p.from.environment} → ${p.to.environment}` +
      (result.existing ? ` (already requested by ${p.requestedBy} at ${when(p.requestedAt)})` : ''),
    `  digest   ${p.digest}`,
    `  from     ${where(p.from)}`,
    `  to       ${where(p.to)}:${p.version}`,
    `  gate     ${p.gate.status} with ${p.to.environment}'s policy${
      p.gate.scannedRepository ? ` (scan of ${p.gate.scannedRepository}` : ''
    }${p.gate.scannedRepository && p.gate.scanCompletedAt ? `, ${when(p.gate.scanCompletedAt)})` : p.gate.scannedRepository ? ')' : ''}`,
  ];
  if (p.gate.reason && result.outcome !== 'refused') lines.push(`           ${p.gate.reason}`);
  switch (result.outcome) {
    case 'completed': {
      const c = p.copy;
      if (c) {
        lines.push(
          c.alreadyPresent
            ? '  copied   nothing: the target already held this digest under this tag'
            : `  copied   ${count(c.blobsCopied, 'blob')} (${humanBytes(c.bytesCopied)}), ${mounted(c.blobsMounted)}${c.blobsSkipped} already there; ${count(c.manifestsPut, 'manifest')}${c.referrersCopied > 0 ? `, ${count(c.referrersCopied, 'referrer')}` : ''}`,
        );
        if (c.repositoryCreated) lines.push(`           created repository ${p.to.repositoryName}`);
      }
      if (result.existing && p.completedAt)
        lines.push(`           (when it completed, ${when(p.completedAt)}: nothing was copied now)`);
      lines.push(
        `  by       ${p.approvedBy ? `${p.requestedBy}, approved by ${p.approvedBy}` : p.requestedBy}`,
      );
      break;
    }
    case 'pending-approval':
      lines.push(`  by       ${p.requestedBy}`);
      if (p.expiresAt) lines.push(`  expires  ${when(p.expiresAt)}`);
      lines.push(
        `pending approval — approve with: npx ecr-sentinel approve ${p.id} --by <name>`,
        `                   or reject with: npx ecr-sentinel reject ${p.id} --by <name> --reason <text>`,
      );
      break;
    case 'refused':
      lines.push(`  reason   ${p.reason ?? p.gate.reason}`);
      if (p.gate.blocking.length > 0)
        lines.push(`  blocking ${p.gate.blocking.length}: ${p.gate.blocking.join(', ')}`);
      break;
    case 'failed':
      lines.push(`  error    ${p.error ?? p.reason ?? 'unknown'}`);
      if (p.copy)
        lines.push(
          `  copied   ${count(p.copy.blobsCopied, 'blob')} (${humanBytes(p.copy.bytesCopied)}) before it failed`,
        );
      lines.push('run the same command again: a new promotion copies only what is missing');
      break;
    case 'rejected':
      lines.push(`  by       ${p.rejectedBy ?? '?'}: ${p.reason ?? ''}`);
      break;
  }
  return `${lines.join('\n')}\n`;
}

/** `2 mounted (0 bytes uploaded for them), ` when blobs were mounted inside the registry, else nothing. */
function mounted(blobs: number | undefined): string {
  return blobs ? `${blobs} mounted (0 bytes uploaded for them), ` : '';
}

function where(location: Promotion['from']): string {
  return `${location.repositoryName} (${location.environment}, account ${location.accountId}, ${location.region})`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** `2026-11-27 20:41Z`: minutes are enough in a terminal (--json has the exact time). */
function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** An IAM/STS ARN shortened to its resource (`user/alice`, `assumed-role/Deployer/ci`); other names as they are. */
function principal(name: string): string {
  const match = /^arn:aws[a-z-]*:(?:iam|sts)::\d{12}:(.+)$/.exec(name);
  return match?.[1] ?? name;
}

function shortDigest(digest: string): string {
  const [algorithm, hex = ''] = digest.split(':');
  return `${algorithm}:${hex.slice(0, 12)}`;
}

export function promotionsTable(listed: Promotion[]): string {
  if (listed.length === 0) return 'no promotions\n';
  return table(
    ['ID', 'APP', 'VERSION', 'FROM → TO', 'STATUS', 'REQUESTED BY', 'REQUESTED AT', 'APPROVED BY'],
    listed.map((p) => [
      p.id,
      p.app,
      p.version,
      `${p.from.environment} → ${p.to.environment}`,
      p.status,
      principal(p.requestedBy),
      when(p.requestedAt),
      p.approvedBy
        ? principal(p.approvedBy)
        : p.rejectedBy
          ? `(rejected by ${principal(p.rejectedBy)})`
          : '—',
    ]),
  );
}

/** One environment of `status APP`: its repository and the release there (null: nothing promoted into it). */
export interface StatusRow {
  environment: string;
  repositoryName: string;
  release: Release | null;
}

/** `status APP`'s rows: every configured environment in order, with APP's release there. */
export function statusRows(
  config: { environments: readonly EnvironmentNaming[] },
  app: string,
  releases: Release[],
): StatusRow[] {
  return config.environments.map((env) => ({
    environment: env.name,
    repositoryName: repositoryName(env, app),
    release: releases.find((r) => r.environment === env.name) ?? null,
  }));
}

/** `status APP` as a terminal table ("what runs where"). */
export function statusTable(app: string, rows: StatusRow[], firstEnvironment: string | undefined): string {
  return `${app}\n${table(
    ['ENVIRONMENT', 'VERSION', 'DIGEST', 'GATE', 'PROMOTED AT', 'BY', 'PROMOTION'],
    rows.map(({ environment, release }) =>
      release
        ? [
            environment,
            release.version,
            shortDigest(release.digest),
            release.gateStatus,
            when(release.promotedAt),
            principal(release.promotedBy),
            release.promotionId,
          ]
        : [
            environment,
            '—',
            '—',
            '—',
            '—',
            '—',
            environment === firstEnvironment ? '(images arrive by push)' : '—',
          ],
    ),
  )}`;
}
