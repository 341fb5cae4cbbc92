import type { GetAccountSettingResponse, PutAccountSettingResponse } from '@aws-sdk/client-ecr';
import type { EcrContext, Operations } from './context.ts';
import { EcrError, invalidParameter } from './errors.ts';
import type { Input } from './validation.ts';
import type { Wire } from './wire.ts';

/**
 * Account settings: PutAccountSetting and GetAccountSetting, per registry (account and Region). The names and
 * values are the API model's (botocore 1.43.11): `BASIC_SCAN_TYPE_VERSION` = `AWS_NATIVE`,
 * `REGISTRY_POLICY_SCOPE` = `V2`, `BLOB_MOUNTING` = `ENABLED` | `DISABLED`. A setting never put reads as its
 * default: AWS_NATIVE (ECR's only basic scanning since February 2026), V2, and DISABLED (blob mounting is opt-in,
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/blob-mounting.html). The registry API (oci/) reads
 * BLOB_MOUNTING to decide whether `POST …/blobs/uploads/?mount=&from=` mounts.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutAccountSetting.html
 */
export function accountSettingOperations(ecr: EcrContext): Operations {
  return {
    PutAccountSetting: (i) => putAccountSetting(ecr, i),
    GetAccountSetting: (i) => getAccountSetting(ecr, i),
  };
}

/** Each setting's allowed values, the default first. */
export const ACCOUNT_SETTINGS: Readonly<Record<string, readonly string[]>> = {
  BASIC_SCAN_TYPE_VERSION: ['AWS_NATIVE'],
  REGISTRY_POLICY_SCOPE: ['V2'],
  BLOB_MOUNTING: ['DISABLED', 'ENABLED'],
};

function settingNameOf(input: Input): string {
  const name = input.name;
  if (name === undefined || name === null) {
    throw new EcrError(
      'ValidationException',
      "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    );
  }
  if (typeof name !== 'string' || name.length < 1 || name.length > 64) {
    throw new EcrError(
      'ValidationException',
      `1 validation error detected: Value '${String(name)}' at 'name' failed to satisfy constraint: Member must have length between 1 and 64`,
    );
  }
  if (!Object.hasOwn(ACCOUNT_SETTINGS, name)) {
    throw invalidParameter(
      `Invalid parameter at 'name' failed to satisfy constraint: 'Account setting name must be one of ${Object.keys(ACCOUNT_SETTINGS).join(', ')}'`,
    );
  }
  return name;
}

/** The value of an account setting of this registry (its default when never put). */
export function accountSetting(ecr: EcrContext, name: keyof typeof ACCOUNT_SETTINGS | string): string {
  return ecr.state.settings.accountSettings?.[name] ?? (ACCOUNT_SETTINGS[name]?.[0] as string);
}

function putAccountSetting(ecr: EcrContext, input: Input): Wire<PutAccountSettingResponse> {
  const name = settingNameOf(input);
  const value = input.value;
  if (value === undefined || value === null) {
    throw new EcrError(
      'ValidationException',
      "1 validation error detected: Value null at 'value' failed to satisfy constraint: Member must not be null",
    );
  }
  const allowed = ACCOUNT_SETTINGS[name] as readonly string[];
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw invalidParameter(
      `Invalid parameter at 'value' failed to satisfy constraint: 'Valid values for ${name} are: ${allowed.join(', ')}'`,
    );
  }
  ecr.state.settings.accountSettings = { ...ecr.state.settings.accountSettings, [name]: value };
  return { name, value };
}

function getAccountSetting(ecr: EcrContext, input: Input): Wire<GetAccountSettingResponse> {
  const name = settingNameOf(input);
  return { name, value: accountSetting(ecr, name) };
}
