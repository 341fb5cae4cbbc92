import { describe, expect, it } from 'vitest';
import { passesFilterPolicy } from '../../../src/sandbox/taps/sns-filter-policy.ts';
import {
  assignMessageIds,
  messageForProtocol,
  notificationEnvelope,
  parseSnsPublish,
  type SnsPublishedMessage,
} from '../../../src/sandbox/taps/sns-publish.ts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';

describe('SNS publish parsing', () => {
  it('reads topic, message, subject, structure and attributes of a Publish', () => {
    // Prepare
    const form = new URLSearchParams({
      Action: 'Publish',
      Version: '2010-03-31',
      TopicArn: TOPIC,
      Message: '{"default":"d","email":"e"}',
      Subject: 'Scan failed',
      MessageStructure: 'json',
      'MessageAttributes.entry.1.Name': 'severity',
      'MessageAttributes.entry.1.Value.DataType': 'String',
      'MessageAttributes.entry.1.Value.StringValue': 'CRITICAL',
    }).toString();
    // Act
    const messages = parseSnsPublish(form);
    // Assess
    expect(messages).toEqual([
      {
        topicArn: TOPIC,
        message: '{"default":"d","email":"e"}',
        subject: 'Scan failed',
        messageStructure: 'json',
        messageAttributes: { severity: { DataType: 'String', StringValue: 'CRITICAL' } },
      },
    ]);
  });

  it('reads the entries of a PublishBatch and pairs them with their MessageIds', () => {
    const form = new URLSearchParams({
      Action: 'PublishBatch',
      TopicArn: TOPIC,
      'PublishBatchRequestEntries.member.1.Id': 'a',
      'PublishBatchRequestEntries.member.1.Message': 'first',
      'PublishBatchRequestEntries.member.2.Id': 'b',
      'PublishBatchRequestEntries.member.2.Message': 'second',
    }).toString();
    const messages = parseSnsPublish(form);
    assignMessageIds(
      messages,
      '<PublishBatchResult><Successful><member><Id>b</Id><MessageId>m-2</MessageId></member>' +
        '<member><Id>a</Id><MessageId>m-1</MessageId></member></Successful></PublishBatchResult>',
    );
    expect(messages.map((m) => [m.message, m.messageId])).toEqual([
      ['first', 'm-1'],
      ['second', 'm-2'],
    ]);
  });

  it('ignores publishes without a topic (SMS)', () => {
    expect(parseSnsPublish('Action=Publish&PhoneNumber=%2B1555&Message=hi')).toEqual([]);
  });
});

describe('message per protocol', () => {
  it.each([
    ['email', 'for email'],
    ['email-json', 'fallback'],
    ['sqs', 'fallback'],
  ])('MessageStructure json gives %s its key or default', (protocol, expected) => {
    const message = JSON.stringify({ default: 'fallback', email: 'for email' });
    expect(messageForProtocol(message, 'json', protocol)).toBe(expected);
  });

  it('passes a plain message through', () => {
    expect(messageForProtocol('{"email":"x"}', undefined, 'email')).toBe('{"email":"x"}');
  });

  it('wraps email-json in the SNS notification envelope', () => {
    const envelope = JSON.parse(
      notificationEnvelope({
        messageId: 'm-1',
        topicArn: TOPIC,
        subscriptionArn: `${TOPIC}:sub`,
        subject: 'S',
        message: 'body',
        timestamp: '2025-01-01T00:00:00.000Z',
        messageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
        publicUrl: 'http://127.0.0.1:4566',
      }),
    );
    expect(envelope).toMatchObject({
      Type: 'Notification',
      MessageId: 'm-1',
      TopicArn: TOPIC,
      Subject: 'S',
      Message: 'body',
      Timestamp: '2025-01-01T00:00:00.000Z',
      SignatureVersion: '1',
      MessageAttributes: { k: { Type: 'String', Value: 'v' } },
    });
  });
});

describe('subscription filter policies', () => {
  const message = (attributes: Record<string, [string, string]>, body = 'x'): SnsPublishedMessage => ({
    topicArn: TOPIC,
    message: body,
    messageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([k, [type, value]]) => [k, { DataType: type, StringValue: value }]),
    ),
  });

  it.each([
    ['no policy', undefined, {}, true],
    ['exact match', '{"severity":["CRITICAL","HIGH"]}', { severity: ['String', 'HIGH'] }, true],
    ['exact miss', '{"severity":["CRITICAL"]}', { severity: ['String', 'LOW'] }, false],
    ['missing attribute', '{"severity":["CRITICAL"]}', {}, false],
    ['prefix', '{"repo":[{"prefix":"team-a/"}]}', { repo: ['String', 'team-a/api'] }, true],
    ['anything-but', '{"env":[{"anything-but":["dev"]}]}', { env: ['String', 'dev'] }, false],
    ['anything-but other', '{"env":[{"anything-but":"dev"}]}', { env: ['String', 'prod'] }, true],
    ['exists false', '{"env":[{"exists":false}]}', {}, true],
    ['numeric', '{"count":[{"numeric":[">",3]}]}', { count: ['Number', '5'] }, true],
    ['numeric miss', '{"count":[{"numeric":[">",3,"<=",4]}]}', { count: ['Number', '5'] }, false],
    ['string array', '{"tags":["prod"]}', { tags: ['String.Array', '["dev","prod"]'] }, true],
  ])('%s', (_name, policy, attributes, expected) => {
    expect(
      passesFilterPolicy(policy, undefined, message(attributes as Record<string, [string, string]>)),
    ).toBe(expected);
  });

  it('applies a MessageBody-scoped policy to the JSON message', () => {
    const policy = '{"detail":{"severity":["CRITICAL"]}}';
    expect(passesFilterPolicy(policy, 'MessageBody', message({}, '{"detail":{"severity":"CRITICAL"}}'))).toBe(
      true,
    );
    expect(passesFilterPolicy(policy, 'MessageBody', message({}, '{"detail":{"severity":"LOW"}}'))).toBe(
      false,
    );
  });
});
