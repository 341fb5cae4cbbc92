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
import type { AlertPublisher } from '../ports.ts';
import { truncateEnd } from '../text.ts';

/**
 * The SNS message of an alert: `MessageStructure: json` (the email text for email/default, the JSON document for
 * sqs/lambda), the subject, and message attributes subscriptions can filter on; and the publisher that sends it.
 */

/** SNS message size limit, bytes (UTF-8), for the whole JSON envelope. */
export const SNS_MESSAGE_MAX_BYTES = 262_144;

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
  // SNS rejects an attribute with an empty value.
  const attribute = (value: string): SnsStringAttribute => ({
    DataType: 'String',
    StringValue: value || '-',
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
 * email and default get the text, sqs and lambda the JSON document. Stays within SNS's 256 KiB: when the full
 * rendering would not fit, a compact one (fewer details and ids) is used, and as a last resort the subject, the
 * console link and a truncated document.
 */
export function snsMessageJson(alert: AlertDocument): string {
  for (const limits of [FULL_LIMITS, COMPACT_LIMITS]) {
    const text = alertEmailText(alert, limits);
    const json = JSON.stringify(limitAlertDocument(alert, limits));
    const message = JSON.stringify({ default: text, email: text, sqs: json, lambda: json });
    if (Buffer.byteLength(message, 'utf8') <= SNS_MESSAGE_MAX_BYTES) return message;
  }
  // Unreachable with the caps above unless a single field is enormous: say the least that is still useful.
  const text = `${alert.subject}\n${alert.consoleUrl}\n`;
  const json = JSON.stringify(truncatedAlertDocument(alert));
  return JSON.stringify({ default: text, email: text, sqs: json, lambda: json });
}

/** The SNS message of an alert document (given complete: it is cut to size here). */
export function snsAlertMessage(alert: AlertDocument): SnsAlertMessage {
  return {
    // The producer keeps to SUBJECT_MAX (alertSubject); SNS refuses the whole message when a subject is longer.
    Subject: truncateEnd(alert.subject, SUBJECT_MAX),
    Message: snsMessageJson(alert),
    MessageStructure: 'json',
    MessageAttributes: snsMessageAttributes(alert),
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
