import { SentinelError } from '../shared/errors.ts';
import { slackMessage, slackMessageFromTruncatedAlert } from './alert-blocks.ts';
import type { AnyAlertDocument } from './alert-document.ts';
import { slackCleanupMessage } from './cleanup-blocks.ts';
import { CLEANUP_ALERT_TYPE } from './cleanup-document.ts';
import { slackComplianceMessage } from './compliance-blocks.ts';
import { COMPLIANCE_ALERT_TYPE } from './compliance-document.ts';
import { isWebLink } from './links.ts';
import type { SecretReader, WebhookPoster } from './ports.ts';
import { slackMessageFromTruncatedPromotion, slackPromotionMessage } from './promotion-blocks.ts';
import { PROMOTION_ALERT_TYPE } from './promotion-document.ts';
import { allBlocks, type SlackMessage } from './slack-blocks.ts';

/** One alert as notify-slack received it from SNS. */
export interface SlackAlertInput {
  /** The SNS message id (logs, summary). */
  messageId: string;
  alert: AnyAlertDocument;
  /** Time left for the delivery, retries included. */
  remainingMs: () => number;
}

export type SlackAlertSummary =
  | { outcome: 'skipped'; messageId: string; reason: string }
  | {
      outcome: 'posted';
      messageId: string;
      repositoryName: string;
      imageDigest: string;
      status: string;
      kind: string;
      blocks: number;
      attempts: number;
    }
  | {
      outcome: 'posted';
      messageId: string;
      alertType: 'promotion';
      promotionId: string;
      event: string;
      /** The target repository. */
      repositoryName: string;
      imageDigest: string;
      blocks: number;
      attempts: number;
    }
  | {
      outcome: 'posted';
      messageId: string;
      alertType: 'cleanup';
      /** summary, notice or refused. */
      kind: string;
      /** The run, when the alert has one (a CLI refusal may not). */
      runId?: string;
      /** The refused repository. */
      repositoryName?: string;
      blocks: number;
      attempts: number;
    }
  | {
      outcome: 'posted';
      messageId: string;
      alertType: 'compliance';
      /** drift, fixed or fix-failed. */
      kind: string;
      triggerId: string;
      repositoryName?: string;
      blocks: number;
      attempts: number;
    };

/**
 * The webhook parameter holds something that is not a plain http(s) URL (http for a local stand-in webhook;
 * no spaces, no credentials); its value is not repeated here.
 */
export class InvalidWebhookUrlError extends SentinelError {
  override readonly name = 'InvalidWebhookUrlError';
  constructor(readonly parameterName: string) {
    super(
      `SSM parameter ${parameterName} does not hold an http(s) URL without spaces or credentials (expected a Slack incoming-webhook URL)`,
    );
  }
}

/** The Block Kit message for an alert document of any type (full or cut down). */
export function slackMessageFor(alert: AnyAlertDocument): SlackMessage {
  if (alert.type === CLEANUP_ALERT_TYPE) return slackCleanupMessage(alert);
  if (alert.type === COMPLIANCE_ALERT_TYPE) return slackComplianceMessage(alert);
  if (alert.type === PROMOTION_ALERT_TYPE) {
    return 'truncated' in alert ? slackMessageFromTruncatedPromotion(alert) : slackPromotionMessage(alert);
  }
  return 'truncated' in alert ? slackMessageFromTruncatedAlert(alert) : slackMessage(alert);
}

/** What the summary says about the alert, by its type. */
function postedAbout(alert: AnyAlertDocument) {
  if (alert.type === COMPLIANCE_ALERT_TYPE) {
    return {
      alertType: 'compliance' as const,
      kind: alert.kind,
      triggerId: alert.trigger.id,
      ...(alert.target.kind === 'repository' ? { repositoryName: alert.target.repositoryName } : {}),
    };
  }
  if (alert.type === CLEANUP_ALERT_TYPE) {
    return {
      alertType: 'cleanup' as const,
      kind: alert.kind,
      ...(alert.run === undefined ? {} : { runId: alert.run.runId }),
      ...(alert.kind === 'refused' ? { repositoryName: alert.repositoryName } : {}),
    };
  }
  if (alert.type === PROMOTION_ALERT_TYPE) {
    return {
      alertType: 'promotion' as const,
      promotionId: alert.promotionId,
      event: alert.event,
      repositoryName: alert.to.repositoryName,
      imageDigest: alert.digest,
    };
  }
  return {
    repositoryName: alert.repositoryName,
    imageDigest: alert.imageDigest,
    status: alert.status,
    kind: alert.kind,
  };
}

/**
 * Post an alert (a scan verdict, a promotion or a cleanup) to Slack. The webhook URL is read from the SSM SecureString
 * `webhookParameter` (cached by the reader); without one (no `alerts.slack` in the config) nothing is posted. A
 * failed post throws (Lambda retries the invocation, then sends it to the onFailure queue) and forgets the cached
 * URL, so a retry reads the parameter again and picks up a rotated URL.
 */
export function notifySlack(deps: {
  secrets: SecretReader;
  webhook: WebhookPoster;
  webhookParameter: string | undefined;
}) {
  return async (input: SlackAlertInput): Promise<SlackAlertSummary> => {
    const { messageId, alert } = input;
    const parameter = deps.webhookParameter;
    if (!parameter) {
      return { outcome: 'skipped', messageId, reason: 'no Slack webhook configured (alerts.slack)' };
    }
    const message = slackMessageFor(alert);
    const url = await deps.secrets.get(parameter);
    if (!isWebLink(url)) {
      deps.secrets.invalidate(parameter);
      throw new InvalidWebhookUrlError(parameter);
    }
    try {
      const { attempts } = await deps.webhook.post(url, message, { remainingMs: input.remainingMs });
      return {
        outcome: 'posted',
        messageId,
        ...postedAbout(alert),
        blocks: allBlocks(message).length,
        attempts,
      };
    } catch (error) {
      deps.secrets.invalidate(parameter);
      throw error;
    }
  };
}
