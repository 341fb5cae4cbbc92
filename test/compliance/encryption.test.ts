import { describe, expect, it } from 'vitest';
import { encryptionControl, encryptionSettingsSchema } from '../../src/compliance/domain/encryption.ts';
import type { EncryptionConfiguration } from '../../src/compliance/domain/state.ts';
import { registry, repository } from './state.ts';

const KEY = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER_KEY = 'arn:aws:kms:eu-west-1:111111111111:key/9999abcd-12ab-34cd-56ef-1234567890ab';

describe('encryption control', () => {
  it.each<[string, object, EncryptionConfiguration, 'pass' | 'drift']>([
    ['AES256 wanted and found', { type: 'AES256' }, { encryptionType: 'AES256' }, 'pass'],
    ['KMS wanted, AES256 found', { type: 'KMS' }, { encryptionType: 'AES256' }, 'drift'],
    ['KMS with any key', { type: 'KMS' }, { encryptionType: 'KMS', kmsKey: OTHER_KEY }, 'pass'],
    [
      'KMS with the required key',
      { type: 'KMS', kmsKey: KEY },
      { encryptionType: 'KMS', kmsKey: KEY },
      'pass',
    ],
    [
      'KMS with another key',
      { type: 'KMS', kmsKey: KEY },
      { encryptionType: 'KMS', kmsKey: OTHER_KEY },
      'drift',
    ],
  ])('%s: %s', (_what, desired, observed, status) => {
    const finding = encryptionControl.check({
      repository: repository({ encryptionConfiguration: observed }),
      registry: registry(),
      desired: encryptionSettingsSchema.parse(desired),
    });

    expect(finding.status).toBe(status);
  });

  it('is never fixable, even in enforce mode: the fix is to recreate the repository', () => {
    const finding = encryptionControl.check({
      repository: repository({ encryptionConfiguration: { encryptionType: 'AES256' } }),
      registry: registry(),
      desired: encryptionSettingsSchema.parse({ type: 'KMS', kmsKey: KEY, mode: 'enforce' }),
    });

    expect(finding).toMatchObject({
      status: 'drift',
      fixable: false,
      expected: `KMS with key ${KEY}`,
      actual: 'AES256',
    });
    expect(finding.remediation).toBeUndefined();
    expect(finding.fix).toMatch(/can't change after creation: create a new repository/);
  });
});
