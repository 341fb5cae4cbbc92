import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { IamPermissions } from '../../shared/iam.ts';
import {
  type AlertDocument,
  COMPACT_LIMITS,
  FULL_LIMITS,
  limitAlertDocument,
  truncatedAlertDocument,
} from '../alert-document.ts';
import { alertEmailText } from '../alert-email.ts';
import { SUBJECT_MAX } from '../alert-subject.ts';
import { fittedConsoleUrl, LINK_MAX } from '../links.ts';
import type { AlertPublisher } from '../ports.ts';
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

/** Attributes for SNS subscription filter policies: verdict, worstSeverity, repository, alertKind. */
export function snsMessageAttributes(alert: AlertDocument): Record<string, SnsStringAttribute> {
  const attribute = (value: string): SnsStringAttribute => ({
    DataType: 'String',
    StringValue: snsText(value, SNS_ATTRIBUTE_VALUE_MAX),
  });
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
export function snsMessageJson(alert: AlertDocument, maxBytes = SNS_MESSAGE_MAX_BYTES): string {
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

/** The SNS message of an alert document (given complete: it is cut to size here). */
export function snsAlertMessage(alert: AlertDocument): SnsAlertMessage {
  const attributes = snsMessageAttributes(alert);
  // The subject is not counted in the message size by SNS's documentation; it is kept out of the budget anyway.
  // The producer keeps to SUBJECT_MAX (alertSubject); SNS refuses the whole message when a subject is longer.
  const subject = snsText(alert.subject, SUBJECT_MAX);
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
