import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snsAlertMessage } from '../../src/notifications/adapters/sns-alerts.ts';
import { SLACK_COLORS, type SlackMessage } from '../../src/notifications/slack-blocks.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { type AlertContext, verdictAlert } from '../../src/scan-gate/alert.ts';
import { CONFIG_FILE, PROJECT_ROOT, SERVERLESS_FILE } from '../../src/shared/project-root.ts';
import { findings, verdictOf } from '../scan-gate/verdict-fixtures.ts';
import { eventually } from '../support/eventually.ts';

/**
 * A sandbox of its own running the functions with the example sentinel.config.yml: it seeds the Slack webhook
 * parameter with its stand-in webhook (again after a reset), subscribes the config's email address, and an alert
 * published to the topic lands in both outboxes.
 */

const context: AlertContext = {
  kind: 'new',
  accountId: '123456789012',
  region: 'us-east-1',
  stage: 'alerts',
  environment: 'prod',
};
const PARAMETER = '/ecr-sentinel/slack-webhook'; // alerts.slack.webhookParameter of the example config

describe('sandbox alert wiring from the config', () => {
  let sandbox: Sandbox;
  const lines: string[] = [];
  const clients = () => {
    const config = {
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    return { ssm: new SSMClient(config), sns: new SNSClient(config) };
  };
  const outbox = async <T>(which: 'email' | 'slack'): Promise<T[]> => {
    const response = await fetch(`${sandbox.url}/_sandbox/outbox/${which}`);
    return ((await response.json()) as { messages: T[] }).messages;
  };

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      scanDelayMs: 50,
      log: (line) => lines.push(line),
      runtime: {
        serverlessFile: SERVERLESS_FILE,
        projectRoot: PROJECT_ROOT,
        stage: 'alerts',
        retryDelaysMs: [50, 50],
        configFile: CONFIG_FILE,
      },
    });
  }, 90_000);

  afterAll(async () => {
    await sandbox?.stop();
  }, 30_000);

  it('seeds the Slack webhook parameter with the stand-in webhook URL, as a SecureString', async () => {
    const { ssm } = clients();
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: PARAMETER, WithDecryption: true }));
    expect(Parameter).toMatchObject({
      Type: 'SecureString',
      Value: `${sandbox.url}/_sandbox/webhooks/slack`,
    });
  });

  it('delivers an alert to the stand-in Slack webhook and to the email subscriber of the config', async () => {
    const { sns } = clients();
    const verdict = verdictOf({ repositoryName: 'orders-api-prod', findings: findings(3, 'CRITICAL') });
    const alert = snsAlertMessage(verdictAlert(verdict, context));

    await sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:ecr-sentinel-alerts-alerts',
        ...alert,
      }),
    );
    const posts = await eventually(
      () => outbox<{ payload: SlackMessage }>('slack'),
      (found) => found.length > 0,
    );
    const emails = await outbox<{ to: string; subject: string; message: string }>('email');

    expect(posts).toHaveLength(1);
    const post = posts[0]?.payload;
    expect(post?.text).toMatch(/^\[FAIL\] orders-api-prod@sha256:.*3 CRITICAL/);
    expect(post?.blocks).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: '[FAIL] orders-api-prod:v1.2.3 +1 · prod', emoji: true },
      },
    ]);
    expect(post?.attachments?.[0]?.color).toBe(SLACK_COLORS.red);
    expect(JSON.stringify(post?.attachments)).toContain('Account 123456789012 · us-east-1 · stage alerts');
    expect(emails).toEqual([
      expect.objectContaining({ to: 'platform-alerts@example.com', subject: alert.Subject }),
    ]);
    expect(emails[0]?.message).toContain('Blocking vulnerabilities (3):');
    expect(emails[0]?.message).toContain('Account:     123456789012, us-east-1, stage alerts');
    expect(lines.join('\n')).not.toContain('/_sandbox/webhooks/slack');
  });

  it('seeds the parameter again after a reset', async () => {
    const reset = await fetch(`${sandbox.url}/_sandbox/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    expect(reset.status).toBe(200);

    const { ssm } = clients();
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: PARAMETER, WithDecryption: true }));
    expect(Parameter?.Value).toBe(`${sandbox.url}/_sandbox/webhooks/slack`);
  });
});
