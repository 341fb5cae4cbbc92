/**
 * What other capabilities may use of notifications: the alert documents they map their outcomes to (a scan
 * verdict, a promotion, a cleanup), their subject lines (rendered before the document is cut to size), the port
 * that publishes any of them, and the severity table (the scan-gate CLI prints the same one).
 *
 * A promotion alert: build it with `promotionAlert(fields)`, which sets `type`, `version` and `subject`
 * (`promotionSubject(fields)`); or set `subject` yourself with `promotionSubject`. `commands` (approve/reject)
 * are shown on `pending-approval` only, and only when each names the promotion id.
 *
 * A cleanup alert (`summary` of a run, advance `notice`, `refused` repository): build it with
 * `cleanupAlert(fields)`, which sets `type`, `version` and `subject` (`cleanupSubject(fields)`). Give it every
 * list whole or capped as you like: the totals count everything, and each rendering caps the lists again and says
 * how many it left out. `cleanupEmailText` is the same text the email gets (the CLI may print it).
 */

export { snsAlerts, snsAlertsPermissions } from './adapters/sns-alerts.ts';
export type { AlertDocument, CompleteAlert } from './alert-document.ts';
export { alertSubject } from './alert-subject.ts';
export {
  CLEANUP_ALERT_TYPE,
  CLEANUP_KINDS,
  CLEANUP_TOP_REPOSITORIES,
  type CleanupAlert,
  type CleanupAlertRun,
  type CleanupImageFailure,
  type CleanupKind,
  type CleanupNoticeAlert,
  type CleanupNoticeImage,
  type CleanupRefusedAlert,
  type CleanupRepositoryReason,
  type CleanupSummaryAlert,
  type CleanupSummaryTotals,
  type CleanupTopRepository,
  cleanupAlertSchema,
  FULL_CLEANUP_LIMITS,
} from './cleanup-document.ts';
export { cleanupEmailText } from './cleanup-email.ts';
export { type CleanupAlertFields, cleanupAlert, cleanupSubject } from './cleanup-subject.ts';
export {
  COMPLIANCE_ALERT_TYPE,
  COMPLIANCE_KINDS,
  type ComplianceAlert,
  type ComplianceAlertDrift,
  type ComplianceAlertRemediation,
  type ComplianceAlertTarget,
  type ComplianceKind,
  complianceAlertSchema,
  FULL_COMPLIANCE_LIMITS,
} from './compliance-document.ts';
export { complianceEmailText } from './compliance-email.ts';
export { type ComplianceAlertFields, complianceAlert, complianceSubject } from './compliance-subject.ts';
export type { AlertPublisher } from './ports.ts';
export {
  PROMOTION_ALERT_TYPE,
  PROMOTION_EVENTS,
  PROMOTION_STYLE,
  type PromotionAlert,
  type PromotionAlertCopy,
  type PromotionAlertGate,
  type PromotionAlertLocation,
  type PromotionEvent,
  type PromotionStyle,
  promotionAlertSchema,
} from './promotion-document.ts';
export { type PromotionSubjectFields, promotionAlert, promotionSubject } from './promotion-subject.ts';
export { severityTableText } from './severity-table.ts';
export { allBlocks, type SlackMessage } from './slack-blocks.ts';
export { humanBytes, usd } from './text.ts';
export type { AlertWhere } from './where.ts';
