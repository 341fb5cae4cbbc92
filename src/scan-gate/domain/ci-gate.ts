import { type KnownSeverity, SEVERITY_ORDER, severityRank } from '../../shared/severity.ts';
import type { EffectivePolicy } from './policy.ts';
import type { Verdict } from './verdict.ts';

/** Severities `--threshold` accepts: the gate fails on any finding of this severity or worse. */
export const THRESHOLD_SEVERITIES = [
  'CRITICAL',
  'HIGH',
  'MEDIUM',
  'LOW',
] as const satisfies readonly KnownSeverity[];
export type ThresholdSeverity = (typeof THRESHOLD_SEVERITIES)[number];

/**
 * The policy with its thresholds replaced by "none allowed at `minimum` or worse, any number below"
 * (what `scan-gate --threshold` means); exceptions and fixableOnly still apply.
 */
export function withThresholdOverride(policy: EffectivePolicy, minimum: ThresholdSeverity): EffectivePolicy {
  const limit = severityRank(minimum);
  const thresholds = Object.fromEntries(
    SEVERITY_ORDER.filter((s) => severityRank(s) <= limit).map((s) => [s, 0]),
  );
  return { ...policy, thresholds };
}

/** What a CI gate answers, and the process exit code for it: 0 PASS, 1 FAIL, 2 ERROR or timeout. */
export type GateOutcome = 'PASS' | 'FAIL' | 'ERROR' | 'TIMEOUT';

export const GATE_EXIT_CODES: Readonly<Record<GateOutcome, number>> = {
  PASS: 0,
  FAIL: 1,
  ERROR: 2,
  TIMEOUT: 2,
};

/** The gate's outcome for a verdict, or TIMEOUT when none could be reached in time. */
export function gateOutcome(verdict: Pick<Verdict, 'status'> | undefined): GateOutcome {
  return verdict ? verdict.status : 'TIMEOUT';
}

/**
 * Delay before poll number `attempt` (0-based): exponential from 250 ms, capped at 5 s, never past the
 * deadline. No fixed sleeps: a scan that finishes fast is seen fast.
 */
export function pollDelayMs(attempt: number, remainingMs: number): number {
  return Math.max(0, Math.min(250 * 2 ** attempt, 5_000, remainingMs));
}

/** What `scan-gate --format` prints: text for people, JSON for programs, SARIF 2.1.0 for code scanning. */
export const GATE_FORMATS = ['text', 'json', 'sarif'] as const;
export type GateFormat = (typeof GATE_FORMATS)[number];

/**
 * The output format `--format` and `--json` ask for, or a usage problem naming both when they disagree
 * (`--json --format sarif`). Neither: text.
 */
export function gateFormat(options: {
  format?: string | undefined;
  json?: boolean | undefined;
}): { format: GateFormat } | { problem: string } {
  const { format, json } = options;
  if (format !== undefined && !(GATE_FORMATS as readonly string[]).includes(format)) {
    return { problem: `--format: expected one of ${GATE_FORMATS.join(', ')}, got "${format}"` };
  }
  if (json && format !== undefined && format !== 'json') {
    return { problem: `--json and --format ${format} disagree: give one of them` };
  }
  return { format: (format as GateFormat | undefined) ?? (json ? 'json' : 'text') };
}
