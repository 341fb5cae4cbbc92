/**
 * The stand-in for a Slack incoming webhook: the sandbox seeds the configuration's webhook parameter with its
 * URL, answers posts the way Slack does and records the accepted ones in the Slack outbox, so a person or a
 * test can read exactly what would have been posted.
 */
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { loadConfig } from '../../config/load.ts';

/** Path of the stand-in webhook on the sandbox's endpoint. */
export const SLACK_WEBHOOK_ROUTE = '/_sandbox/webhooks/slack';

/** What the Slack outbox records for each accepted webhook post. */
export interface SlackPost {
  timestamp: string;
  payload: Record<string, unknown>;
}

/** Block types Slack accepts in messages. */
const SLACK_BLOCK_TYPES = new Set([
  'actions',
  'context',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'table',
  'video',
]);

/** Slack's answer to a webhook post: `ok` or the error text Slack returns with HTTP 400. */
export type SlackVerdict = { ok: true; payload: Record<string, unknown> } | { ok: false; error: string };

function textOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const text = (value as Record<string, unknown>).text;
  return typeof text === 'string' ? text : undefined;
}

function blockIsValid(block: unknown): boolean {
  if (typeof block !== 'object' || block === null || Array.isArray(block)) return false;
  const b = block as Record<string, unknown>;
  if (typeof b.type !== 'string' || !SLACK_BLOCK_TYPES.has(b.type)) return false;
  if (b.block_id !== undefined && (typeof b.block_id !== 'string' || b.block_id.length > 255)) return false;
  switch (b.type) {
    case 'header': {
      const text = textOf(b.text);
      return (
        text !== undefined && text.length <= 150 && (b.text as Record<string, unknown>).type === 'plain_text'
      );
    }
    case 'section': {
      const text = textOf(b.text);
      const fields = b.fields;
      if (text === undefined && !Array.isArray(fields)) return false;
      if (text !== undefined && (text.length === 0 || text.length > 3000)) return false;
      if (
        Array.isArray(fields) &&
        (fields.length > 10 || fields.some((f) => (textOf(f) ?? '').length > 2000))
      )
        return false;
      return true;
    }
    case 'context':
      return Array.isArray(b.elements) && b.elements.length > 0 && b.elements.length <= 10;
    case 'actions':
      return Array.isArray(b.elements) && b.elements.length > 0 && b.elements.length <= 25;
    case 'markdown':
      return typeof b.text === 'string' && b.text.length <= 12000;
    case 'image':
      return (
        (typeof b.image_url === 'string' || typeof b.slack_file === 'object') &&
        typeof b.alt_text === 'string'
      );
    default:
      return true;
  }
}

/**
 * Validate an incoming-webhook post the way Slack answers it: `invalid_payload` (not a JSON object),
 * `no_text` (no text, blocks or attachments), `invalid_blocks` (blocks not an array, more than 50, or a block
 * without a known type / with text over its limit), `msg_too_long` (text over 40,000 characters).
 * A form post `payload=<json>` is accepted as Slack accepts it.
 */
export function validateSlackPost(rawBody: string, contentType: string | undefined): SlackVerdict {
  let json = rawBody;
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(rawBody).get('payload');
    if (payload === null) return { ok: false, error: 'invalid_payload' };
    json = payload;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch {
    return { ok: false, error: 'invalid_payload' };
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, error: 'invalid_payload' };
  }
  const p = payload as Record<string, unknown>;
  const hasText = typeof p.text === 'string' && p.text.trim() !== '';
  const hasAttachments = Array.isArray(p.attachments) && p.attachments.length > 0;
  if (p.blocks !== undefined) {
    if (!Array.isArray(p.blocks) || p.blocks.length > 50 || !p.blocks.every(blockIsValid)) {
      return { ok: false, error: 'invalid_blocks' };
    }
  }
  const hasBlocks = Array.isArray(p.blocks) && p.blocks.length > 0;
  if (!hasText && !hasBlocks && !hasAttachments) return { ok: false, error: 'no_text' };
  if (typeof p.text === 'string' && p.text.length > 40000) return { ok: false, error: 'msg_too_long' };
  return { ok: true, payload: p };
}

/**
 * Point the configuration's Slack webhook parameter (`alerts.slack.webhookParameter`) at the stand-in webhook,
 * so the functions post there. Does nothing when the configuration names no parameter.
 */
export async function seedSlackWebhook(ssm: SSMClient, configFile: string, publicUrl: string): Promise<void> {
  const parameter = (await loadConfig(configFile)).alerts.slack?.webhookParameter;
  if (!parameter) return;
  await ssm.send(
    new PutParameterCommand({
      Name: parameter,
      Type: 'SecureString',
      Value: `${publicUrl}${SLACK_WEBHOOK_ROUTE}`,
      Overwrite: true,
    }),
  );
}
