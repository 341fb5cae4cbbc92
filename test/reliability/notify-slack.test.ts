import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  FULL_LIMITS,
  limitAlertDocument,
  truncatedAlertDocument,
} from '../../src/notifications/alert-document.ts';
import { type SnsAlertEvent, snsAlertEventSchema } from '../../src/notifications/events.ts';
import { InvalidEventError, parseEvent } from '../../src/shared/lambda/parse-event.ts';
import { alertOf } from '../notifications/alert-fixtures.ts';
import { failingVerdict } from '../scan-gate/verdict-fixtures.ts';

/**
 * The malformed-event corpus of notify-slack (issue #8): every event below is run through the parse path of
 * handlers/notify-slack.ts (the same schema behind the same parse-event middleware) and must be rejected with
 * an error that names the bad field by its path. The idempotency and observability middlewares in front of it
 * need DynamoDB and add nothing to what is accepted, so they are left out.
 */

type Json = Record<string, unknown>;

const document = limitAlertDocument(alertOf(failingVerdict()), FULL_LIMITS);

function eventWith(message: string, record: Json = {}, sns: Json = {}): Json {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:alerts:sub',
        Sns: {
          Type: 'Notification',
          MessageId: 'b7f6c1e0-0000-4000-8000-000000000001',
          TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
          Subject: document.subject,
          Timestamp: '2026-06-01T12:00:00.000Z',
          Message: message,
          ...sns,
        },
        ...record,
      },
    ],
  };
}

/** An event carrying `alert` with `change` applied to a deep copy of it. */
function alertEvent(change: (alert: Json) => void, alert: object = document): Json {
  const copy = structuredClone(alert) as Json;
  change(copy);
  return eventWith(JSON.stringify(copy));
}

const detail0 = (alert: Json) => ((alert.blocking as Json).details as Json[])[0] as Json;
const truncated = truncatedAlertDocument(alertOf(failingVerdict()));
const MESSAGE = 'Records.0.Sns.Message';

