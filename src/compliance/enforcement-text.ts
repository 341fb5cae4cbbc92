import type { ActionOutcome, EnforcementReport, SkippedDrift } from './domain/enforcement.ts';

/** A before/after value as a person reads it: policy texts as they are, absent as `none`, the rest as JSON. */
function show(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function target(action: ActionOutcome): string {
  if (action.repositoryNames.length > 0) return action.repositoryNames.join(', ');
  return action.item ?? 'registry';
}

function actionLines(action: ActionOutcome): string {
  const head = `  ${action.outcome === 'applied' ? 'applied' : 'FAILED '}  ${action.controlId}  ${action.action}  ${target(action)}\n`;
  const error = action.outcome === 'failed' ? `    error:  ${action.error}\n` : '';
  return `${head}${error}    before: ${show(action.before)}\n    after:  ${show(action.after)}\n`;
}

function skippedLine(s: SkippedDrift): string {
  return `  ${s.subject}  ${s.controlId}: ${s.reason}\n`;
}

/**
 * What enforcement did, before the audit afterwards: one block per action (applied or FAILED with its error,
 * before → after), then the drift it left alone and why.
 */
export function enforcementText(report: EnforcementReport & { readonly recheckError?: string }): string {
  const applied = report.actions.filter((a) => a.outcome === 'applied').length;
  const failed = report.actions.length - applied;
  let out =
    report.actions.length === 0
      ? 'enforce: nothing to fix\n'
      : `enforce: ${report.actions.length} action${report.actions.length === 1 ? '' : 's'}: ${applied} applied, ${failed} failed\n`;
  out += report.actions.map(actionLines).join('');
  if (report.skipped.length > 0) {
    out += `not fixed by enforce (${report.skipped.length}):\n`;
    out += report.skipped.map(skippedLine).join('');
  }
  if (report.recheckError !== undefined) out += `${report.recheckError}: findings shown as before\n`;
  return out;
}
