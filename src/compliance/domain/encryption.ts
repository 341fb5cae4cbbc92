import * as z from 'zod';
import {
  drift,
  type Finding,
  modeSchema,
  pass,
  type RepositoryControl,
  repositorySubject,
} from './control.ts';
import { ENCRYPTION_TYPES, type EncryptionConfiguration } from './state.ts';

/**
 * Encryption at rest: AES256 (S3-managed keys) or KMS (optionally a required key). It is chosen when the
 * repository is created and can't be changed afterwards, so drift is reported with the fix (recreate the
 * repository and copy its images) and is never fixable by enforce.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html
 */

const KMS_KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

export const encryptionSettingsSchema = z
  .strictObject({
    type: z.enum(ENCRYPTION_TYPES),
    /** The KMS key's ARN (not an alias: ECR reports the key ARN). */
    kmsKey: z
      .string()
      .regex(
        KMS_KEY_ARN_PATTERN,
        'expected a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      )
      .optional(),
    mode: modeSchema,
  })
  .superRefine((s, ctx) => {
    if (s.type === 'AES256' && s.kmsKey !== undefined)
      ctx.addIssue({ code: 'custom', path: ['kmsKey'], message: 'only allowed with KMS or KMS_DSSE' });
  });
export type EncryptionSettings = z.output<typeof encryptionSettingsSchema>;

function show(type: string, key: string | undefined): string {
  return key === undefined ? type : `${type} with key ${key}`;
}

/** Whether an encryption configuration meets the settings (the creation-template control uses it too). */
export function judgeEncryption(
  observed: EncryptionConfiguration | undefined,
  settings: EncryptionSettings,
): { ok: boolean; expected: string; actual: string } {
  // A repository (or template) that names no encryption gets ECR's default, AES256.
  const type = observed?.encryptionType ?? 'AES256';
  const ok =
    type === settings.type && (settings.kmsKey === undefined || observed?.kmsKey === settings.kmsKey);
  return { ok, expected: show(settings.type, settings.kmsKey), actual: show(type, observed?.kmsKey) };
}

/** The encryption configuration the settings ask for. */
export function desiredEncryption(settings: EncryptionSettings): EncryptionConfiguration {
  return { encryptionType: settings.type, ...(settings.kmsKey ? { kmsKey: settings.kmsKey } : {}) };
}

export const encryptionControl: RepositoryControl<EncryptionSettings> = {
  id: 'encryption',
  title: 'Images are encrypted with the required key',
  scope: 'repository',
  check({ repository, desired }): Finding {
    const subject = repositorySubject(repository);
    const { ok, expected, actual } = judgeEncryption(repository.encryptionConfiguration, desired);
    if (ok) return pass('encryption', subject, desired.mode, expected, actual);
    return drift('encryption', subject, desired.mode, {
      expected,
      actual,
      fix:
        `encryption can't change after creation: create a new repository with ${expected}, copy the images ` +
        `(ecr-sentinel promote copies by digest), move consumers over, then retire ${repository.repositoryName}`,
    });
  },
};
