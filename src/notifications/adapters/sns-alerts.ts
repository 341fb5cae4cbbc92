import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { IamPermissions } from '../../shared/iam.ts';
import {
  COMPACT_LIMITS,
  type CompleteAlert,
  FULL_LIMITS,
  limitAlertDocument,
  truncatedAlertDocument,
} from '../alert-document.ts';
import { alertEmailText } from '../alert-email.ts';
import { SUBJECT_MAX } from '../alert-subject.ts';
import {
  CLEANUP_ALERT_TYPE,
  type CleanupAlert,
  COMPACT_CLEANUP_LIMITS,
  FULL_CLEANUP_LIMITS,
  limitCleanupAlert,
  MINIMAL_CLEANUP_LIMITS,
} from '../cleanup-document.ts';
import { cleanupEmailText } from '../cleanup-email.ts';
import {
  COMPACT_COMPLIANCE_LIMITS,
  COMPLIANCE_ALERT_TYPE,
  type ComplianceAlert,
  FULL_COMPLIANCE_LIMITS,
  limitComplianceAlert,
  MINIMAL_COMPLIANCE_LIMITS,
} from '../compliance-document.ts';
import { complianceEmailText } from '../compliance-email.ts';
import { fittedConsoleUrl, LINK_MAX } from '../links.ts';
import type { AlertPublisher } from '../ports.ts';
import {
  COMPACT_PROMOTION_LIMITS,
  FULL_PROMOTION_LIMITS,
  limitPromotionAlert,
  PROMOTION_ALERT_TYPE,
  type PromotionAlert,
  truncatedPromotionAlert,
} from '../promotion-document.ts';
import { promotionEmailText } from '../promotion-email.ts';
import { asciiSubject } from '../promotion-subject.ts';
import { oneLine, truncateEnd } from '../text.ts';

/**
 * The SNS message of an alert: `MessageStructure: json` (the email text for email/default, the JSON document for
 * sqs/lambda), the subject, and message attributes subscriptions can filter on; and the publisher that sends it.
 */

/**
 * SNS message size limit, bytes (UTF-8): the body and every message attribute's name, data type and value
 * count against it. https://docs.aws.amazon.com/sns/latest/api/API_MessageAttributeValue.html
 */
export const SNS_MESSAGE_MAX_BYTES = 262_144;

/**
 * Longest attribute value we send, in characters. SNS bounds attributes only through the message size; ours
 * carry a status, a severity, a kind and an ECR repository name (at most 256 characters), so no real value is
 * ever cut, and an absurd one cannot crowd out the message.
 */
export const SNS_ATTRIBUTE_VALUE_MAX = 256;

/**
 * Text SNS takes in a subject or attribute value: one line (subjects must have "no line breaks or control
 * characters"), no lone surrogates (not UTF-8), at most `max` characters, never empty (SNS rejects an empty
 * attribute value). https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
export function snsText(text: string, max: number): string {
  const wellFormed = text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
  return truncateEnd(oneLine(wellFormed), max) || '-';
}

/** Bytes the attributes take of the message size (names, data types and values). */
function attributeBytes(attributes: Record<string, SnsStringAttribute>): number {
  let bytes = 0;
  for (const [name, { DataType, StringValue }] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(`${name}${DataType}${StringValue}`, 'utf8');
  }
  return bytes;
}

export interface SnsStringAttribute {
  DataType: 'String';
  StringValue: string;
}

/** Everything an SNS Publish of one alert needs but the topic. */
export interface SnsAlertMessage {
  Subject: string;
  Message: string;
  MessageStructure: 'json';
  MessageAttributes: Record<string, SnsStringAttribute>;
}

