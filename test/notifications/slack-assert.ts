import { expect } from 'vitest';
import {
  allBlocks,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
} from '../../src/notifications/slack-blocks.ts';

/** Every text a message shows (header, sections and their fields, context), its attachments' included. */
export function slackTexts(message: SlackMessage | SlackBlock[]): string[] {
  const blocks = Array.isArray(message) ? message : allBlocks(message);
  return blocks.flatMap((b) => {
    if (b.type === 'header') return [b.text.text];
    if (b.type === 'section') return [b.text.text, ...(b.fields ?? []).map((f) => f.text)];
    if (b.type === 'context') return b.elements.map((e) => e.text);
    return [];
  });
}

const length = (text: string) => [...text].length;

/** Slack's limits, across the message and its attachments: what Slack would refuse with `invalid_blocks`. */
export function assertWithinSlackLimits(message: SlackMessage): void {
  expect(length(message.text)).toBeGreaterThan(0);
  expect(length(message.text)).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  const blocks = allBlocks(message);
  expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  for (const attachment of message.attachments ?? []) expect(attachment.color).toMatch(/^#[0-9A-F]{6}$/i);
  for (const block of blocks) {
    if (block.type === 'header') {
      expect(length(block.text.text)).toBeGreaterThan(0);
      expect(length(block.text.text)).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
      expect(block.text.text).not.toMatch(/\n/);
    }
    if (block.type === 'section') {
      expect(length(block.text.text)).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.fields);
      for (const f of block.fields ?? []) expect(length(f.text)).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    }
    if (block.type === 'context') {
      expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
      for (const e of block.elements) expect(length(e.text)).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
    if (block.type === 'actions') {
      for (const e of block.elements) {
        expect(length(e.text.text)).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
        expect(e.url.length).toBeLessThanOrEqual(SLACK_LIMITS.url);
      }
    }
  }
}
