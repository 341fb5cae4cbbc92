import { describe, expect, it } from 'vitest';
import {
  SNS_MESSAGE_MAX_BYTES,
  snsAlertMessage,
  snsMessageAttributes,
  snsMessageJson,
} from '../../src/notifications/adapters/sns-alerts.ts';
import { FULL_LIMITS, limitAlertDocument } from '../../src/notifications/alert-document.ts';
import { alertEmailText } from '../../src/notifications/alert-email.ts';
import { SUBJECT_MAX } from '../../src/notifications/alert-subject.ts';
import { exception, failingVerdict, finding, verdictOf } from '../scan-gate/verdict-fixtures.ts';
import { alertOf } from './alert-fixtures.ts';

const failing = failingVerdict;

const LONG = `${'very-long-team-name/'.repeat(10)}service-api`;

describe('SNS alert message', () => {
  it.each([
    [
      'a failing image',
      failing(),
      { verdict: 'FAIL', worstSeverity: 'CRITICAL', repository: 'my-web-app', alertKind: 'new' },
    ],
    [
      'an excepted-only image',
      verdictOf({ findings: [finding('CVE-1', 'CRITICAL')], exceptions: [exception('CVE-1')] }),
      { verdict: 'PASS', worstSeverity: 'NONE', repository: 'orders-api-prod', alertKind: 'new' },
    ],
    [
      'a failed scan',
      verdictOf({ scanStatus: 'FAILED' }),
      { verdict: 'ERROR', worstSeverity: 'NONE', repository: 'orders-api-prod', alertKind: 'new' },
    ],
  ])('sets message attributes for %s', (_case, verdict, expected) => {
    const attributes = snsMessageAttributes(alertOf(verdict, 'new'));

    expect(Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, v.StringValue]))).toEqual(
      expected,
    );
    expect(Object.values(attributes).every((a) => a.DataType === 'String')).toBe(true);
  });

  it('builds a MessageStructure json body with text for email and JSON for sqs and lambda', () => {
    const alert = alertOf(failing());

    const body = JSON.parse(snsMessageJson(alert)) as Record<string, string>;

    expect(Object.keys(body).sort()).toEqual(['default', 'email', 'lambda', 'sqs']);
    expect(body.email).toBe(alertEmailText(alert));
    expect(body.default).toBe(body.email);
    expect(JSON.parse(body.sqs ?? '')).toEqual(limitAlertDocument(alert, FULL_LIMITS));
    expect(body.lambda).toBe(body.sqs);
  });

  it('stays within the SNS size limit for a pathological verdict', () => {
    const long = 'x'.repeat(5000);
    const verdict = verdictOf({
      repositoryName: LONG,
      imageTags: Array.from({ length: 1000 }, (_, i) => `tag-${i}-${'t'.repeat(280)}`),
      findings: Array.from({ length: 1000 }, (_, i) =>
        finding(`CVE-2024-${i}-${'9'.repeat(200)}`, 'CRITICAL', {
          package: long,
          installedVersion: long,
          fixedVersion: long,
          title: long,
          link: `https://e/${long}`,
        }),
      ),
      exceptions: Array.from({ length: 500 }, (_, i) =>
        exception(`CVE-2024-${i}-${'9'.repeat(200)}`, {
          repositories: ['*'],
          expires: '2020-01-01',
          owner: long,
          ticket: long,
        }),
      ),
    });

    const alert = snsAlertMessage(alertOf(verdict));

    expect(Buffer.byteLength(alert.Message, 'utf8')).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    expect([...alert.Subject].length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(alert.MessageStructure).toBe('json');
  });
});
