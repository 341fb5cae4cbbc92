/**
 * The events AWS hands a Lambda function, built from what moto delivers to the stand-in queues:
 * the EventBridge envelope, SNS `Records[].Sns`, SQS `Records[]`, and the scheduled event.
 */
import { randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import type { EventBridgeEvent, SNSEvent, SQSRecord } from 'aws-lambda';

/** The envelope keys in the order AWS delivers them. */
const ENVELOPE_KEYS = [
  'version',
  'id',
  'detail-type',
  'source',
  'account',
  'time',
  'region',
  'resources',
  'detail',
];

/** The EventBridge envelope from moto's `<aws.events.event.json>` delivery, without moto's `ingestion-time`. */
export function eventBridgeEvent(body: string): EventBridgeEvent<string, unknown> {
  const raw = JSON.parse(body) as Record<string, unknown>;
  const event: Record<string, unknown> = {};
  for (const key of ENVELOPE_KEYS) if (key in raw) event[key] = raw[key];
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in event) && key !== 'ingestion-time') event[key] = value;
  }
  return event as unknown as EventBridgeEvent<string, unknown>;
}

/** A Lambda SNS event from the SNS-to-SQS envelope moto delivers (raw delivery off). */
export function snsEvent(body: string, subscriptionArn: string): SNSEvent {
  const envelope = JSON.parse(body) as Record<string, unknown>;
  const attributes: Record<string, { Type: string; Value: string }> = {};
  const given = (envelope.MessageAttributes ?? {}) as Record<string, { Type?: string; Value?: string }>;
  for (const [name, attribute] of Object.entries(given)) {
    attributes[name] = { Type: attribute.Type ?? 'String', Value: String(attribute.Value ?? '') };
  }
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: String(envelope.Type ?? 'Notification'),
          MessageId: String(envelope.MessageId ?? randomUUID()),
          TopicArn: String(envelope.TopicArn ?? ''),
          Subject: (envelope.Subject as string | undefined) ?? (null as unknown as string),
          Message: String(envelope.Message ?? ''),
          Timestamp: String(envelope.Timestamp ?? new Date().toISOString()),
          SignatureVersion: String(envelope.SignatureVersion ?? '1'),
          Signature: String(envelope.Signature ?? ''),
          SigningCertUrl: String(envelope.SigningCertURL ?? envelope.SigningCertUrl ?? ''),
          UnsubscribeUrl: String(envelope.UnsubscribeURL ?? envelope.UnsubscribeUrl ?? ''),
          MessageAttributes: attributes,
        },
      },
    ],
  };
}

/** One Lambda SQS record from a received SQS message. */
export function sqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = (message.Attributes ?? {}) as Record<string, string>;
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, attribute] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(attribute.StringValue !== undefined ? { stringValue: attribute.StringValue } : {}),
      ...(attribute.BinaryValue !== undefined
        ? { binaryValue: Buffer.from(attribute.BinaryValue).toString('base64') }
        : {}),
      stringListValues: attribute.StringListValues ?? [],
      binaryListValues: (attribute.BinaryListValues ?? []).map((value) =>
        Buffer.from(value).toString('base64'),
      ),
      dataType: attribute.DataType ?? 'String',
    };
  }
  const record: Record<string, unknown> = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId
        ? { MessageDeduplicationId: attributes.MessageDeduplicationId }
        : {}),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  return record as unknown as SQSRecord;
}

/** The event a schedule rule delivers (no `input`). */
export function scheduledEvent(options: {
  ruleArn: string;
  account: string;
  region: string;
  time: Date;
}): EventBridgeEvent<'Scheduled Event', Record<string, never>> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: options.account,
    time: options.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: options.region,
    resources: [options.ruleArn],
    detail: {},
  };
}