/**
 * Attributes for SNS subscription filter policies. A scan verdict: verdict, worstSeverity, repository, alertKind.
 * A promotion: alertType `promotion`, promotionEvent, verdict (the gate's), repository and environment (the
 * target's); it has no alertKind, so a policy on alertKind (verdict alerts) does not match it. A cleanup alert:
 * alertType `cleanup`, cleanupKind, dryRun (`true`/`false`, when it has a run) and, for a refusal, repository;
 * no verdict and no alertKind, so policies on those match neither. A compliance alert: alertType `compliance`,
 * complianceKind and, for a repository, repository.
 */
export function snsMessageAttributes(alert: CompleteAlert): Record<string, SnsStringAttribute> {
  const attribute = (value: string): SnsStringAttribute => ({
    DataType: 'String',
    StringValue: snsText(value, SNS_ATTRIBUTE_VALUE_MAX),
  });
  if (alert.type === COMPLIANCE_ALERT_TYPE) {
    const { target } = alert;
    return {
      alertType: attribute('compliance'),
      complianceKind: attribute(alert.kind),
      ...(target.kind === 'repository' ? { repository: attribute(target.repositoryName) } : {}),
    };
  }
  if (alert.type === CLEANUP_ALERT_TYPE) {
    const { run } = alert;
    return {
      alertType: attribute('cleanup'),
      cleanupKind: attribute(alert.kind),
      ...(run === undefined ? {} : { dryRun: attribute(String(run.dryRun)) }),
      ...(alert.kind === 'refused' ? { repository: attribute(alert.repositoryName) } : {}),
    };
  }
  if (alert.type === PROMOTION_ALERT_TYPE) {
    return {
      alertType: attribute('promotion'),
      promotionEvent: attribute(alert.event),
      verdict: attribute(alert.gate.status),
      repository: attribute(alert.to.repositoryName),
      environment: attribute(alert.to.environment),
    };
  }
  return {
    verdict: attribute(alert.status),
    worstSeverity: attribute(alert.worstSeverity),
    repository: attribute(alert.repositoryName),
    alertKind: attribute(alert.kind),
  };
}

/**
 * The `MessageStructure: json` body `{ default, email, sqs, lambda }` (each value a string, as SNS wants):
 * email and default get the text, sqs and lambda the JSON document. Stays within `maxBytes` (SNS's 256 KiB less
 * what the attributes take): when the full rendering would not fit, a compact one (fewer details and ids) is
 * used, and as a last resort the subject, the console link and a truncated document, every one of them bounded.
 */
export function snsMessageJson(alert: CompleteAlert, maxBytes = SNS_MESSAGE_MAX_BYTES): string {
  if (alert.type === PROMOTION_ALERT_TYPE) return promotionMessageJson(alert, maxBytes);
  if (alert.type === CLEANUP_ALERT_TYPE) return cleanupMessageJson(alert, maxBytes);
  if (alert.type === COMPLIANCE_ALERT_TYPE) return complianceMessageJson(alert, maxBytes);
  for (const limits of [FULL_LIMITS, COMPACT_LIMITS]) {
    const text = alertEmailText(alert, limits);
    const json = JSON.stringify(limitAlertDocument(alert, limits));
    const message = JSON.stringify({ default: text, email: text, sqs: json, lambda: json });
    if (Buffer.byteLength(message, 'utf8') <= maxBytes) return message;
  }
  // Only when a single field is enormous: say the least that is still useful (a few KB at most).
  const text = `${snsText(alert.subject, SUBJECT_MAX)}\n${fittedConsoleUrl(alert.consoleUrl, LINK_MAX)}\n`;
  const json = JSON.stringify(truncatedAlertDocument(alert));
  return JSON.stringify({ default: text, email: text, sqs: json, lambda: json });
}

