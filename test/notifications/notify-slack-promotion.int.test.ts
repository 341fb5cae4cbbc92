import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snsAlertMessage } from '../../src/notifications/adapters/sns-alerts.ts';
import type { PromotionEvent } from '../../src/notifications/promotion-document.ts';
import { SLACK_LIMITS, type SlackMessage } from '../../src/notifications/slack-blocks.ts';
import type { LambdaRuntime } from '../../src/sandbox/runtime/index.ts';
import { PROJECT_ROOT } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { onFailureRecord, startFunctionUnderTest } from '../support/runtime.ts';
import { admin, awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';
import { promotionOf } from './promotion-fixtures.ts';

/**
 * notify-slack on the shared sandbox with promotion alerts: a promotion document published to the runtime's
 * AlertsTopic (MessageStructure json, as the publisher sends it) reaches the real handler through its SNS
 * subscription and lands as Block Kit in the sandbox's Slack outbox (its stand-in webhook, whose URL is in this
 * test's SSM parameter), and as text in the email outbox.
 */

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A fresh promotion id (a ULID), so this run's posts are told apart from every other test's. */
function ulid(): string {
  let id = '';
  let ms = Date.now();
  for (let i = 0; i < 10; i++) {
    id = (CROCKFORD[ms % 32] as string) + id;
    ms = Math.floor(ms / 32);
  }
  for (let i = 0; i < 16; i++) id += CROCKFORD[Math.floor(Math.random() * 32)];
  return id;
}

interface SlackPost {
  timestamp: string;
  payload: SlackMessage;
}

interface Mail {
  to: string;
  subject: string;
  message: string;
}

describe('notify-slack on the sandbox with promotion alerts', () => {
  const id = uniqueName('slackp');
  const email = `${id}@example.com`;
  const parameter = `/ecr-sentinel-test/${id}/slack-webhook`;
  const sns = new SNSClient(awsClientConfig());
  const sqs = new SQSClient(awsClientConfig());
  const ssm = new SSMClient(awsClientConfig());
  let runtime: LambdaRuntime;
  let topicArn = '';

  beforeAll(async () => {
    await ssm.send(
      new PutParameterCommand({
        Name: parameter,
        Type: 'SecureString',
        Value: `${sandboxUrl()}/_sandbox/webhooks/slack`,
        Overwrite: true,
      }),
    );
    const example = readFileSync(join(PROJECT_ROOT, 'sentinel.config.yml'), 'utf8');
    const config = join(tmpdir(), `${id}.config.yml`);
    writeFileSync(
      config,
      `${example.slice(0, example.indexOf('\nalerts:'))}\nalerts:\n  email: [${email}]\n  slack:\n    webhookParameter: ${parameter}\n`,
    );
    runtime = await startFunctionUnderTest('notifySlack', 'nsp', {
      variables: { SENTINEL_CONFIG: config },
      functionEnvironment: { SENTINEL_CONFIG: config },
    });
    topicArn = runtime.resources.AlertsTopic?.arn ?? '';
  }, 60_000);

  afterAll(async () => {
    await runtime?.stop();
  }, 30_000);

  /** The Slack outbox posts about one promotion. */
  async function postsAbout(promotionId: string): Promise<SlackPost[]> {
    const { body } = await admin('GET', 'outbox/slack');
    return (body as { messages: SlackPost[] }).messages.filter((m) =>
      JSON.stringify(m.payload).includes(promotionId),
    );
  }

  it.each<PromotionEvent>(['pending-approval', 'refused', 'completed'])(
    'posts a %s promotion as Block Kit and emails its text',
    async (event) => {
      const promotionId = ulid();
      const alert = promotionOf(event, {
        promotionId,
        app: `app-${id}`,
        commands: {
          approve: `npx ecr-sentinel approve ${promotionId} --by <you>`,
          reject: `npx ecr-sentinel reject ${promotionId} --by <you> --reason <text>`,
        },
      });
      const message = snsAlertMessage(alert);

      await sns.send(new PublishCommand({ TopicArn: topicArn, ...message }));
      const posts = await eventually(
        () => postsAbout(promotionId),
        (found) => found.length > 0,
      );
      await runtime.idle(10_000);

      expect(posts).toHaveLength(1);
      const payload = posts[0]?.payload as SlackMessage;
      expect(payload.text).toBe(alert.subject);
      expect(payload.blocks[0]).toEqual({
        type: 'header',
        text: { type: 'plain_text', text: alert.subject, emoji: true },
      });
      expect(payload.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
      const text = JSON.stringify(payload.blocks);
      expect(text).toContain(`*Promotion*\\n\`${promotionId}\``);
      expect(text).toContain('"action_id":"open-ecr-console"');
      if (event === 'pending-approval') {
        expect(text).toContain(`\`\`\`npx ecr-sentinel approve ${promotionId} --by &lt;you&gt;\`\`\``);
      } else {
        expect(text).not.toContain('npx ecr-sentinel');
      }
      if (event === 'refused') expect(text).toContain('Blocking (2): CVE-2024-0001, CVE-2024-0002');
      if (event === 'completed') expect(text).toContain('3 blobs copied (12.3 MiB)');

      const invocation = runtime
        .history()
        .find((h) => h.function === 'notifySlack' && JSON.stringify(h.result ?? {}).includes(promotionId));
      expect(invocation).toMatchObject({
        ok: true,
        result: { outcome: 'posted', alertType: 'promotion', promotionId, event },
      });

      const mails = await eventually(
        async () => {
          const { body } = await admin('GET', 'outbox/email');
          return (body as { messages: Mail[] }).messages.filter(
            (m) => m.to === email && m.subject === message.Subject,
          );
        },
        (found) => found.length > 0,
      );
      expect(mails).toHaveLength(1);
      expect(mails[0]?.message).toBe((JSON.parse(message.Message) as { email: string }).email);
      expect(mails[0]?.message).toContain(`Promotion:    ${promotionId}`);
    },
  );

  it('sends a promotion document with a bad field to the onFailure queue, naming the field', async () => {
    const marker = uniqueName('bad-promotion');
    const document = { ...promotionOf('completed'), promotionId: marker };

    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(document) }));
    const record = await onFailureRecord(runtime, sqs, (r) =>
      JSON.stringify(r.requestPayload ?? {}).includes(marker),
    );

    expect(record?.responsePayload?.errorType).toBe('InvalidEventError');
    expect(record?.responsePayload?.errorMessage).toMatch(
      /Records\.0\.Sns\.Message\.promotionId: expected a promotion id/,
    );
    expect(await postsAbout(marker)).toEqual([]);
  });
});
