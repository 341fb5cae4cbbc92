import { SUBJECT_MAX } from './alert-subject.ts';
import {
  PROMOTION_ALERT_TYPE,
  PROMOTION_LABEL,
  type PromotionAlert,
  type PromotionEvent,
} from './promotion-document.ts';
import { oneLine } from './text.ts';

/** What the subject line of a promotion alert is made of. */
export type PromotionSubjectFields = Pick<
  PromotionAlert,
  | 'event'
  | 'promotionId'
  | 'app'
  | 'appVersion'
  | 'requestedBy'
  | 'approvedBy'
  | 'rejectedBy'
  | 'reason'
  | 'error'
> & {
  from: Pick<PromotionAlert['from'], 'environment'>;
  to: Pick<PromotionAlert['to'], 'environment'>;
  gate: Pick<PromotionAlert['gate'], 'status' | 'reason'>;
};

/**
 * One line of printable ASCII: SNS subjects must have no line breaks or control characters, and mail clients
 * show ASCII everywhere. Other characters become `?`.
 */
export function asciiLine(text: string): string {
  return oneLine(text).replace(/[^\x20-\x7E]/g, '?');
}

/** A subject as SNS takes it, in printable ASCII: one line, at most {@link SUBJECT_MAX} characters, never empty. */
export function asciiSubject(text: string): string {
  return cutAscii(asciiLine(text), SUBJECT_MAX) || '-';
}

/** At most `max` characters, ending in `...` when cut (ASCII, unlike `truncateEnd`'s ellipsis). */
export function cutAscii(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 3) return text.slice(0, Math.max(0, max));
  return `${text.slice(0, max - 3)}...`;
}

/** At most `max` characters, starting with `...` when cut (keeps the end). */
export function cutAsciiStart(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 3) return text.slice(text.length - Math.max(0, max));
  return `...${text.slice(text.length - (max - 3))}`;
}

/** What follows the image and route: who, why, or the id to act on. */
function tail(alert: PromotionSubjectFields): { sep: string; text: string } {
  const by = (who: string | undefined) => (who ? { sep: ' ', text: `by ${who}` } : { sep: '', text: '' });
  switch (alert.event as PromotionEvent) {
    case 'pending-approval':
    case 'expired':
      return { sep: ' ', text: `(${alert.promotionId})` };
    case 'approved':
      return by(alert.approvedBy);
    case 'rejected':
      if (!alert.reason) return by(alert.rejectedBy);
      return alert.rejectedBy
        ? { sep: ' ', text: `by ${alert.rejectedBy}: ${alert.reason}` }
        : { sep: ': ', text: alert.reason };
    case 'completed':
      return { sep: '', text: '' };
    case 'failed':
      return { sep: ': ', text: alert.error ?? alert.reason ?? '' };
    case 'refused':
      // The gate's own words when it failed the image ("2 CRITICAL (max 0)"); else why it refused (no scan, too old).
      return {
        sep: ': ',
        text: alert.gate.status === 'FAIL' ? alert.gate.reason : (alert.reason ?? alert.gate.reason),
      };
  }
}

/**
 * The subject of a promotion alert, in the verdict subjects' form (`[LABEL] what: why`):
 * `[APPROVAL NEEDED] orders-api 1.4.2 staging -> prod (01JD…)`, `[PROMOTED] orders-api 1.4.2 staging -> prod`,
 * `[PROMOTION REFUSED] orders-api 1.4.2 staging -> prod: 2 CRITICAL (max 0)`. Printable ASCII only, at most
 * {@link SUBJECT_MAX} characters: when too long, the tail (why, who) is cut first (to 32), then the version (to
 * 20), the app (keeping its end, to 16), the version again (to 8), then the tail again; the promotion id of a pending approval is never cut, only dropped as
 * a last resort.
 */
export function promotionSubject(alert: PromotionSubjectFields): string {
  const prefix = `[${PROMOTION_LABEL[alert.event]}] `;
  const route = ` ${asciiLine(alert.from.environment)} -> ${asciiLine(alert.to.environment)}`;
  const { sep, text } = tail(alert);
  const keepsId = alert.event === 'pending-approval' || alert.event === 'expired';
  let after = asciiLine(text);
  let app = asciiLine(alert.app);
  let version = asciiLine(alert.appVersion);
  const build = () => `${prefix}${app} ${version}${route}${after ? `${sep}${after}` : ''}`;

  const over = () => build().length - SUBJECT_MAX;
  if (over() > 0 && !keepsId) after = cutAscii(after, Math.max(32, after.length - over()));
  if (over() > 0) version = cutAscii(version, Math.max(20, version.length - over()));
  if (over() > 0) app = cutAsciiStart(app, Math.max(16, app.length - over()));
  if (over() > 0) version = cutAscii(version, Math.max(8, version.length - over()));
  if (over() > 0) {
    // The tail gives way last: what is left of it, or nothing (an id is never shown cut).
    const room = after.length - over();
    after = keepsId || room < 8 ? '' : cutAscii(after, room);
  }
  return cutAscii(build(), SUBJECT_MAX);
}

/**
 * A complete promotion alert from its fields: the type, the document version and the subject
 * ({@link promotionSubject}) filled in. Not validated here (notify-slack parses what it receives with
 * `promotionAlertSchema`); a producer that wants a check parses the result itself.
 */
export function promotionAlert(fields: Omit<PromotionAlert, 'type' | 'version' | 'subject'>): PromotionAlert {
  return { type: PROMOTION_ALERT_TYPE, version: 1, subject: promotionSubject(fields), ...fields };
}
