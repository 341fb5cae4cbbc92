import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import type { Clock } from '../../shared/clock.ts';
import type { Outbox } from './outbox.ts';
import { passesFilterPolicy } from './sns-filter-policy.ts';
import {
  assignMessageIds,
  messageForProtocol,
  notificationEnvelope,
  parseSnsPublish,
  type SnsMessageAttribute,
  type SnsPublishedMessage,
} from './sns-publish.ts';

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

/** SNS actions that leave subscriptions as they are. */
const SNS_READ_ONLY = /^(Publish|PublishBatch|List|Get|CheckIfPhoneNumberIsOptedOut)/;

/** Whether an SNS call may change subscriptions (Subscribe, SetSubscriptionAttributes, DeleteTopic, ...). */
export function changesSubscriptions(action: string): boolean {
  return !SNS_READ_ONLY.test(action);
}

/** Whether an SNS call publishes messages (the ones the email tap records). */
export function isPublish(action: string): boolean {
  return action === 'Publish' || action === 'PublishBatch';
}

interface EmailSubscription {
  protocol: 'email' | 'email-json';
  endpoint: string;
  subscriptionArn: string;
  filterPolicy?: string;
  filterPolicyScope?: string;
}

/**
 * Records what SNS would email: for each published message, every `email` / `email-json` subscription of the
 * topic (read from moto, cached per topic until any other SNS call passes the edge) gets an outbox entry.
 */
export class SnsEmailTap {
  private readonly cache = new Map<string, Promise<EmailSubscription[]>>();

  constructor(
    private readonly sns: SNSClient,
    private readonly outbox: Outbox<EmailDelivery>,
    private readonly clock: Clock,
    private readonly publicUrl: () => string,
  ) {}

  /** Subscriptions may have changed (Subscribe, SetSubscriptionAttributes, DeleteTopic, reset, ...). */
  invalidate(): void {
    this.cache.clear();
  }

  private subscriptions(topicArn: string): Promise<EmailSubscription[]> {
    let cached = this.cache.get(topicArn);
    if (!cached) {
      cached = this.load(topicArn);
      this.cache.set(topicArn, cached);
      cached.catch(() => this.cache.delete(topicArn));
    }
    return cached;
  }

  private async load(topicArn: string): Promise<EmailSubscription[]> {
    const found: EmailSubscription[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: nextToken }),
      );
      for (const s of page.Subscriptions ?? []) {
        if ((s.Protocol === 'email' || s.Protocol === 'email-json') && s.Endpoint && s.SubscriptionArn) {
          found.push({ protocol: s.Protocol, endpoint: s.Endpoint, subscriptionArn: s.SubscriptionArn });
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);
    await Promise.all(
      found.map(async (subscription) => {
        if (!subscription.subscriptionArn.startsWith('arn:')) return; // "PendingConfirmation"
        try {
          const { Attributes } = await this.sns.send(
            new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription.subscriptionArn }),
          );
          if (Attributes?.FilterPolicy) subscription.filterPolicy = Attributes.FilterPolicy;
          if (Attributes?.FilterPolicyScope) subscription.filterPolicyScope = Attributes.FilterPolicyScope;
        } catch {
          // No attributes: deliver unfiltered.
        }
      }),
    );
    return found;
  }

  /**
   * Record the email deliveries of a Publish / PublishBatch that moto accepted, from the request's form body and
   * moto's XML answer (which holds the MessageIds).
   */
  async recordPublish(requestBody: string, responseXml: string): Promise<void> {
    const messages = parseSnsPublish(requestBody);
    if (messages.length === 0) return;
    assignMessageIds(messages, responseXml);
    await this.record(messages);
  }

  private async record(messages: SnsPublishedMessage[]): Promise<void> {
    for (const published of messages) {
      if (!published.messageId) continue;
      const subscriptions = await this.subscriptions(published.topicArn);
      const timestamp = this.clock.now().toISOString();
      for (const subscription of subscriptions) {
        if (!passesFilterPolicy(subscription.filterPolicy, subscription.filterPolicyScope, published))
          continue;
        const text = messageForProtocol(published.message, published.messageStructure, subscription.protocol);
        const message =
          subscription.protocol === 'email'
            ? text
            : notificationEnvelope({
                messageId: published.messageId,
                topicArn: published.topicArn,
                subscriptionArn: subscription.subscriptionArn,
                ...(published.subject === undefined ? {} : { subject: published.subject }),
                message: text,
                timestamp,
                messageAttributes: published.messageAttributes,
                publicUrl: this.publicUrl(),
              });
        this.outbox.add({
          to: subscription.endpoint,
          protocol: subscription.protocol,
          topicArn: published.topicArn,
          subscriptionArn: subscription.subscriptionArn,
          subject: published.subject ?? 'AWS Notification Message',
          message,
          messageId: published.messageId,
          messageAttributes: published.messageAttributes,
          timestamp,
        });
      }
    }
  }
}
