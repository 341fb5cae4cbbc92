import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SnsAlertMessage, snsAlertMessage } from '../../src/notifications/adapters/sns-alerts.ts';
import { SLACK_COLORS, type SlackMessage } from '../../src/notifications/slack-blocks.ts';
import type { LambdaRuntime } from '../../src/sandbox/runtime/index.ts';
import { type AlertContext, verdictAlert } from '../../src/scan-gate/alert.ts';
import { exception, finding, findings, verdictOf } from '../scan-gate/verdict-fixtures.ts';
import { PROJECT_ROOT } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { startFunctionUnderTest } from '../support/runtime.ts';
import { admin, awsClientConfig, uniqueName } from '../support/sandbox.ts';
import { assertWithinSlackLimits, slackTexts } from './slack-assert.ts';

/**
 * notify-slack on the shared sandbox: an alert published to the runtime's AlertsTopic (MessageStructure json, as
 * on-scan-completed publishes it) reaches the function through its SNS subscription; the webhook is a small HTTP
 * server of this test (its URL in an SSM SecureString named by this test's config), so it can answer 429 or 400.
 */

interface DestinationRecord {
  requestContext?: { condition?: string; approximateInvokeCount?: number };
  requestPayload?: { Records?: Array<{ Sns?: { Message?: string } }> };
  responsePayload?: { errorType?: string; errorMessage?: string };
}

interface Received {
  repository: string;
  status: number;
  body: SlackMessage;
}

const context: AlertContext = { kind: 'new', accountId: '123456789012', region: 'us-east-1' };

