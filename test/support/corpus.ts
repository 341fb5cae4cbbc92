import type { InvokeOutcome, LambdaRuntime } from '../../src/sandbox/runtime/index.ts';

/** One hostile variant of a genuine event, and the field its rejection must name. */
export interface MalformedEvent {
  name: string;
  event: unknown;
  /** The field the rejection must name, as parse-event reports it (`detail.image-tag`, `(event)`). */
  field: string;
}

/** A value far over any field's limit (300 KiB). */
export const HUGE = 'a'.repeat(300 * 1024);

/** Copies of an EventBridge event with one envelope or `detail` field set or removed. */
export function eventVariants(genuine: Record<string, unknown>) {
  const detail = genuine.detail as Record<string, unknown>;
  return {
    withField: (key: string, value: unknown) => ({ ...genuine, [key]: value }),
    withoutField: (key: string) => Object.fromEntries(Object.entries(genuine).filter(([k]) => k !== key)),
    withDetail: (key: string, value: unknown) => ({ ...genuine, detail: { ...detail, [key]: value } }),
    withoutDetail: (key: string) => ({
      ...genuine,
      detail: Object.fromEntries(Object.entries(detail).filter(([k]) => k !== key)),
    }),
  };
}

/**
 * Invoke a function with every variant in turn, and sort the outcomes: `accepted` (wrongly, by name) and
 * `unnamed` (refused without naming the expected field).
 */
export async function invokeCorpus(runtime: LambdaRuntime, functionName: string, corpus: MalformedEvent[]) {
  const outcomes: Array<MalformedEvent & { outcome: InvokeOutcome }> = [];
  for (const variant of corpus) {
    outcomes.push({ ...variant, outcome: await runtime.invoke(functionName, variant.event) });
  }
  return {
    outcomes,
    accepted: outcomes.filter((o) => o.outcome.ok).map((o) => o.name),
    unnamed: outcomes
      .filter((o) => !o.outcome.ok && !o.outcome.error?.errorMessage.includes(`${o.field}: `))
      .map((o) => `${o.name}: ${o.outcome.error?.errorMessage.slice(0, 300)}`),
  };
}
