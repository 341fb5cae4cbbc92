import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { snsAlerts } from '../../src/notifications/index.ts';
import { promotionAnnouncer } from '../../src/promotion/adapters/announcer.ts';
import { promotionAlertOf } from '../../src/promotion/alert.ts';
import { eventually } from '../support/eventually.ts';
import { admin, awsClientConfig, uniqueName } from '../support/sandbox.ts';
import { aPromotion } from './promotion-fixtures.ts';

/** Promotion outcomes reach people (SNS → the email outbox) and machines (the default bus). */

const events = new EventBridgeClient(awsClientConfig());
const sns = new SNSClient(awsClientConfig());
const sqs = new SQSClient(awsClientConfig());

afterAll(() => {
  for (const client of [events, sns, sqs]) client.destroy();
});

async function busQueue(detailTypes: string[]) {
  const name = uniqueName('promo-events');
  const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await events.send(
    new PutRuleCommand({
      Name: name,
      EventPattern: JSON.stringify({ source: ['ecr-sentinel'], 'detail-type': detailTypes }),
    }),
  );
  await events.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'q', Arn: Attributes?.QueueArn }] }));
  return QueueUrl;
}

describe('the promotion announcer', () => {
  it('puts a completed promotion on the default bus and mails the alert with its approve command when pending', async () => {
    // Prepare
    const queueUrl = await busQueue(['Promotion Completed']);
    const { TopicArn = '' } = await sns.send(new CreateTopicCommand({ Name: uniqueName('promo-alerts') }));
    const address = `${uniqueName('ops')}@example.com`;
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: address }));
    const alerts = snsAlerts(sns, TopicArn);
    const now = new Date();
    const announcer = promotionAnnouncer({
      events,
      alert: async (event, promotion) => {
        await alerts.publish(promotionAlertOf(event, promotion, now, 'qa'));
      },
      now: () => now,
    });
    const app = uniqueName('app');
    const completed = aPromotion({ app, status: 'COMPLETED' });
    const pending = aPromotion({
      app,
      status: 'PENDING_APPROVAL',
      to: { ...completed.to, environment: 'prod' },
    });

    // Act
    await announcer.announce('completed', completed);
    await announcer.announce('pending-approval', pending);

    // Assert
    const received = await eventually(
      async () =>
        (
          await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
          )
        ).Messages ?? [],
      (messages) => messages.length > 0,
    );
    const event = JSON.parse(received[0]?.Body ?? '{}');
    expect(event).toMatchObject({
      source: 'ecr-sentinel',
      'detail-type': 'Promotion Completed',
      resources: [`arn:aws:ecr:us-east-1:123456789012:repository/${app}-staging`],
      detail: { event: 'completed', id: completed.id, digest: completed.digest, status: 'COMPLETED' },
    });
    const mail = await eventually(
      async () =>
        (
          (await admin('GET', 'outbox/email')).body as {
            messages: Array<{ to: string; subject: string; message: string }>;
          }
        ).messages.filter((m) => m.to === address),
      (messages) => messages.length === 2,
    );
    expect(mail.map((m) => m.subject)).toEqual([
      `[PROMOTED] ${app} 1.4.2 dev -> staging`,
      `[APPROVAL NEEDED] ${app} 1.4.2 dev -> prod (${pending.id})`,
    ]);
    expect(mail[1]?.message).toContain(`npx ecr-sentinel approve ${pending.id} --by <your name>`);
    // The stage the function runs in (SENTINEL_STAGE) is named with the target's account and Region.
    for (const m of mail) expect(m.message).toMatch(/123456789012, us-east-1, stage qa/);
  }, 30_000);
});
