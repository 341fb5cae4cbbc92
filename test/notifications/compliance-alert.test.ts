import { describe, expect, it } from 'vitest';
import { snsAlertMessage, snsMessageAttributes } from '../../src/notifications/adapters/sns-alerts.ts';
import { anyAlertDocumentSchema } from '../../src/notifications/alert-document.ts';
import { SUBJECT_MAX } from '../../src/notifications/alert-subject.ts';
import { slackComplianceMessage } from '../../src/notifications/compliance-blocks.ts';
import {
  type ComplianceAlert,
  complianceAlertSchema,
  limitComplianceAlert,
  MINIMAL_COMPLIANCE_LIMITS,
} from '../../src/notifications/compliance-document.ts';
import { complianceEmailText } from '../../src/notifications/compliance-email.ts';
import { type ComplianceAlertFields, complianceAlert } from '../../src/notifications/index.ts';
import { slackMessageFor } from '../../src/notifications/notify-slack.ts';

const DRIFT = {
  check: 'lifecycle-policy',
  mode: 'audit',
  expected: 'a valid lifecycle policy capping untagged and tagged images',
  actual: 'no lifecycle policy',
  fix: 'put the group template',
};
const APPLIED = {
  check: 'tag-mutability',
  action: 'PutImageTagMutability',
  outcome: 'applied' as const,
  before: '{"imageTagMutability":"MUTABLE"}',
  after: '{"imageTagMutability":"IMMUTABLE"}',
};
const FAILED = {
  check: 'scanning',
  action: 'PutRegistryScanningConfiguration',
  outcome: 'failed' as const,
  before: '{"rules":[]}',
  after: '{"rules":[{"scanFrequency":"SCAN_ON_PUSH"}]}',
  error: 'AccessDeniedException: not allowed',
};

function fields(overrides: Partial<ComplianceAlertFields> = {}): ComplianceAlertFields {
  const drift = overrides.drift ?? [DRIFT];
  const remediations = overrides.remediations ?? [];
  return {
    accountId: '123456789012',
    region: 'eu-west-1',
    stage: 'prod',
    consoleUrl:
      'https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/orders-api?region=eu-west-1',
    occurredAt: '2026-11-28T03:00:00.000Z',
    target: { kind: 'repository', repositoryName: 'orders-api', group: 'services' },
    trigger: { kind: 'cloudtrail', id: 'e1d2c3b4', eventName: 'CreateRepository' },
    totals: {
      drift: drift.length,
      applied: remediations.filter((r) => r.outcome === 'applied').length,
      failed: remediations.filter((r) => r.outcome === 'failed').length,
    },
    ...overrides,
    drift,
    remediations,
  };
}

describe('compliance alert document', () => {
  it.each<[string, ComplianceAlertFields, ComplianceAlert['kind'], string]>([
    ['drift found', fields(), 'drift', '[COMPLIANCE DRIFT] orders-api: 1 check drifts: lifecycle-policy'],
    [
      'a fix applied',
      fields({ drift: [], remediations: [APPLIED] }),
      'fixed',
      '[COMPLIANCE FIXED] orders-api: fixed tag-mutability',
    ],
    [
      'a fix failed',
      fields({ drift: [], remediations: [APPLIED, FAILED] }),
      'fix-failed',
      '[COMPLIANCE FIX FAILED] orders-api: fix failed: scanning (1 of 2)',
    ],
  ])('names %s in its kind and subject', (_what, input, kind, subject) => {
    const alert = complianceAlert(input);

    expect(alert.kind).toBe(kind);
    expect(alert.subject).toBe(subject);
    expect(complianceAlertSchema.parse(alert)).toEqual(alert);
    expect(anyAlertDocumentSchema.parse(JSON.parse(JSON.stringify(alert)))).toEqual(alert);
  });

  it('keeps the subject printable ASCII and within SNS limits whatever the names', () => {
    const alert = complianceAlert(
      fields({ target: { kind: 'repository', repositoryName: `team/${'x'.repeat(250)}` } }),
    );

    expect(alert.subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(alert.subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('names the registry when the alert is about it', () => {
    const alert = complianceAlert(fields({ target: { kind: 'registry', registryId: '123456789012' } }));

    expect(alert.subject).toContain('registry 123456789012');
  });

  it('refuses a console link outside the AWS console', () => {
    const alert = complianceAlert(fields({ consoleUrl: 'https://evil.example.com/' }));

    expect(complianceAlertSchema.safeParse(alert).error?.issues[0]?.path).toEqual(['consoleUrl']);
  });

  it('cut to its minimal limits, is still complete: totals without lists', () => {
    const alert = complianceAlert(fields({ remediations: [APPLIED, FAILED] }));

    const minimal = limitComplianceAlert(alert, MINIMAL_COMPLIANCE_LIMITS);

    expect(complianceAlertSchema.parse(minimal)).toMatchObject({
      drift: [],
      remediations: [],
      totals: { drift: 1, applied: 1, failed: 1 },
    });
  });
});

describe('compliance alert renderings', () => {
  const alert = complianceAlert(fields({ remediations: [APPLIED, FAILED] }));

  it('emails each remediation before and after, each drift with its fix, and the console link', () => {
    const text = complianceEmailText(alert);

    expect(text).toContain('COMPLIANCE FIX FAILED: orders-api');
    expect(text).toContain('Repository:   orders-api (group services)');
    expect(text).toContain('Trigger:      CloudTrail CreateRepository (event e1d2c3b4)');
    expect(text).toContain('tag-mutability: PutImageTagMutability applied');
    expect(text).toContain('before: {"imageTagMutability":"MUTABLE"}');
    expect(text).toContain('error:  AccessDeniedException: not allowed');
    expect(text).toContain('lifecycle-policy [audit mode]');
    expect(text).toContain('fix:      put the group template');
    expect(text).toContain(`Console: ${alert.consoleUrl}`);
  });

  it('posts Block Kit with the remediations, the drift, the context and a console button', () => {
    const message = slackComplianceMessage(alert);

    expect(message.text).toBe(alert.subject);
    expect(message.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'section',
      'context',
      'actions',
    ]);
    expect(JSON.stringify(message.blocks)).toContain('PutImageTagMutability');
    expect(slackMessageFor(alert)).toEqual(message);
  });

  it('publishes to SNS with attributes subscriptions can filter on, the text for email and the document for programs', () => {
    const message = snsAlertMessage(alert);
    const body = JSON.parse(message.Message) as Record<string, string>;

    expect(
      Object.fromEntries(Object.entries(snsMessageAttributes(alert)).map(([k, v]) => [k, v.StringValue])),
    ).toEqual({ alertType: 'compliance', complianceKind: 'fix-failed', repository: 'orders-api' });
    expect(message.Subject).toBe(alert.subject);
    expect(body.email).toBe(complianceEmailText(alert));
    expect(JSON.parse(body.lambda ?? '{}')).toEqual(alert);
  });

  it('fits a huge alert in one SNS message', () => {
    const huge = complianceAlert(
      fields({
        drift: Array.from({ length: 400 }, (_, i) => ({
          ...DRIFT,
          check: `c${i}`,
          actual: 'x'.repeat(2000),
        })),
      }),
    );

    const message = snsAlertMessage(huge);

    expect(Buffer.byteLength(message.Message, 'utf8')).toBeLessThanOrEqual(262_144);
    expect(JSON.parse(JSON.parse(message.Message).lambda).totals.drift).toBe(400);
  });
});
