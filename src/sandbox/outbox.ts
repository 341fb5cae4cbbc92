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

/** What the email outbox records for each email/email-json recipient of a publish. */
export interface EmailDelivery {
  to: string;
  protocol: 'email' | 'email-json';
  topicArn: string;
  subscriptionArn: string;
  subject: string;
  /** The body the recipient gets: the text for `email`, the JSON notification envelope for `email-json`. */
  message: string;
  messageId: string;
  messageAttributes: Record<string, SnsMessageAttribute>;
  timestamp: string;
}

/** What the Slack outbox records for each accepted webhook post. */
export interface SlackPost {
  timestamp: string;
  payload: Record<string, unknown>;
}

/** Records, newest last. */
export class Outbox<T> {
  private items: T[] = [];
  add(item: T): void {
    this.items.push(item);
  }
  list(): T[] {
    return [...this.items];
  }
  clear(): void {
    this.items = [];
  }
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

// ---------------------------------------------------------------------------------------------------------
// SNS subscription filter policies (the commonly used subset)

type Scalar = string | number | boolean | null;

function attributeValues(attribute: SnsMessageAttribute): Scalar[] {
  const value = attribute.StringValue ?? attribute.BinaryValue ?? '';
  if (attribute.DataType.startsWith('String.Array')) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed))
        return parsed.filter((v): v is Scalar => typeof v !== 'object' || v === null);
    } catch {
      return [];
    }
  }
  if (attribute.DataType.startsWith('Number')) return [Number(value)];
  return [value];
}

function numericMatches(value: Scalar, spec: unknown[]): boolean {
  if (typeof value !== 'number' && typeof value !== 'string') return false;
  const n = Number(value);
  if (Number.isNaN(n)) return false;
  for (let i = 0; i + 1 < spec.length; i += 2) {
    const op = spec[i];
    const bound = Number(spec[i + 1]);
    const ok =
      op === '='
        ? n === bound
        : op === '<'
          ? n < bound
          : op === '<='
            ? n <= bound
            : op === '>'
              ? n > bound
              : op === '>='
                ? n >= bound
                : false;
    if (!ok) return false;
  }
  return true;
}

function conditionMatches(condition: unknown, values: Scalar[] | undefined): boolean {
  if (condition === null || typeof condition !== 'object') {
    if (values === undefined) return false;
    if (typeof condition === 'number') return values.some((v) => Number(v) === condition);
    return values.some((v) => v === condition);
  }
  const spec = condition as Record<string, unknown>;
  if ('exists' in spec) return spec.exists === (values !== undefined);
  if (values === undefined) return false;
  if (typeof spec.prefix === 'string') {
    const prefix = spec.prefix;
    return values.some((v) => typeof v === 'string' && v.startsWith(prefix));
  }
  if (typeof spec.suffix === 'string') {
    const suffix = spec.suffix;
    return values.some((v) => typeof v === 'string' && v.endsWith(suffix));
  }
  if (typeof spec['equals-ignore-case'] === 'string') {
    const expected = spec['equals-ignore-case'].toLowerCase();
    return values.some((v) => typeof v === 'string' && v.toLowerCase() === expected);
  }
  if (Array.isArray(spec.numeric)) {
    const numeric = spec.numeric;
    return values.some((v) => numericMatches(v, numeric));
  }
  if ('anything-but' in spec) {
    const excluded = spec['anything-but'];
    if (excluded !== null && typeof excluded === 'object' && !Array.isArray(excluded)) {
      const prefix = (excluded as Record<string, unknown>).prefix;
      return values.some(
        (v) => !(typeof v === 'string' && typeof prefix === 'string' && v.startsWith(prefix)),
      );
    }
    const list = Array.isArray(excluded) ? excluded : [excluded];
    return values.some((v) => !list.some((x) => x === v || (typeof x === 'number' && Number(v) === x)));
  }
  // An operator this stand-in does not model: let the message through rather than hide it.
  return true;
}

function matchesAll(policy: Record<string, unknown>, lookup: (key: string) => unknown): boolean {
  for (const [key, rule] of Object.entries(policy)) {
    if (key === '$or' && Array.isArray(rule)) {
      if (
        !rule.some(
          (sub) =>
            typeof sub === 'object' && sub !== null && matchesAll(sub as Record<string, unknown>, lookup),
        )
      )
        return false;
      continue;
    }
    const value = lookup(key);
    if (rule !== null && typeof rule === 'object' && !Array.isArray(rule)) {
      // Nested policy (MessageBody scope).
      const nested = value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
      if (!matchesAll(rule as Record<string, unknown>, (k) => (nested as Record<string, unknown>)[k]))
        return false;
      continue;
    }
    const conditions = Array.isArray(rule) ? rule : [rule];
    const values =
      value === undefined ? undefined : Array.isArray(value) ? (value as Scalar[]) : [value as Scalar];
    if (!conditions.some((condition) => conditionMatches(condition, values))) return false;
  }
  return true;
}

