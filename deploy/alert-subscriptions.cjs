// Alert wiring from sentinel.config.yml for serverless.yml (and the sandbox's local runtime, which reads the same
// serverless.yml):
//
//   resources:
//     - Resources: { ... }
//     - ${file(./deploy/alert-subscriptions.cjs):resources}
//   ... SLACK_WEBHOOK_PARAMETER: ${file(./deploy/alert-subscriptions.cjs):slackWebhookParameter}
//
// The Serverless Framework (v3 / osls) require()s this file and, the export being a function, calls it (awaiting
// its result) with { options, resolveVariable, resolveConfigurationProperty }; the address after ":" then picks a
// property of what it returned. It is kept synchronous so the local runtime can resolve it the same way.
//
// Which config: see config-file.cjs, which has `ecr-sentinel config validate` check the whole file first (an invalid
// one fails packaging with its located problems). Only `alerts` is read here.
'use strict';

const { createHash } = require('node:crypto');
const { fail, readConfig } = require('./config-file.cjs');

/** The name used in IAM when Slack is not configured: a parameter nobody creates. */
const UNCONFIGURED_PARAMETER = '/ecr-sentinel/slack-webhook-not-configured';

/** `alerts` of the config: `{ email: string[], slackWebhookParameter: string | undefined }`. */
function readAlerts() {
  const { file, config } = readConfig();
  const alerts = config.alerts || {};
  if (typeof alerts !== 'object' || Array.isArray(alerts)) fail(file, 'alerts: expected a mapping');
  const email = alerts.email ?? [];
  if (!Array.isArray(email)) fail(file, 'alerts.email: expected a list of email addresses');
  email.forEach((address, index) => {
    if (typeof address !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) {
      fail(file, `alerts.email[${index}]: expected an email address, got ${JSON.stringify(address)}`);
    }
  });
  let slackWebhookParameter;
  if (alerts.slack !== undefined && alerts.slack !== null) {
    slackWebhookParameter = alerts.slack.webhookParameter;
    if (
      typeof slackWebhookParameter !== 'string' ||
      !/^[a-zA-Z0-9_.\-/]{1,2048}$/.test(slackWebhookParameter)
    ) {
      fail(
        file,
        'alerts.slack.webhookParameter: expected an SSM parameter name such as /ecr-sentinel/slack-webhook',
      );
    }
  }
  return { email, slackWebhookParameter };
}

/** A stable logical id per address (reordering the list does not replace subscriptions). */
function subscriptionId(address) {
  return `AlertsEmailSubscription${createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 12)}`;
}

module.exports = function alertSubscriptions() {
  const { email, slackWebhookParameter } = readAlerts();
  const Resources = {};
  for (const address of email) {
    Resources[subscriptionId(address)] = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: 'AlertsTopic' }, Protocol: 'email', Endpoint: address },
    };
  }
  const parameter = slackWebhookParameter ?? UNCONFIGURED_PARAMETER;
  return {
    /** The second item of serverless.yml `resources:` (merged with the first). */
    resources: { Resources },
    /** notify-slack's SLACK_WEBHOOK_PARAMETER: empty when Slack is not configured (it then posts nothing). */
    slackWebhookParameter: slackWebhookParameter ?? '',
    /** The parameter's part of its ARN, `arn:…:parameter${this}` (names without a leading slash get one). */
    slackWebhookParameterArnPath: parameter.startsWith('/') ? parameter : `/${parameter}`,
  };
};
