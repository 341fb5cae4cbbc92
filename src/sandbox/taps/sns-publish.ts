/**
 * SNS wire shapes the email tap needs: the messages of a Publish / PublishBatch request, their MessageIds from
 * moto's answer, and the body each subscription protocol receives.
 */
/** An SNS message attribute as Publish takes it. */
export interface SnsMessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

/** One message of an SNS Publish or PublishBatch request, parsed from its query-protocol form body. */
export interface SnsPublishedMessage {
  topicArn: string;
  message: string;
  subject?: string;
  messageStructure?: string;
  messageAttributes: Record<string, SnsMessageAttribute>;
  /** PublishBatch entry id (to find its MessageId in the response). */
  batchId?: string;
  messageId?: string;
}

function attributesFrom(params: URLSearchParams, prefix: string): Record<string, SnsMessageAttribute> {
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (let n = 1; ; n++) {
    const name = params.get(`${prefix}.entry.${n}.Name`);
    if (name === null) break;
    const dataType = params.get(`${prefix}.entry.${n}.Value.DataType`) ?? 'String';
    const stringValue = params.get(`${prefix}.entry.${n}.Value.StringValue`);
    const binaryValue = params.get(`${prefix}.entry.${n}.Value.BinaryValue`);
    attributes[name] = {
      DataType: dataType,
      ...(stringValue === null ? {} : { StringValue: stringValue }),
      ...(binaryValue === null ? {} : { BinaryValue: binaryValue }),
    };
  }
  return attributes;
}

/**
 * The messages of an SNS `Publish` / `PublishBatch` query-protocol form body (both the JS SDK v3 and botocore
 * send SNS as awsQuery). Returns [] for anything else or for a publish without a TopicArn (SMS, endpoints).
 */
export function parseSnsPublish(formBody: string): SnsPublishedMessage[] {
  const params = new URLSearchParams(formBody);
  const action = params.get('Action');
  const topicArn = params.get('TopicArn') ?? params.get('TargetArn');
  if (!topicArn?.includes(':sns:')) return [];
  if (action === 'Publish') {
    const message = params.get('Message');
    if (message === null) return [];
    return [
      {
        topicArn,
        message,
        ...optional('subject', params.get('Subject')),
        ...optional('messageStructure', params.get('MessageStructure')),
        messageAttributes: attributesFrom(params, 'MessageAttributes'),
      },
    ];
  }
  if (action === 'PublishBatch') {
    const messages: SnsPublishedMessage[] = [];
    for (let n = 1; ; n++) {
      const prefix = `PublishBatchRequestEntries.member.${n}`;
      const id = params.get(`${prefix}.Id`);
      if (id === null) break;
      const message = params.get(`${prefix}.Message`);
      if (message === null) continue;
      messages.push({
        topicArn,
        message,
        batchId: id,
        ...optional('subject', params.get(`${prefix}.Subject`)),
        ...optional('messageStructure', params.get(`${prefix}.MessageStructure`)),
        messageAttributes: attributesFrom(params, `${prefix}.MessageAttributes`),
      });
    }
    return messages;
  }
  return [];
}

function optional<K extends string>(key: K, value: string | null): { [P in K]?: string } {
  return (value === null ? {} : { [key]: value }) as { [P in K]?: string };
}

/** Fill in MessageIds from moto's Publish / PublishBatch XML response. */
export function assignMessageIds(messages: SnsPublishedMessage[], responseXml: string): void {
  if (messages.length === 1 && messages[0]?.batchId === undefined) {
    const id = /<MessageId>([^<]+)<\/MessageId>/.exec(responseXml)?.[1];
    if (id && messages[0]) messages[0].messageId = id;
    return;
  }
  const byBatchId = new Map<string, string>();
  for (const match of responseXml.matchAll(/<member>\s*([\s\S]*?)<\/member>/g)) {
    const inner = match[1] ?? '';
    const id = /<Id>([^<]+)<\/Id>/.exec(inner)?.[1];
    const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(inner)?.[1];
    if (id && messageId) byBatchId.set(id, messageId);
  }
  for (const message of messages) {
    if (message.batchId !== undefined) {
      const id = byBatchId.get(message.batchId);
      if (id) message.messageId = id;
    }
  }
}

/**
 * The message text a subscription protocol receives: with `MessageStructure: json` the protocol's key of the
 * JSON object, else its `default`; otherwise the message as published.
 */
export function messageForProtocol(
  message: string,
  messageStructure: string | undefined,
  protocol: string,
): string {
  if (messageStructure !== 'json') return message;
  try {
    const parsed = JSON.parse(message) as Record<string, unknown>;
    const value = parsed[protocol] ?? parsed.default;
    return typeof value === 'string' ? value : JSON.stringify(value ?? '');
  } catch {
    return message;
  }
}

/** The JSON notification envelope an `email-json` (or HTTP/SQS non-raw) subscriber receives. */
export function notificationEnvelope(options: {
  messageId: string;
  topicArn: string;
  subscriptionArn: string;
  subject?: string;
  message: string;
  timestamp: string;
  messageAttributes: Record<string, SnsMessageAttribute>;
  publicUrl: string;
}): string {
  const envelope: Record<string, unknown> = {
    Type: 'Notification',
    MessageId: options.messageId,
    TopicArn: options.topicArn,
    ...(options.subject === undefined ? {} : { Subject: options.subject }),
    Message: options.message,
    Timestamp: options.timestamp,
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
    SigningCertURL: `${options.publicUrl}/_sandbox/sns/SimpleNotificationService.pem`,
    UnsubscribeURL: `${options.publicUrl}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(options.subscriptionArn)}`,
  };
  const attributes = Object.entries(options.messageAttributes);
  if (attributes.length > 0) {
    envelope.MessageAttributes = Object.fromEntries(
      attributes.map(([name, a]) => [
        name,
        { Type: a.DataType, Value: a.StringValue ?? a.BinaryValue ?? '' },
      ]),
    );
  }
  return JSON.stringify(envelope, null, 2);
}
