import * as z from 'zod';
import type {
  CreationTemplateUse,
  EncryptionConfiguration,
  ImageTagMutability,
  RegistryScanningConfiguration,
  RegistryState,
  ReplicationRule,
  RepositoryState,
  ResourceTag,
  TagMutabilityExclusionFilter,
} from './state.ts';

/** Every control, in report order. */
export const CONTROL_IDS = [
  'scanning',
  'tag-mutability',
  'encryption',
  'lifecycle-policy',
  'repository-policy',
  'resource-tags',
  'replication',
  'creation-templates',
] as const;
export type ControlId = (typeof CONTROL_IDS)[number];

/** `audit` reports drift; `enforce` also fixes what can be fixed. */
export const MODES = ['audit', 'enforce'] as const;
export type Mode = (typeof MODES)[number];

/** Every control's settings carry a mode; audit unless the config says otherwise. */
export const modeSchema = z.enum(MODES).default('audit');

/**
 * The ECR calls enforcement may make. Deliberately no DeleteRepository, BatchDeleteImage or anything else that
 * removes a repository or an image: drift is never fixed by deleting what people ship.
 */
export type EcrCall =
  | {
      readonly action: 'PutRegistryScanningConfiguration';
      readonly input: RegistryScanningConfiguration;
    }
  | {
      readonly action: 'PutImageTagMutability';
      readonly input: {
        readonly repositoryName: string;
        readonly imageTagMutability: ImageTagMutability;
        readonly imageTagMutabilityExclusionFilters?: readonly TagMutabilityExclusionFilter[];
      };
    }
  | {
      readonly action: 'PutLifecyclePolicy';
      readonly input: { readonly repositoryName: string; readonly lifecyclePolicyText: string };
    }
  | {
      readonly action: 'SetRepositoryPolicy';
      readonly input: { readonly repositoryName: string; readonly policyText: string };
    }
  | { readonly action: 'DeleteRepositoryPolicy'; readonly input: { readonly repositoryName: string } }
  | {
      readonly action: 'TagResource';
      readonly input: { readonly resourceArn: string; readonly tags: readonly ResourceTag[] };
    }
  | {
      readonly action: 'PutReplicationConfiguration';
      readonly input: { readonly replicationConfiguration: { readonly rules: readonly ReplicationRule[] } };
    }
  | {
      readonly action: 'CreateRepositoryCreationTemplate' | 'UpdateRepositoryCreationTemplate';
      readonly input: CreationTemplateInput;
    };

/** Create/UpdateRepositoryCreationTemplate's input, as far as compliance sets it. */
export interface CreationTemplateInput {
  readonly prefix: string;
  readonly appliedFor: readonly CreationTemplateUse[];
  readonly imageTagMutability?: ImageTagMutability;
  readonly imageTagMutabilityExclusionFilters?: readonly TagMutabilityExclusionFilter[];
  readonly encryptionConfiguration?: EncryptionConfiguration;
  readonly lifecyclePolicy?: string;
  readonly resourceTags?: readonly ResourceTag[];
}

export type EcrActionName = EcrCall['action'];

/** The call that fixes a drift, with the state it changes before and after (recorded with the remediation). */
export type Remediation = EcrCall & { readonly before: unknown; readonly after: unknown };

/** What a finding is about: a repository, or something of the registry (a template prefix, replication). */
export type Subject =
  | { readonly kind: 'repository'; readonly repositoryName: string }
  | { readonly kind: 'registry'; readonly registryId: string; readonly item: string };

/**
 * `unknown`: what the check needs could not be read (access denied, throttled…), so it is neither passed nor
 * drifted; `error` says which read and why. `fixed`: it drifted, enforce applied the fix and the check passes on
 * the state read back afterwards (only enforcement's report has it: see `settleEnforcement`).
 */
export const FINDING_STATUSES = ['pass', 'drift', 'unknown', 'fixed'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

export interface Finding {
  readonly controlId: ControlId;
  readonly subject: Subject;
  readonly status: FindingStatus;
  readonly mode: Mode;
  /** The desired state, readable. */
  readonly expected: string;
  /** What was observed, readable. */
  readonly actual: string;
  /** What to do about a drift, readable (also for drift enforce can't fix). */
  readonly fix?: string;
  /** True when enforce can fix the drift (then `remediation` says how). */
  readonly fixable: boolean;
  readonly remediation?: Remediation;
  /** The particulars: offending statements, missing destinations, rules that cap… */
  readonly details?: readonly string[];
  /** For `unknown`: the read that failed and why. */
  readonly error?: string;
}

/** A control over one repository. */
export interface RepositoryControl<Settings extends { readonly mode: Mode }> {
  readonly id: ControlId;
  readonly title: string;
  readonly scope: 'repository';
  check(input: {
    readonly repository: RepositoryState;
    readonly registry: RegistryState;
    readonly desired: Settings;
  }): Finding;
}

/** A control over the registry; one finding per item it checks. */
export interface RegistryControl<Desired extends { readonly mode: Mode }> {
  readonly id: ControlId;
  readonly title: string;
  readonly scope: 'registry';
  check(input: { readonly registry: RegistryState; readonly desired: Desired }): Finding[];
}

/** A passing finding. */
export function pass(
  controlId: ControlId,
  subject: Subject,
  mode: Mode,
  expected: string,
  actual: string,
  details?: readonly string[],
): Finding {
  return {
    controlId,
    subject,
    status: 'pass',
    mode,
    expected,
    actual,
    fixable: false,
    ...(details ? { details } : {}),
  };
}

/** A drift: fixable exactly when a remediation is given. */
export function drift(
  controlId: ControlId,
  subject: Subject,
  mode: Mode,
  what: {
    expected: string;
    actual: string;
    fix: string;
    remediation?: Remediation | undefined;
    details?: readonly string[];
  },
): Finding {
  return {
    controlId,
    subject,
    status: 'drift',
    mode,
    expected: what.expected,
    actual: what.actual,
    fix: what.fix,
    fixable: what.remediation !== undefined,
    ...(what.remediation ? { remediation: what.remediation } : {}),
    ...(what.details ? { details: what.details } : {}),
  };
}

/**
 * The `unknown` finding of a check whose input could not be read: the check's own finding (made on placeholder
 * input, for its id, subject, mode and expected state, which depend on the desired state only) without its
 * verdict, fix or remediation.
 */
export function unknown(finding: Finding, error: string): Finding {
  return {
    controlId: finding.controlId,
    subject: finding.subject,
    status: 'unknown',
    mode: finding.mode,
    expected: finding.expected,
    actual: 'could not be read',
    fixable: false,
    error,
  };
}

/** The subject of a repository control's finding. */
export function repositorySubject(repository: RepositoryState): Subject {
  return { kind: 'repository', repositoryName: repository.repositoryName };
}

/** Order-insensitive equality of two string lists taken as sets. */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}
