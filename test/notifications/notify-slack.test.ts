import { describe, expect, it } from 'vitest';
import { InvalidWebhookUrlError, notifySlack } from '../../src/notifications/notify-slack.ts';
import type { SecretReader, WebhookPoster } from '../../src/notifications/ports.ts';
import { findings, verdictOf } from '../scan-gate/verdict-fixtures.ts';
import { alertOf, receivedAlert } from './alert-fixtures.ts';

const alert = receivedAlert(
  alertOf(verdictOf({ findings: findings(1, 'CRITICAL') }), 'new', { region: 'us-east-1' }),
);

/** In-memory ports (plain objects, not SDK mocks). */
function fakes(url = 'https://hooks.slack.example/services/T/B/X', fail = false) {
  const reads: string[] = [];
  const invalidated: string[] = [];
  const posts: Array<{ url: string; message: unknown }> = [];
  const secrets: SecretReader = {
    async get(name) {
      reads.push(name);
      return url;
    },
    invalidate: (name) => invalidated.push(name),
  };
  const webhook: WebhookPoster = {
    async post(to, message) {
      posts.push({ url: to, message });
      if (fail) throw new Error('rejected');
      return { attempts: 1 };
    },
  };
  return { secrets, webhook, reads, invalidated, posts };
}

const input = { messageId: 'm-1', alert, remainingMs: () => 20_000 };

describe('notify-slack use case', () => {
  it('posts the Block Kit message to the URL read from the parameter', async () => {
    const f = fakes();
    const summary = await notifySlack({ ...f, webhookParameter: '/p' })(input);
    expect(summary).toMatchObject({ outcome: 'posted', status: 'FAIL', kind: 'new', attempts: 1 });
    expect(f.reads).toEqual(['/p']);
    expect(f.posts[0]?.url).toBe('https://hooks.slack.example/services/T/B/X');
    expect(f.posts[0]?.message).toMatchObject({ text: expect.stringContaining('[FAIL]') });
  });

  it('posts nothing when Slack is not configured', async () => {
    const f = fakes();
    const summary = await notifySlack({ ...f, webhookParameter: undefined })(input);
    expect(summary).toMatchObject({ outcome: 'skipped' });
    expect(f.reads).toEqual([]);
    expect(f.posts).toEqual([]);
  });

  it('rejects a parameter that holds no URL without repeating its value', async () => {
    const f = fakes('not a url secret-value');
    const run = notifySlack({ ...f, webhookParameter: '/p' })(input);
    await expect(run).rejects.toThrow(InvalidWebhookUrlError);
    await expect(run).rejects.not.toThrow(/secret-value/);
    expect(f.invalidated).toEqual(['/p']);
  });

  it('forgets the cached URL when a post fails, so a retry reads it again', async () => {
    const f = fakes(undefined, true);
    await expect(notifySlack({ ...f, webhookParameter: '/p' })(input)).rejects.toThrow('rejected');
    expect(f.invalidated).toEqual(['/p']);
  });
});
