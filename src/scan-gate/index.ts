/**
 * What other capabilities use of the scan gate: its pure rules (policy, verdicts, scan statuses), the ports
 * and the adapters that read scans and store verdicts. Capabilities import the scan gate only from here.
 */

export { dynamoVerdicts, dynamoVerdictsPermissions } from './adapters/dynamodb-verdicts.ts';
export { ecrFindingsReader, ecrFindingsReaderPermissions } from './adapters/ecr-findings-reader.ts';
export { exceptionEnd, isExceptionActive, type ScanException } from './domain/exceptions.ts';
export { type EffectivePolicy, type PolicyConfig, policyFor } from './domain/policy.ts';
export { isScanComplete, isScanRunning, SCAN_NOT_FOUND } from './domain/scan-status.ts';
export { BLOCKING_DETAILS_MAX, evaluate, type Verdict, type VerdictStatus } from './domain/verdict.ts';
export type { ScanFindingsReader, ScanResult, VerdictStore } from './ports.ts';
