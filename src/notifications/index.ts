/**
 * What other capabilities may use of notifications: the alert documents they map their outcomes to (a scan
 * verdict, a promotion), their subject lines (rendered before the document is cut to size), the port that
 * publishes either, and the severity table (the scan-gate CLI prints the same one).
 *
 * A promotion alert: build it with `promotionAlert(fields)`, which sets `type`, `version` and `subject`
 * (`promotionSubject(fields)`); or set `subject` yourself with `promotionSubject`. `commands` (approve/reject)
 * are shown on `pending-approval` only, and only when each names the promotion id.
 */

export { snsAlerts, snsAlertsPermissions } from './adapters/sns-alerts.ts';
export type { AlertDocument, CompleteAlert } from './alert-document.ts';
export { alertSubject } from './alert-subject.ts';
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
export { humanBytes } from './text.ts';
