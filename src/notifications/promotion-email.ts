import { fittedConsoleUrl, LINK_MAX } from './links.ts';
import {
  FULL_PROMOTION_LIMITS,
  PROMOTION_LABEL,
  type PromotionAlert,
  type PromotionAlertCopy,
  type PromotionAlertLimits,
  type PromotionAlertLocation,
  type PromotionEvent,
  showableCommands,
} from './promotion-document.ts';
import { humanBytes, oneLine, readableTime, truncateEnd } from './text.ts';
import { whereEmailLine } from './where.ts';

/** The plain-text email body of a promotion alert (SNS sends it to email subscribers and as the default). */

/** What the event means, in a few words. */
export const PROMOTION_EVENT_TEXT: Readonly<Record<PromotionEvent, string>> = {
  'pending-approval':
    'waiting for approval: nothing is copied until someone other than the requester approves',
  approved: 'approved: the image is being copied into the target',
  completed: 'the image is in the target repository',
  rejected: 'rejected: nothing was copied',
  expired: 'the approval expired: nothing was copied; request the promotion again',
  failed: 'the promotion failed',
  refused: 'refused by the gate: nothing was copied',
};

/**
 * `3 blobs copied (12.3 MiB), 2 already there; 1 manifest put, 0 referrers; repository created`, with
 * `N mounted (0 bytes uploaded for them), ` before `already there` when blobs were mounted inside the registry.
 */
export function copySummaryText(copy: PromotionAlertCopy): string {
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  if (copy.alreadyPresent && copy.blobsCopied === 0) {
    return `already in the target: nothing copied${copy.repositoryCreated ? '; repository created' : ''}`;
  }
  return (
    `${plural(copy.blobsCopied, 'blob')} copied (${humanBytes(copy.bytesCopied)}), ` +
    `${copy.blobsMounted ? `${copy.blobsMounted} mounted (0 bytes uploaded for them), ` : ''}${copy.blobsSkipped} already there; ` +
    `${plural(copy.manifestsPut, 'manifest')} put, ${plural(copy.referrersCopied, 'referrer')} copied` +
    `${copy.repositoryCreated ? '; repository created' : ''}`
  );
}

/**
 * A readable plain-text email body, cut with `limits` like the document it travels with: what happened, to which
 * image, from where to where, who asked and decided, what the gate said (reason, blocking ids), what was copied,
 * and on a pending approval the exact commands to approve or reject.
 */
export function promotionEmailText(
  alert: PromotionAlert,
  limits: PromotionAlertLimits = FULL_PROMOTION_LIMITS,
): string {
  const cut = (s: string, max = limits.field) => truncateEnd(oneLine(s), max);
  const where = (l: PromotionAlertLocation) =>
    `${cut(l.environment)}: ${cut(l.repositoryName, 256)} (account ${cut(l.accountId, 100)}, ${cut(l.region, 100)})`;
  const { gate } = alert;
  const lines = [
    `${PROMOTION_LABEL[alert.event]}: ${cut(alert.app, 256)} ${cut(alert.appVersion, 300)} ${cut(alert.from.environment)} → ${cut(alert.to.environment)}`,
    '',
    `Promotion:    ${alert.promotionId}`,
    `Status:       ${PROMOTION_EVENT_TEXT[alert.event]}`,
    `Application:  ${cut(alert.app, 256)}`,
    `Version:      ${cut(alert.appVersion, 300)}`,
    `Digest:       ${cut(alert.digest, 100)}`,
    `From:         ${where(alert.from)}`,
    `To:           ${where(alert.to)}`,
    `Requested by: ${cut(alert.requestedBy)}`,
  ];
  if (alert.approvedBy) lines.push(`Approved by:  ${cut(alert.approvedBy)}`);
  if (alert.rejectedBy) lines.push(`Rejected by:  ${cut(alert.rejectedBy)}`);
  if (alert.reason) lines.push(`Reason:       ${cut(alert.reason, limits.text)}`);
  if (alert.error) lines.push(`Error:        ${cut(alert.error, limits.text)}`);
  if (alert.expiresAt && alert.event === 'pending-approval')
    lines.push(`Expires:      ${cut(alert.expiresAt, 100)}`);
  lines.push(`Occurred:     ${readableTime(alert.occurredAt)}`);
  // Where the image goes is where the alert is about (the console link's account and Region).
  lines.push(whereEmailLine({ accountId: alert.to.accountId, region: alert.to.region, stage: alert.stage }));

  lines.push('', `Gate:         ${gate.status} — ${cut(gate.reason, limits.text)}`);
  if (gate.scannedRepository || gate.scanCompletedAt) {
    const repository = gate.scannedRepository ? cut(gate.scannedRepository, 256) : 'scan';
    lines.push(
      `Scan judged:  ${repository}${gate.scanCompletedAt ? `, completed ${cut(gate.scanCompletedAt, 100)}` : ''}`,
    );
  }
  if (gate.policyHash) lines.push(`Policy:       hash ${cut(gate.policyHash, 100).slice(0, 12)}`);
  const total = Math.max(gate.blockingCount ?? 0, gate.blocking.length);
  if (total > 0) {
    const listed = gate.blocking.slice(0, limits.ids).map((id) => cut(id, 100));
    const more = total - listed.length;
    lines.push(`Blocking (${total}): ${listed.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  if (alert.copy) lines.push('', `Copy:         ${copySummaryText(alert.copy)}`);

  const commands = alert.event === 'pending-approval' ? showableCommands(alert) : undefined;
  if (commands) {
    lines.push(
      '',
      `To approve (anyone but ${cut(alert.requestedBy)}), run:`,
      `  ${commands.approve}`,
      '',
      'To reject, run:',
      `  ${commands.reject}`,
    );
  }
  lines.push('', `Console: ${fittedConsoleUrl(alert.consoleUrl, LINK_MAX)}`);
  return `${lines.join('\n')}\n`;
}
