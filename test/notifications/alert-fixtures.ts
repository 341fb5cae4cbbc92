import {
  type AlertDocument,
  alertDocumentSchema,
  FULL_LIMITS,
  limitAlertDocument,
} from '../../src/notifications/alert-document.ts';
import { type AlertContext, verdictAlert } from '../../src/scan-gate/alert.ts';
import type { AlertKind } from '../../src/scan-gate/domain/alerting.ts';
import type { Verdict } from '../../src/scan-gate/domain/verdict.ts';

/**
 * Alert documents for the rendering tests, mapped from scan-gate verdicts the way on-scan-completed maps them
 * (the verdict builders make realistic findings, exceptions and counts).
 */

/** The complete document of a verdict, as scan-gate hands it to the publisher. */
export function alertOf(
  verdict: Verdict,
  kind: AlertKind = 'new',
  where: Partial<Omit<AlertContext, 'kind'>> = {},
): AlertDocument {
  return verdictAlert(verdict, { kind, accountId: '123456789012', region: 'eu-west-1', ...where });
}

/** The document as an sqs/lambda subscriber receives it: cut to size, through JSON, parsed. */
export function receivedAlert(alert: AlertDocument): AlertDocument {
  return alertDocumentSchema.parse(JSON.parse(JSON.stringify(limitAlertDocument(alert, FULL_LIMITS))));
}
