/**
 * The SDK's output types use `Date`; the JSON 1.1 wire carries epoch seconds. `Wire<T>` is the SDK shape with
 * every Date as a number, so operations build wire bodies directly while staying checked against the model.
 */
export type Wire<T> = T extends Date
  ? number
  : T extends string | number | boolean | null | undefined
    ? T
    : T extends readonly (infer U)[]
      ? Wire<U>[]
      : { [K in keyof T]: Wire<T[K]> };

/** Epoch milliseconds → the wire's epoch seconds. */
export function seconds(ms: number): number {
  return ms / 1000;
}
