import type { CompleteAlert } from './alert-document.ts';

/**
 * Publishes alerts (SNS): given the complete document of any type (a scan verdict, a promotion, a cleanup), it renders
 * and cuts it to what the channel carries.
 */
export interface AlertPublisher {
  publish(alert: CompleteAlert): Promise<{ messageId: string }>;
}

/** Secret values by name (SSM SecureString); implementations cache and never log the value. */
export interface SecretReader {
  get(name: string): Promise<string>;
  /** Forget a cached value (e.g. the webhook said the URL is no longer valid). */
  invalidate(name: string): void;
}

/** Posts one JSON message to a webhook URL, retrying what is worth retrying. */
export interface WebhookPoster {
  /** @returns how many attempts it took; throws a named error when the message was not delivered. */
  post(url: string, message: unknown, options: { remainingMs: () => number }): Promise<{ attempts: number }>;
}
