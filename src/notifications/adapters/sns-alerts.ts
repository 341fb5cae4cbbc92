import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertPublisher } from '../ports.ts';

/**
 * {@link AlertPublisher} on one SNS topic: `MessageStructure: json` (text for email/default, the JSON document
 * for sqs/lambda), the subject, and message attributes subscriptions can filter on. The message itself is
 * rendered by `src/notifications/alert-text.ts` (`snsAlert`).
 * IAM: sns:Publish.
 * @see https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
export function snsAlerts(sns: SNSClient, topicArn: string): AlertPublisher {
  return {
    async publish(alert) {
      const out = await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: alert.Subject,
          Message: alert.Message,
          MessageStructure: alert.MessageStructure,
          MessageAttributes: alert.MessageAttributes,
        }),
      );
      return { messageId: out.MessageId ?? '' };
    },
  };
}
