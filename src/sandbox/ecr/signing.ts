import type {
  DeleteSigningConfigurationResponse,
  DescribeImageSigningStatusResponse,
  GetSigningConfigurationResponse,
  ImageSigningStatus,
  PutSigningConfigurationResponse,
  SigningConfiguration,
} from '@aws-sdk/client-ecr';
import { wildcardMatch } from '../../shared/wildcard.ts';
import type { EcrContext, Operations } from './context.ts';
import { EcrError, invalidParameter } from './errors.ts';
import { type Input, imageIdOf, optionalArray, optionalObject } from './validation.ts';
import type { Wire } from './wire.ts';

/**
 * Managed signing (https://docs.aws.amazon.com/AmazonECR/latest/userguide/managed-signing.html): the registry's
 * signing configuration is stored and returned (PutSigningConfiguration, GetSigningConfiguration,
 * DeleteSigningConfiguration) and DescribeImageSigningStatus answers, per signing profile whose rule covers the
 * image's repository, what became of the signature. The sandbox has no AWS Signer: it signs nothing, so each
 * status is FAILED with a reason that says so (a gate that demands a signature fails closed, as it should).
 */

export type SigningConfigurationRecord = Wire<SigningConfiguration>;

declare module './settings-state.ts' {
  interface RegistrySettings {
    /** PutSigningConfiguration's configuration (signing.ts); absent until one is put. */
    signingConfiguration?: SigningConfigurationRecord;
  }
}

/** SigningProfileArn and SigningRepositoryFilterValue (the API model). */
const PROFILE_ARN = /^arn:aws(-[a-z]+)*:signer:[a-z0-9-]+:[0-9]{12}:\/signing-profiles\/[a-zA-Z0-9_]{2,}$/;
const FILTER = /^(?:[a-z0-9*]+(?:[._-][a-z0-9*]+)*\/)*[a-z0-9*]+(?:[._-][a-z0-9*]+)*$/;
const MAX_RULES = 10;
const MAX_FILTERS = 100;

/** failureCode of every status: the sandbox produced no signature. */
export const NO_SIGNING_CODE = 'SIGNING_NOT_AVAILABLE_IN_SANDBOX';

export function signingOperations(ecr: EcrContext): Operations {
  return {
    PutSigningConfiguration: (i) => putSigningConfiguration(ecr, i),
    GetSigningConfiguration: () => getSigningConfiguration(ecr),
    DeleteSigningConfiguration: () => deleteSigningConfiguration(ecr),
    DescribeImageSigningStatus: (i) => describeImageSigningStatus(ecr, i),
  };
}

function constraint(field: string, what: string): EcrError {
  return invalidParameter(`Invalid parameter at '${field}' failed to satisfy constraint: '${what}'`);
}

/** Validate a `SigningConfiguration`: 0–10 rules, each a profile ARN and optional 1–100 WILDCARD_MATCH filters. */
function signingConfigurationOf(input: Input): SigningConfigurationRecord {
  const config = optionalObject(input, 'signingConfiguration');
  if (!config) throw constraint('signingConfiguration', 'must not be null');
  const rules = optionalArray(config, 'rules');
  if (rules === undefined) throw constraint('signingConfiguration.rules', 'must not be null');
  if (rules.length > MAX_RULES) {
    throw constraint(
      'signingConfiguration.rules',
      `Member must have length less than or equal to ${MAX_RULES}`,
    );
  }
  return {
    rules: rules.map((raw, index) => {
      const field = `signingConfiguration.rules[${index}]`;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw constraint(field, 'must be a structure');
      const rule = raw as Input;
      const arn = rule.signingProfileArn;
      if (typeof arn !== 'string' || arn.length > 200 || !PROFILE_ARN.test(arn)) {
        throw constraint(
          `${field}.signingProfileArn`,
          `Member must satisfy regular expression pattern: ${PROFILE_ARN.source}`,
        );
      }
      const filters = optionalArray(rule, 'repositoryFilters');
      if (filters === undefined) return { signingProfileArn: arn };
      if (filters.length < 1 || filters.length > MAX_FILTERS) {
        throw constraint(
          `${field}.repositoryFilters`,
          `Member must have length between 1 and ${MAX_FILTERS}`,
        );
      }
      return {
        signingProfileArn: arn,
        repositoryFilters: filters.map((item, f) => {
          const one = (item ?? {}) as Input;
          const where = `${field}.repositoryFilters[${f}]`;
          if (one.filterType !== 'WILDCARD_MATCH') {
            throw constraint(`${where}.filterType`, 'Member must satisfy enum value set: [WILDCARD_MATCH]');
          }
          if (typeof one.filter !== 'string' || one.filter.length > 256 || !FILTER.test(one.filter)) {
            throw constraint(
              `${where}.filter`,
              `Member must satisfy regular expression pattern: ${FILTER.source}`,
            );
          }
          return { filter: one.filter, filterType: 'WILDCARD_MATCH' as const };
        }),
      };
    }),
  };
}

/** @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutSigningConfiguration.html */
function putSigningConfiguration(ecr: EcrContext, input: Input): Wire<PutSigningConfigurationResponse> {
  const signingConfiguration = signingConfigurationOf(input);
  ecr.state.settings.signingConfiguration = signingConfiguration;
  return { signingConfiguration };
}

function configurationOf(ecr: EcrContext): SigningConfigurationRecord {
  const config = ecr.state.settings.signingConfiguration;
  if (config === undefined) {
    throw new EcrError(
      'SigningConfigurationNotFoundException',
      `The signing configuration does not exist in the registry with id '${ecr.accountId}'`,
    );
  }
  return config;
}

/** @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetSigningConfiguration.html */
function getSigningConfiguration(ecr: EcrContext): Wire<GetSigningConfigurationResponse> {
  return { registryId: ecr.accountId, signingConfiguration: configurationOf(ecr) };
}

/** Answers with the configuration it deleted. */
function deleteSigningConfiguration(ecr: EcrContext): Wire<DeleteSigningConfigurationResponse> {
  const signingConfiguration = configurationOf(ecr);
  delete ecr.state.settings.signingConfiguration;
  return { registryId: ecr.accountId, signingConfiguration };
}

/**
 * One status per distinct signing profile whose rule covers the repository (a rule without filters covers
 * every repository); none when no configuration or rule applies.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImageSigningStatus.html
 */
function describeImageSigningStatus(ecr: EcrContext, input: Input): Wire<DescribeImageSigningStatusResponse> {
  const repo = ecr.repoOf(input);
  if (input.imageId === undefined || input.imageId === null) throw constraint('imageId', 'must not be null');
  const id = imageIdOf(input.imageId);
  const image = ecr.findImage(repo, id);
  const profiles = new Set<string>();
  for (const rule of ecr.state.settings.signingConfiguration?.rules ?? []) {
    const filters = rule.repositoryFilters;
    if (filters && !filters.some((f) => f.filter !== undefined && wildcardMatch(f.filter, repo.name)))
      continue;
    if (rule.signingProfileArn !== undefined) profiles.add(rule.signingProfileArn);
  }
  const signingStatuses: Wire<ImageSigningStatus>[] = [...profiles].map((signingProfileArn) => ({
    signingProfileArn,
    status: 'FAILED',
    failureCode: NO_SIGNING_CODE,
    failureReason: `The sandbox does not sign images: AWS Signer is not emulated, so no signature was made with signing profile ${signingProfileArn}`,
  }));
  return {
    repositoryName: repo.name,
    imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
    registryId: ecr.accountId,
    signingStatuses,
  };
}