/**
 * Whether a message passes a subscription's filter policy (scope `MessageAttributes`, the default, or
 * `MessageBody`). Supports exact strings/numbers, prefix, suffix, equals-ignore-case, anything-but, exists,
 * numeric and `$or`; other operators let the message through.
 */
export function passesFilterPolicy(
  policyJson: string | undefined,
  scope: string | undefined,
  message: SnsPublishedMessage,
): boolean {
  if (!policyJson) return true;
  let policy: unknown;
  try {
    policy = JSON.parse(policyJson);
  } catch {
    return true;
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return true;
  if (scope === 'MessageBody') {
    let body: unknown;
    try {
      body = JSON.parse(message.message);
    } catch {
      return false;
    }
    if (typeof body !== 'object' || body === null) return false;
    return matchesAll(policy as Record<string, unknown>, (k) => (body as Record<string, unknown>)[k]);
  }
  return matchesAll(policy as Record<string, unknown>, (key) => {
    const attribute = message.messageAttributes[key];
    if (!attribute) return undefined;
    return attributeValues(attribute);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Slack incoming webhook stand-in

/** Block types Slack accepts in messages. */
const SLACK_BLOCK_TYPES = new Set([
  'actions',
  'context',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'table',
  'video',
]);

/** Slack's answer to a webhook post: `ok` or the error text Slack returns with HTTP 400. */
export type SlackVerdict = { ok: true; payload: Record<string, unknown> } | { ok: false; error: string };

function textOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const text = (value as Record<string, unknown>).text;
  return typeof text === 'string' ? text : undefined;
}

function blockIsValid(block: unknown): boolean {
  if (typeof block !== 'object' || block === null || Array.isArray(block)) return false;
  const b = block as Record<string, unknown>;
  if (typeof b.type !== 'string' || !SLACK_BLOCK_TYPES.has(b.type)) return false;
  if (b.block_id !== undefined && (typeof b.block_id !== 'string' || b.block_id.length > 255)) return false;
  switch (b.type) {
    case 'header': {
      const text = textOf(b.text);
      return (
        text !== undefined && text.length <= 150 && (b.text as Record<string, unknown>).type === 'plain_text'
      );
    }
    case 'section': {
      const text = textOf(b.text);
      const fields = b.fields;
      if (text === undefined && !Array.isArray(fields)) return false;
      if (text !== undefined && (text.length === 0 || text.length > 3000)) return false;
      if (
        Array.isArray(fields) &&
        (fields.length > 10 || fields.some((f) => (textOf(f) ?? '').length > 2000))
      )
        return false;
      return true;
    }
    case 'context':
      return Array.isArray(b.elements) && b.elements.length > 0 && b.elements.length <= 10;
    case 'actions':
      return Array.isArray(b.elements) && b.elements.length > 0 && b.elements.length <= 25;
    case 'markdown':
      return typeof b.text === 'string' && b.text.length <= 12000;
    case 'image':
      return (
        (typeof b.image_url === 'string' || typeof b.slack_file === 'object') &&
        typeof b.alt_text === 'string'
      );
    default:
      return true;
  }
}

/**
 * Validate an incoming-webhook post the way Slack answers it: `invalid_payload` (not a JSON object),
 * `no_text` (no text, blocks or attachments), `invalid_blocks` (blocks not an array, more than 50, or a block
 * without a known type / with text over its limit), `msg_too_long` (text over 40,000 characters).
 * A form post `payload=<json>` is accepted as Slack accepts it.
 */
export function validateSlackPost(rawBody: string, contentType: string | undefined): SlackVerdict {
  let json = rawBody;
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(rawBody).get('payload');
    if (payload === null) return { ok: false, error: 'invalid_payload' };
    json = payload;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch {
    return { ok: false, error: 'invalid_payload' };
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, error: 'invalid_payload' };
  }
  const p = payload as Record<string, unknown>;
  const hasText = typeof p.text === 'string' && p.text.trim() !== '';
  const hasAttachments = Array.isArray(p.attachments) && p.attachments.length > 0;
  if (p.blocks !== undefined) {
    if (!Array.isArray(p.blocks) || p.blocks.length > 50 || !p.blocks.every(blockIsValid)) {
      return { ok: false, error: 'invalid_blocks' };
    }
  }
  const hasBlocks = Array.isArray(p.blocks) && p.blocks.length > 0;
  if (!hasText && !hasBlocks && !hasAttachments) return { ok: false, error: 'no_text' };
  if (typeof p.text === 'string' && p.text.length > 40000) return { ok: false, error: 'msg_too_long' };
  return { ok: true, payload: p };
}
