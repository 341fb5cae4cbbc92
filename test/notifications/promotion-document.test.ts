import { describe, expect, it } from 'vitest';
import { anyAlertDocumentSchema } from '../../src/notifications/alert-document.ts';
import {
  COMPACT_PROMOTION_LIMITS,
  FULL_PROMOTION_LIMITS,
  limitPromotionAlert,
  PROMOTION_EVENTS,
  type PromotionAlert,
  promotionAlertSchema,
  truncatedPromotionAlert,
  truncatedPromotionAlertSchema,
} from '../../src/notifications/promotion-document.ts';
import { PROMOTION_ID, promotionOf } from './promotion-fixtures.ts';

/** The issue paths of a parse that must fail. */
function issuePaths(value: unknown): string[] {
  const result = anyAlertDocumentSchema.safeParse(value);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((i) => i.path.join('.'));
}

describe('promotion alert document', () => {
  it.each(PROMOTION_EVENTS)('accepts the %s document a capability builds', (event) => {
    const alert = promotionOf(event);

    const parsed = anyAlertDocumentSchema.parse(JSON.parse(JSON.stringify(alert)));

    expect(parsed).toEqual(alert);
  });

  it('drops keys it does not know (a newer producer may add some)', () => {
    const parsed = promotionAlertSchema.parse({ ...promotionOf('completed'), futureField: 1 });
    expect(parsed).not.toHaveProperty('futureField');
  });

  const base = promotionOf('pending-approval');
  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown event', { event: 'paused' }, 'event'],
    ['a promotion id that is not a ULID', { promotionId: '01J-not-a-ulid' }, 'promotionId'],
    ['an empty app', { app: '' }, 'app'],
    ['a missing version', { appVersion: undefined }, 'appVersion'],
    [
      'a target without its repository',
      { to: { ...base.to, repositoryName: undefined } },
      'to.repositoryName',
    ],
    ['a gate status that is no verdict', { gate: { ...base.gate, status: 'MAYBE' } }, 'gate.status'],
    ['blocking ids that are not a list', { gate: { ...base.gate, blocking: 'CVE-1' } }, 'gate.blocking'],
    [
      'a negative byte count',
      { copy: { ...promotionOf('completed').copy, bytesCopied: -1 } },
      'copy.bytesCopied',
    ],
    ['a console link outside the AWS console', { consoleUrl: 'javascript:alert(1)' }, 'consoleUrl'],
    [
      'an approve command for another promotion',
      {
        commands: {
          ...base.commands,
          approve: 'npx ecr-sentinel approve 01JDQ3ZK5V8X2M4N6P7R9S0T1X --by me',
        },
      },
      'commands.approve',
    ],
    [
      'a reject command on two lines',
      { commands: { ...base.commands, reject: `npx ecr-sentinel reject ${PROMOTION_ID}\nrm -rf /` } },
      'commands.reject',
    ],
    [
      'a command with a backtick',
      { commands: { ...base.commands, approve: `npx ecr-sentinel approve ${PROMOTION_ID} --by \`whoami\`` } },
      'commands.approve',
    ],
    ['a missing time', { occurredAt: undefined }, 'occurredAt'],
  ])('rejects %s, naming the field', (_case, over, path) => {
    expect(issuePaths({ ...base, ...over })).toContain(path);
  });

  it('refuses a document of no known type, naming the type', () => {
    const result = anyAlertDocumentSchema.safeParse({ ...base, type: 'ecr-sentinel.drift' });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['type'],
        message:
          'expected "ecr-sentinel.scan-verdict", "ecr-sentinel.promotion", "ecr-sentinel.cleanup" or "ecr-sentinel.compliance"',
      }),
    ]);
  });

  it('refuses what is not a JSON object', () => {
    expect(anyAlertDocumentSchema.safeParse(['a']).error?.issues[0]?.message).toBe(
      'expected an alert document (a JSON object)',
    );
  });
});

describe('promotion alert cut to size', () => {
  const HUGE = 'x'.repeat(10_000);

  it('caps the blocking ids and counts every one of them', () => {
    const ids = Array.from({ length: 120 }, (_, i) => `CVE-2024-${1000 + i}`);
    const alert = promotionOf('refused', { gate: { ...promotionOf('refused').gate, blocking: ids } });

    const full = limitPromotionAlert(alert, FULL_PROMOTION_LIMITS);
    const compact = limitPromotionAlert(alert, COMPACT_PROMOTION_LIMITS);

    expect(full.gate.blocking).toHaveLength(FULL_PROMOTION_LIMITS.ids);
    expect(full.gate.blockingCount).toBe(120);
    expect(compact.gate.blocking).toHaveLength(COMPACT_PROMOTION_LIMITS.ids);
    expect(compact.gate.blockingCount).toBe(120);
    expect(promotionAlertSchema.safeParse(compact).error).toBeUndefined();
  });

  it('bounds every free-text field and still parses', () => {
    const alert = promotionOf('failed', {
      reason: HUGE,
      error: HUGE,
      requestedBy: HUGE,
      approvedBy: HUGE,
      gate: { ...promotionOf('failed').gate, reason: HUGE },
    });

    const cut = limitPromotionAlert(alert, COMPACT_PROMOTION_LIMITS);

    expect([...(cut.error ?? '')].length).toBe(COMPACT_PROMOTION_LIMITS.text);
    expect([...(cut.reason ?? '')].length).toBe(COMPACT_PROMOTION_LIMITS.text);
    expect([...cut.gate.reason].length).toBe(COMPACT_PROMOTION_LIMITS.text);
    expect([...cut.requestedBy].length).toBe(COMPACT_PROMOTION_LIMITS.field);
    expect(promotionAlertSchema.safeParse(cut).error).toBeUndefined();
  });

  it('keeps the commands whole, or leaves them out when they are not this promotion’s', () => {
    const alert = promotionOf('pending-approval');
    expect(limitPromotionAlert(alert, COMPACT_PROMOTION_LIMITS).commands).toEqual(alert.commands);

    const foreign = promotionOf('pending-approval', {
      commands: { approve: 'npx ecr-sentinel approve SOMEONE-ELSE', reject: 'x' },
    });
    expect(limitPromotionAlert(foreign, FULL_PROMOTION_LIMITS)).not.toHaveProperty('commands');
  });

  it('writes the keys in the published order whatever order the producer used', () => {
    const alert = promotionOf('completed');
    const reversed = Object.fromEntries(Object.entries(alert).reverse()) as PromotionAlert;

    expect(JSON.stringify(limitPromotionAlert(reversed, FULL_PROMOTION_LIMITS))).toBe(
      JSON.stringify(limitPromotionAlert(alert, FULL_PROMOTION_LIMITS)),
    );
  });

  it('has a truncated form that says what happened, where to look and how to approve', () => {
    const alert = promotionOf('pending-approval', {
      app: HUGE,
      consoleUrl: `${promotionOf('approved').consoleUrl}${HUGE}`,
    });

    const truncated = truncatedPromotionAlert(alert, alert.subject);

    expect(truncatedPromotionAlertSchema.parse(truncated)).toEqual(truncated);
    expect(anyAlertDocumentSchema.parse(truncated)).toEqual(truncated);
    expect(truncated).toMatchObject({
      truncated: true,
      event: 'pending-approval',
      promotionId: PROMOTION_ID,
      commands: alert.commands,
      consoleUrl: 'https://eu-west-1.console.aws.amazon.com/',
    });
    expect(JSON.stringify(truncated).length).toBeLessThan(2_000);
  });
});
