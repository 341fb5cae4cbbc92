import { describe, expect, it } from 'vitest';
import { validateSlackPost } from '../../../src/sandbox/taps/slack.ts';

describe('Slack webhook stand-in', () => {
  const block = (type: string, extra: Record<string, unknown> = {}) => ({ type, ...extra });
  const section = block('section', { text: { type: 'mrkdwn', text: 'hi' } });

  it.each([
    ['text', { text: 'hello' }],
    [
      'blocks',
      { blocks: [block('header', { text: { type: 'plain_text', text: 'H' } }), section, block('divider')] },
    ],
    ['attachments only', { attachments: [{ text: 'a' }] }],
  ])('accepts a payload with %s', (_name, payload) => {
    expect(validateSlackPost(JSON.stringify(payload), 'application/json')).toEqual({ ok: true, payload });
  });

  it('accepts a form post with payload=<json>', () => {
    const body = new URLSearchParams({ payload: '{"text":"hi"}' }).toString();
    expect(validateSlackPost(body, 'application/x-www-form-urlencoded')).toMatchObject({ ok: true });
  });

  it.each([
    ['not JSON', '{text:', 'invalid_payload'],
    ['a JSON array', '[]', 'invalid_payload'],
    ['no text or blocks', '{"username":"bot"}', 'no_text'],
    ['empty text', '{"text":"  "}', 'no_text'],
    ['blocks not an array', '{"blocks":{"type":"section"}}', 'invalid_blocks'],
    ['a block without a type', '{"blocks":[{"text":{"type":"mrkdwn","text":"x"}}]}', 'invalid_blocks'],
    [
      'an unknown block type',
      '{"blocks":[{"type":"sectoin","text":{"type":"mrkdwn","text":"x"}}]}',
      'invalid_blocks',
    ],
    [
      'a section over 3000 characters',
      JSON.stringify({ blocks: [block('section', { text: { type: 'mrkdwn', text: 'x'.repeat(3001) } })] }),
      'invalid_blocks',
    ],
    [
      'more than 50 blocks',
      JSON.stringify({ blocks: Array.from({ length: 51 }, () => section) }),
      'invalid_blocks',
    ],
    ['text over 40000 characters', JSON.stringify({ text: 'x'.repeat(40001) }), 'msg_too_long'],
  ])('rejects %s with %s', (_name, body, error) => {
    expect(validateSlackPost(body, 'application/json')).toEqual({
      ok: false,
      error: body === '' ? '' : error,
    });
  });
});
