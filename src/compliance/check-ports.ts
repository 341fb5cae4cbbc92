import type { ControlId, EcrActionName } from './domain/control.ts';
import type { ComplianceMessage, ComplianceTrigger } from './events.ts';

/** A check's recorded status: `unknown` is never recorded (a failed read says nothing about the state). */
export type RecordedStatus = 'pass' | 'drift';

/** One check of one subject, as checked now. */
export interface StatusObservation {
  /** A repository's name, or the registry's subject (`complianceKeys.registrySubject`). */
  readonly subject: string;
  /** The control id, with the registry item after `#` (`creation-templates#services/`). */
  readonly check: string;
  readonly status: RecordedStatus;
  /** What the finding said (expected and actual): drift that changes how it drifts is a change too. */
  readonly fingerprint: string;
  readonly at: string;
  readonly trigger: ComplianceTrigger;
}

/** One remediation: the call made, the state before and after it, and how it went. */
export interface RemediationRecord {
  readonly subject: string;
  readonly controlId: ControlId;
  /** For registry items: what it fixes. */
  readonly item?: string;
  readonly action: EcrActionName;
  /** The repositories the call fixes (several for the registry's scanning rules). */
  readonly repositoryNames: readonly string[];
  readonly before: unknown;
  readonly after: unknown;
  readonly outcome: 'applied' | 'failed';
  readonly error?: string;
  readonly at: string;
  readonly trigger: ComplianceTrigger;
}

/** The compliance records in the single table (src/shared/table.ts `complianceKeys`). */
export interface ComplianceRecords {
  /**
   * Records a check's status. `changed` is true for exactly one of concurrent or repeated writes of the same
   * observation: the first time this status (and fingerprint) is recorded after another one, or none.
   */
  recordStatus(observation: StatusObservation): Promise<{ changed: boolean; previous?: RecordedStatus }>;
  /**
   * Records a remediation once per trigger, subject and check; a failed one may be recorded again as applied
   * (the retry that fixed it). `first` is true when this call wrote it.
   */
  recordRemediation(record: RemediationRecord): Promise<{ first: boolean }>;
  /** Stores the alert a trigger sends about a subject, unsent, unless one with this key exists. */
  claimAlert(subject: string, key: string, document: unknown): Promise<void>;
  /**
   * The trigger's unsent alerts about the subject, each taken for sending (a lease other copies respect):
   * what this invocation, or an earlier attempt that failed to publish, stored.
   */
  takePendingAlerts(
    subject: string,
    triggerId: string,
    now: Date,
  ): Promise<{ key: string; document: unknown }[]>;
  /** The taken alert was published. */
  alertSent(subject: string, key: string): Promise<void>;
  /** The taken alert could not be published: the next attempt takes it again. */
  releaseAlert(subject: string, key: string): Promise<void>;
}

/** Where batches of repositories to check are sent (SQS). */
export interface ComplianceQueue {
  send(messages: readonly ComplianceMessage[]): Promise<void>;
}

/** The names of every repository of the registry. */
export interface RepositoryLister {
  names(): Promise<string[]>;
}
