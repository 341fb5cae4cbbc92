/**
 * What other capabilities may import from compliance: the pure audit and the read-only ECR reader it judges
 * (the report shows repositories × checks exactly as `audit` does). Capabilities import compliance only from here.
 */

export { ecrObservedState, ecrObservedStatePermissions } from './adapters/ecr-observed-state.ts';
export type { ComplianceSettings } from './config-schema.ts';
export { type AuditReport, type AuditSummary, audit, type RepositoryAudit } from './domain/audit.ts';
export {
  CONTROL_IDS,
  type ControlId,
  FINDING_STATUSES,
  type Finding,
  type FindingStatus,
} from './domain/control.ts';
export type { ObservedState, ObservedStateReader } from './ports.ts';