/** {@link snsMessageJson} of a promotion alert: the same three steps, with the promotion's renderings. */
function promotionMessageJson(alert: PromotionAlert, maxBytes: number): string {
  for (const limits of [FULL_PROMOTION_LIMITS, COMPACT_PROMOTION_LIMITS]) {
    const text = promotionEmailText(alert, limits);
    const json = JSON.stringify(limitPromotionAlert(alert, limits));
    const message = JSON.stringify({ default: text, email: text, sqs: json, lambda: json });
    if (Buffer.byteLength(message, 'utf8') <= maxBytes) return message;
  }
  const subject = promotionSnsSubject(alert);
  const text = `${subject}\n${fittedConsoleUrl(alert.consoleUrl, LINK_MAX)}\n`;
  const json = JSON.stringify(truncatedPromotionAlert(alert, subject));
  return JSON.stringify({ default: text, email: text, sqs: json, lambda: json });
}

/**
 * {@link snsMessageJson} of a cleanup alert: full, then compact lists, then none (totals only). The last is still
 * a complete document, bounded to a few KB whatever the fields, so no cut-down form is needed.
 */
function cleanupMessageJson(alert: CleanupAlert, maxBytes: number): string {
  let message = '';
  for (const limits of [FULL_CLEANUP_LIMITS, COMPACT_CLEANUP_LIMITS, MINIMAL_CLEANUP_LIMITS]) {
    const text = cleanupEmailText(alert, limits);
    const json = JSON.stringify(limitCleanupAlert(alert, limits));
    message = JSON.stringify({ default: text, email: text, sqs: json, lambda: json });
    if (Buffer.byteLength(message, 'utf8') <= maxBytes) break;
  }
  return message;
}

/** {@link snsMessageJson} of a compliance alert: full, compact, then totals only (still a complete document). */
function complianceMessageJson(alert: ComplianceAlert, maxBytes: number): string {
  let message = '';
  for (const limits of [FULL_COMPLIANCE_LIMITS, COMPACT_COMPLIANCE_LIMITS, MINIMAL_COMPLIANCE_LIMITS]) {
    const text = complianceEmailText(alert, limits);
    const json = JSON.stringify(limitComplianceAlert(alert, limits));
    message = JSON.stringify({ default: text, email: text, sqs: json, lambda: json });
    if (Buffer.byteLength(message, 'utf8') <= maxBytes) break;
  }
  return message;
}

/** A promotion's subject as SNS gets it: printable ASCII (promotionSubject makes it so; a producer's own too). */
function promotionSnsSubject(alert: PromotionAlert): string {
  return asciiSubject(alert.subject);
}

/** The SNS message of an alert document of any type (given complete: it is cut to size here). */
export function snsAlertMessage(alert: CompleteAlert): SnsAlertMessage {
  const attributes = snsMessageAttributes(alert);
  // The subject is not counted in the message size by SNS's documentation; it is kept out of the budget anyway.
  // The producer keeps to SUBJECT_MAX (alertSubject, promotionSubject, cleanupSubject); SNS refuses the whole
  // message when a subject is longer. Promotion and cleanup subjects are printable ASCII (asciiSubject keeps a
  // producer's own so).
  const subject =
    alert.type === PROMOTION_ALERT_TYPE ||
    alert.type === CLEANUP_ALERT_TYPE ||
    alert.type === COMPLIANCE_ALERT_TYPE
      ? asciiSubject(alert.subject)
      : snsText(alert.subject, SUBJECT_MAX);
  const budget = SNS_MESSAGE_MAX_BYTES - attributeBytes(attributes) - Buffer.byteLength(subject, 'utf8');
  return {
    Subject: subject,
    Message: snsMessageJson(alert, budget),
    MessageStructure: 'json',
    MessageAttributes: attributes,
  };
}

/** What {@link snsAlerts} calls. */
export const snsAlertsPermissions: IamPermissions = [{ actions: ['sns:Publish'], resource: 'alerts-topic' }];

/**
 * {@link AlertPublisher} on one SNS topic.
 * @see https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
export function snsAlerts(sns: SNSClient, topicArn: string): AlertPublisher {
  return {
    async publish(alert) {
      const out = await sns.send(new PublishCommand({ TopicArn: topicArn, ...snsAlertMessage(alert) }));
      return { messageId: out.MessageId ?? '' };
    },
  };
}