/** [case, event, the path its error must name] */
const corpus: Array<[string, unknown, string]> = [
  ['no event', null, '(event)'],
  ['no Records', {}, 'Records'],
  ['Records not an array', { Records: 'x' }, 'Records'],
  ['no record', { Records: [] }, 'Records'],
  ['two records', { Records: [eventWith('{}').Records, eventWith('{}').Records].flat() }, 'Records'],
  ['a null record', { Records: [null] }, 'Records.0'],
  [
    'another event source',
    eventWith(JSON.stringify(document), { EventSource: 'aws:sqs' }),
    'Records.0.EventSource',
  ],
  ['no Sns', { Records: [{ EventSource: 'aws:sns' }] }, 'Records.0.Sns'],
  ['empty MessageId', eventWith(JSON.stringify(document), {}, { MessageId: '' }), 'Records.0.Sns.MessageId'],
  ['no TopicArn', eventWith(JSON.stringify(document), {}, { TopicArn: undefined }), 'Records.0.Sns.TopicArn'],
  ['no Message', eventWith(JSON.stringify(document), {}, { Message: undefined }), MESSAGE],
  ['Message not JSON', eventWith('FAIL my-web-app'), MESSAGE],
  ['Message a JSON array', eventWith('[]'), MESSAGE],
  ['Message JSON null', eventWith('null'), MESSAGE],
  ['Message a JSON string', eventWith('"alert"'), MESSAGE],
  ['Message an empty object', eventWith('{}'), `${MESSAGE}.type`],
  [
    'envelope whose lambda key is not JSON',
    eventWith(JSON.stringify({ default: 'x', lambda: '{' })),
    MESSAGE,
  ],
  [
    'envelope whose lambda document is wrong',
    eventWith(JSON.stringify({ default: 'x', lambda: JSON.stringify({ ...document, status: 'MAYBE' }) })),
    `${MESSAGE}.status`,
  ],
  [
    'another document type',
    alertEvent((a) => {
      a.type = 'ecr-sentinel.other';
    }),
    `${MESSAGE}.type`,
  ],
  [
    'another version',
    alertEvent((a) => {
      a.version = 2;
    }),
    `${MESSAGE}.version`,
  ],
  [
    'unknown kind',
    alertEvent((a) => {
      a.kind = 'bogus';
    }),
    `${MESSAGE}.kind`,
  ],
  [
    'unknown status',
    alertEvent((a) => {
      a.status = 'MAYBE';
    }),
    `${MESSAGE}.status`,
  ],
  [
    'empty subject',
    alertEvent((a) => {
      a.subject = '';
    }),
    `${MESSAGE}.subject`,
  ],
  [
    'empty repository',
    alertEvent((a) => {
      a.repositoryName = '';
    }),
    `${MESSAGE}.repositoryName`,
  ],
  [
    'no digest',
    alertEvent((a) => {
      delete a.imageDigest;
    }),
    `${MESSAGE}.imageDigest`,
  ],
  [
    'tags not an array',
    alertEvent((a) => {
      a.imageTags = 'latest';
    }),
    `${MESSAGE}.imageTags`,
  ],
  [
    'negative count',
    alertEvent((a) => {
      a.countsBefore = { HIGH: -1 };
    }),
    `${MESSAGE}.countsBefore.HIGH`,
  ],
  [
    'no blocking',
    alertEvent((a) => {
      delete a.blocking;
    }),
    `${MESSAGE}.blocking`,
  ],
  [
    'blocking ids not an array',
    alertEvent((a) => {
      (a.blocking as Json).ids = 'CVE-1';
    }),
    `${MESSAGE}.blocking.ids`,
  ],
  [
    'exception owner not text',
    alertEvent((a) => {
      a.exceptionsApplied = [{ cve: 'CVE-1', owner: 7, expires: '2027-01-01' }];
    }),
    `${MESSAGE}.exceptionsApplied.0.owner`,
  ],
  [
    'javascript: console URL',
    alertEvent((a) => {
      a.consoleUrl = 'javascript:alert(document.cookie)';
    }),
    `${MESSAGE}.consoleUrl`,
  ],
  [
    'data: console URL',
    alertEvent((a) => {
      a.consoleUrl = 'data:text/html,<script>alert(1)</script>';
    }),
    `${MESSAGE}.consoleUrl`,
  ],
  [
    'console URL on another host',
    alertEvent((a) => {
      a.consoleUrl = 'https://evil.example.com/ecr/';
    }),
    `${MESSAGE}.consoleUrl`,
  ],
  [
    'console URL on a look-alike host',
    alertEvent((a) => {
      a.consoleUrl = 'https://console.aws.amazon.com.evil.example/';
    }),
    `${MESSAGE}.consoleUrl`,
  ],
  [
    'console URL over http',
    alertEvent((a) => {
      a.consoleUrl = 'http://us-east-1.console.aws.amazon.com/ecr/';
    }),
    `${MESSAGE}.consoleUrl`,
  ],
  [
    'console URL with credentials',
    alertEvent((a) => {
      a.consoleUrl = 'https://x:y@console.aws.amazon.com/';
    }),
    `${MESSAGE}.consoleUrl`,
  ],
  [
    'console URL with a newline',
    alertEvent((a) => {
      a.consoleUrl = 'https://console.aws.amazon.com/\nhttps://evil.example/';
    }),
    `${MESSAGE}.consoleUrl`,
  ],
  [
    'console URL on another port',
    alertEvent((a) => {
      a.consoleUrl = 'https://console.aws.amazon.com:8443/';
    }),
    `${MESSAGE}.consoleUrl`,
  ],
  [
    'empty console URL',
    alertEvent((a) => {
      a.consoleUrl = '';
    }),
    `${MESSAGE}.consoleUrl`,
  ],
  [
    'javascript: finding link',
    alertEvent((a) => {
      detail0(a).link = 'javascript:alert(1)';
    }),
    `${MESSAGE}.blocking.details.0.link`,
  ],
  [
    'finding link with a space',
    alertEvent((a) => {
      detail0(a).link = 'https://nvd.nist.gov/ x';
    }),
    `${MESSAGE}.blocking.details.0.link`,
  ],
  [
    'finding without id',
    alertEvent((a) => {
      delete detail0(a).id;
    }),
    `${MESSAGE}.blocking.details.0.id`,
  ],
  [
    'truncated document with a javascript: console URL',
    alertEvent((a) => {
      a.consoleUrl = 'javascript:alert(1)';
    }, truncated),
    `${MESSAGE}.consoleUrl`,
  ],
  [
    'truncated document without repository',
    alertEvent((a) => {
      delete a.repositoryName;
    }, truncated),
    `${MESSAGE}.repositoryName`,
  ],
  [
    'truncated document of unknown status',
    alertEvent((a) => {
      a.status = 'MAYBE';
    }, truncated),
    `${MESSAGE}.status`,
  ],
];

const parse = middy<SnsAlertEvent>()
  .use(parseEvent(snsAlertEventSchema))
  .handler(async () => ({ accepted: true }));
const context = { getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

async function outcome(event: unknown): Promise<{ accepted: boolean; message: string }> {
  try {
    // Malformed on purpose: the middleware is what decides whether it is an SnsAlertEvent.
    await parse(event as SnsAlertEvent, context);
    return { accepted: true, message: '' };
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    return { accepted: false, message: error.message };
  }
}

describe('notify-slack malformed-event corpus', () => {
  it('holds at least 28 malformed events', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(28);
  });

  it('accepts the well-formed events it is compared with', async () => {
    const full = await outcome(eventWith(JSON.stringify(document)));
    const cut = await outcome(eventWith(JSON.stringify(truncated)));
    const envelope = await outcome(
      eventWith(JSON.stringify({ default: 'x', email: 'x', lambda: JSON.stringify(document) })),
    );
    expect([full, cut, envelope].map((o) => o.message)).toEqual(['', '', '']);
  });

  it('rejects every malformed event, naming the bad field', async () => {
    const wronglyAccepted: string[] = [];
    const unnamed: string[] = [];
    for (const [name, event, path] of corpus) {
      const { accepted, message } = await outcome(event);
      if (accepted) wronglyAccepted.push(name);
      else if (!message.includes(`${path}:`)) unnamed.push(`${name} (${path}): ${message}`);
    }
    expect({ wronglyAccepted, unnamed }).toEqual({ wronglyAccepted: [], unnamed: [] });
  });
});
