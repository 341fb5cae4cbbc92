import { describe, expect, it } from 'vitest';
import { SUBJECT_MAX } from '../../src/notifications/alert-subject.ts';
import { COMPACT_PROMOTION_LIMITS, PROMOTION_EVENTS } from '../../src/notifications/promotion-document.ts';
import { promotionEmailText } from '../../src/notifications/promotion-email.ts';
import { promotionSubject } from '../../src/notifications/promotion-subject.ts';
import { humanBytes } from '../../src/notifications/text.ts';
import { PROMOTION_CONSOLE_URL, PROMOTION_ID, promotionOf } from './promotion-fixtures.ts';

const PRINTABLE_ASCII = /^[\x20-\x7E]+$/;

describe('promotion subject', () => {
  it.each([
    ['pending-approval', `[APPROVAL NEEDED] orders-api 1.4.2 staging -> prod (${PROMOTION_ID})`],
    ['approved', '[APPROVED] orders-api 1.4.2 staging -> prod by bob@example.com'],
    ['completed', '[PROMOTED] orders-api 1.4.2 staging -> prod'],
    ['rejected', '[REJECTED] orders-api 1.4.2 staging -> prod by bob@example.com: not during the freeze'],
    ['expired', `[APPROVAL EXPIRED] orders-api 1.4.2 staging -> prod (${PROMOTION_ID})`],
    [
      'failed',
      '[PROMOTION FAILED] orders-api 1.4.2 staging -> prod: LayersNotFoundException: sha256:abc is not ...',
    ],
    ['refused', '[PROMOTION REFUSED] orders-api 1.4.2 staging -> prod: 2 CRITICAL (max 0)'],
  ] as const)('says what happened for %s', (event, subject) => {
    expect(promotionSubject(promotionOf(event))).toBe(subject);
    expect(promotionOf(event).subject).toBe(subject);
  });

  it('gives the refusal reason when the gate did not fail the image itself', () => {
    const alert = promotionOf('refused', {
      reason: 'the newest scan is 9 days old',
      gate: { status: 'PASS', reason: 'within thresholds', blocking: [] },
    });
    expect(promotionSubject(alert)).toBe(
      '[PROMOTION REFUSED] orders-api 1.4.2 staging -> prod: the newest scan is 9 days old',
    );
  });

  it.each(PROMOTION_EVENTS)(
    'stays within SNS subject rules for %s with absurd names, keeping the id of an approval',
    (event) => {
      const alert = promotionOf(event, {
        app: `${'team/'.repeat(30)}orders-api`,
        appVersion: `1.4.2-${'rc'.repeat(100)}`,
        requestedBy: 'alice',
        approvedBy: 'bøb\nthe approver',
        error: 'é'.repeat(500),
      });

      const subject = promotionSubject(alert);

      expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
      expect(subject).toMatch(PRINTABLE_ASCII);
      if (event === 'pending-approval') expect(subject).toContain(`(${PROMOTION_ID})`);
      expect(subject).toContain('orders-api');
      expect(subject).toContain('staging -> prod');
    },
  );

  it('folds characters SNS subjects should not carry', () => {
    const subject = promotionSubject(promotionOf('approved', { approvedBy: 'zoë\r\nsmith' }));
    expect(subject).toBe('[APPROVED] orders-api 1.4.2 staging -> prod by zo? smith');
  });
});

describe('promotion email text', () => {
  it('shows a pending approval with who, where, the gate, expiry and the exact commands', () => {
    const text = promotionEmailText(promotionOf('pending-approval'));

    expect(text.split('\n').slice(0, 3)).toEqual([
      'APPROVAL NEEDED: orders-api 1.4.2 staging → prod',
      '',
      `Promotion:    ${PROMOTION_ID}`,
    ]);
    expect(text).toContain('From:         staging: orders-api-staging (account 111111111111, eu-west-1)');
    expect(text).toContain('To:           prod: orders-api-prod (account 222222222222, eu-west-1)');
    expect(text).toContain('Requested by: alice@example.com');
    expect(text).toContain('Expires:      2026-11-30T20:00:00.000Z');
    expect(text).toContain('Gate:         PASS — within thresholds');
    expect(text).toContain('Scan judged:  orders-api-staging, completed 2026-11-27T08:00:00.000Z');
    expect(text).toContain(
      `To approve (anyone but alice@example.com), run:\n  npx ecr-sentinel approve ${PROMOTION_ID} --by <you>\n`,
    );
    expect(text).toContain(
      `To reject, run:\n  npx ecr-sentinel reject ${PROMOTION_ID} --by <you> --reason <text>\n`,
    );
    expect(text.endsWith(`Console: ${PROMOTION_CONSOLE_URL}\n`)).toBe(true);
  });

  it('shows what a completed promotion copied, bytes readable', () => {
    const text = promotionEmailText(promotionOf('completed'));

    expect(text).toContain('PROMOTED: orders-api 1.4.2 staging → prod');
    expect(text).toContain('Approved by:  bob@example.com');
    expect(text).toContain(
      'Copy:         3 blobs copied (12.3 MiB), 2 already there; 1 manifest put, 1 referrer copied; repository created',
    );
    expect(text).not.toContain('To approve');
  });

  it('says nothing was copied when the image was already there', () => {
    const copy = {
      blobsCopied: 0,
      blobsSkipped: 5,
      bytesCopied: 0,
      manifestsPut: 0,
      referrersCopied: 0,
      alreadyPresent: true,
      repositoryCreated: false,
    };
    const text = promotionEmailText(promotionOf('completed', { copy }));
    expect(text).toContain('Copy:         already in the target: nothing copied\n');
  });

  it('shows a refusal with the gate reason and blocking ids, more than it lists counted', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `CVE-2024-${1000 + i}`);
    const alert = promotionOf('refused', { gate: { ...promotionOf('refused').gate, blocking: ids } });

    const text = promotionEmailText(alert, COMPACT_PROMOTION_LIMITS);

    expect(text).toContain('Status:       refused by the gate: nothing was copied');
    expect(text).toContain("Reason:       orders-api-prod's policy says FAIL: 2 CRITICAL (max 0)");
    expect(text).toContain('Gate:         FAIL — 2 CRITICAL (max 0)');
    expect(text).toContain('Blocking (30): CVE-2024-1000, CVE-2024-1001,');
    expect(text).toContain('CVE-2024-1009 and 20 more');
    expect(text).not.toContain('To approve');
  });

  it.each([
    ['failed', 'Error:        LayersNotFoundException: sha256:abc is not in orders-api-prod'],
    ['rejected', 'Rejected by:  bob@example.com\nReason:       not during the freeze'],
    ['expired', 'Status:       the approval expired: nothing was copied; request the promotion again'],
    ['approved', 'Status:       approved: the image is being copied into the target'],
  ] as const)('explains a %s promotion, without the commands', (event, expected) => {
    const text = promotionEmailText(promotionOf(event));
    expect(text).toContain(expected);
    expect(text).not.toContain('npx ecr-sentinel');
  });

  it('never shows a command for another promotion', () => {
    const text = promotionEmailText(
      promotionOf('pending-approval', {
        commands: { approve: 'npx ecr-sentinel approve 01JDQ3ZK5V8X2M4N6P7R9S0T1X --by me', reject: 'x' },
      }),
    );
    expect(text).not.toContain('To approve');
  });

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [12_897_485, '12.3 MiB'],
    [2 * 1024 ** 3, '2.0 GiB'],
  ])('writes %i bytes as %s', (bytes, text) => {
    expect(humanBytes(bytes)).toBe(text);
  });
});
