/**
 * What other capabilities may import from cleanup. Compliance judges repositories' lifecycle policies with the
 * same parser cleanup runs them with, so the two can't disagree on what a policy says.
 */

export { lifecyclePolicySchema } from './config-schema.ts';
export {
  type LifecyclePolicy,
  type LifecyclePolicyProblem,
  type LifecycleRule,
  type LifecycleSelection,
  parseLifecyclePolicy,
} from './domain/lifecycle-policy.ts';
export type { CleanupRun, RepositoryOutcome } from './ports.ts';