describe('notify-slack on the sandbox', () => {
  const id = uniqueName('slack');
  const email = `${id}@example.com`;
  const parameter = `/ecr-sentinel-test/${id}/slack-webhook`;
  const secretToken = `T0SECRET/B0SECRET/${id}`;
  const sns = new SNSClient(awsClientConfig());
  const sqs = new SQSClient(awsClientConfig());
  const ssm = new SSMClient(awsClientConfig());
  const runtimeLog: string[] = [];
  const received: Received[] = [];
  const seen429 = new Set<string>();
  let server: Server;
  let webhookUrl = '';
  let runtime: LambdaRuntime;
  let topicArn = '';
  let onFailureUrl = '';

  beforeAll(async () => {
    // The webhook: repositories named rl-* get one 429 (Retry-After: 1) then ok; rej-* always 400 invalid_blocks;
    // echo-* always 404 with a body that echoes the request path (the secret), as some proxies do.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SlackMessage;
        const repository = /\] (\S+?)@/.exec(body.text)?.[1] ?? '';
        let status = 200;
        if (repository.startsWith(`rl-${id}`) && !seen429.has(repository)) {
          seen429.add(repository);
          status = 429;
          res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' }).end('rate_limited');
        } else if (repository.startsWith(`rej-${id}`)) {
          status = 400;
          res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_blocks');
        } else if (repository.startsWith(`echo-${id}`)) {
          status = 404;
          res.writeHead(404, { 'content-type': 'text/plain' }).end(`no_service ${req.url}`);
        } else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        received.push({ repository, status, body });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/${secretToken}`;
    await ssm.send(
      new PutParameterCommand({ Name: parameter, Type: 'SecureString', Value: webhookUrl, Overwrite: true }),
    );

    // This test's config: the example with its own alerts (an email subscriber and the Slack parameter).
    const example = readFileSync(join(PROJECT_ROOT, 'sentinel.config.yml'), 'utf8');
    const config = join(tmpdir(), `${id}.config.yml`);
    writeFileSync(
      config,
      `${example.slice(0, example.indexOf('\nalerts:'))}\nalerts:\n  email: [${email}]\n  slack:\n    webhookParameter: ${parameter}\n`,
    );
    runtime = await startFunctionUnderTest('notifySlack', 'ns', {
      variables: { SENTINEL_CONFIG: config },
      functionEnvironment: { SENTINEL_CONFIG: config },
      log: (line) => runtimeLog.push(line),
    });
    topicArn = runtime.resources.AlertsTopic?.arn ?? '';
    onFailureUrl = runtime.resources.OnFailureQueue?.url ?? '';
  }, 60_000);

  afterAll(async () => {
    await runtime?.stop();
    await new Promise((resolve) => server?.close(resolve));
  }, 30_000);

  async function publish(alert: SnsAlertMessage): Promise<void> {
    await sns.send(new PublishCommand({ TopicArn: topicArn, ...alert }));
  }

  async function failures(): Promise<DestinationRecord[]> {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: onFailureUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    return Messages.map((m) => JSON.parse(m.Body ?? '{}') as DestinationRecord);
  }

  it('posts the alert as Block Kit after a 429, and emails the text to the subscriber from the config', async () => {
    const repositoryName = `rl-${id}`;
    const verdict = verdictOf({
      repositoryName,
      imageTags: ['v1.2.3'],
      findings: [
        ...findings(2, 'CRITICAL'),
        ...findings(14, 'HIGH', 2000),
        finding('CVE-2023-45853', 'HIGH', { package: 'zlib' }),
      ],
      exceptions: [exception('CVE-2023-45853', { repositories: ['rl-*'] })],
    });
    const alert = snsAlertMessage(verdictAlert(verdict, context));

    await publish(alert);
    const posts = await eventually(
      async () => received.filter((r) => r.repository === repositoryName),
      (found) => found.some((r) => r.status === 200),
    );
    await runtime.idle(10_000);

    expect(posts.map((p) => p.status)).toEqual([429, 200]);
    const message = posts[1]?.body as SlackMessage;
    assertWithinSlackLimits(message);
    expect(message.text).toMatch(new RegExp(`^\\[FAIL\\] ${repositoryName}@sha256:.*: 2 CRITICAL, 14 HIGH`));
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: `[FAIL] ${repositoryName}:v1.2.3` },
    });
    expect(message.attachments?.[0]?.color).toBe(SLACK_COLORS.red);
    const text = slackTexts(message).join('\n');
    expect(text).toContain('Blocking vulnerabilities (16)');
    expect(text).toContain(
      '• *CRITICAL* <https://nvd.nist.gov/vuln/detail/CVE-2024-1000|CVE-2024-1000> · `openssl 3.0.1 → 3.0.2`',
    );
    expect(text).toContain('Exceptions applied');
    expect(text).toContain('CVE-2023-45853');
    const invocation = runtime
      .history()
      .find((h) => h.function === 'notifySlack' && JSON.stringify(h.result ?? {}).includes(repositoryName));
    expect(invocation).toMatchObject({
      ok: true,
      result: { outcome: 'posted', attempts: 2, status: 'FAIL' },
    });

    const { body } = await admin('GET', 'outbox/email');
    const mails = (
      body as { messages: Array<{ to: string; subject: string; message: string }> }
    ).messages.filter((m) => m.to === email && m.subject === alert.Subject);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.message).toBe((JSON.parse(alert.Message) as { email: string }).email);
    expect(mails[0]?.message).toContain(`Repository:  ${repositoryName}`);
  });

  it('fails on a 400 invalid_blocks, logs status and error without the URL, and lands on the onFailure queue', async () => {
    const repositoryName = `rej-${id}`;
    await publish(
      snsAlertMessage(
        verdictAlert(verdictOf({ repositoryName, findings: findings(1, 'CRITICAL') }), context),
      ),
    );

    const records = await eventually(failures, (found) =>
      found.some((r) => r.requestPayload?.Records?.[0]?.Sns?.Message?.includes(repositoryName)),
    );
    const record = records.find((r) =>
      r.requestPayload?.Records?.[0]?.Sns?.Message?.includes(repositoryName),
    );

    expect(record?.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    expect(record?.responsePayload).toMatchObject({
      errorType: 'SlackWebhookRejectedError',
      errorMessage: 'Slack rejected the message: HTTP 400 invalid_blocks',
    });
    // One attempt per invocation: a 400 is not retried inside the function.
    expect(received.filter((r) => r.repository === repositoryName).map((r) => r.status)).toEqual([
      400, 400, 400,
    ]);
    const logs = runtimeLog.join('\n');
    expect(logs).toMatch(/Slack rejected the message.*"status":400.*"slackError":"invalid_blocks"/);
  });

  it('sends a malformed alert message to the onFailure queue with a clear error', async () => {
    const marker = uniqueName('not-json');
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: `this is not an alert ${marker}` }));

    const records = await eventually(failures, (found) =>
      found.some((r) => r.requestPayload?.Records?.[0]?.Sns?.Message?.includes(marker)),
    );
    const record = records.find((r) => r.requestPayload?.Records?.[0]?.Sns?.Message?.includes(marker));

    expect(record?.responsePayload?.errorType).toBe('InvalidEventError');
    expect(record?.responsePayload?.errorMessage).toMatch(
      /Records\.0\.Sns\.Message: expected a JSON alert document/,
    );
  });

  it('keeps the webhook path out of the error when the webhook echoes it', async () => {
    const repositoryName = `echo-${id}`;
    await publish(
      snsAlertMessage(
        verdictAlert(verdictOf({ repositoryName, findings: findings(1, 'CRITICAL') }), context),
      ),
    );

    const records = await eventually(failures, (found) =>
      found.some((r) => r.requestPayload?.Records?.[0]?.Sns?.Message?.includes(repositoryName)),
    );
    const record = records.find((r) =>
      r.requestPayload?.Records?.[0]?.Sns?.Message?.includes(repositoryName),
    );

    expect(record?.responsePayload).toMatchObject({
      errorType: 'SlackWebhookRejectedError',
      errorMessage: 'Slack rejected the message: HTTP 404 no_service [redacted]',
    });
  });

  it('never writes the webhook URL to the logs', async () => {
    await runtime.idle(10_000);
    const logs = runtimeLog.join('\n');
    expect(logs).toContain('[notifySlack]');
    expect(logs).not.toContain(webhookUrl);
    expect(logs).not.toContain(secretToken);
    expect(logs).not.toContain(`127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
});
