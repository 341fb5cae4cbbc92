import { invalidParameter, parseJsonParameter } from './errors.ts';

/**
 * Validates lifecycle policy text the way PutLifecyclePolicy does
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html).
 * Evaluation is not emulated here: the project's cleanup applies policies itself.
 */
export function validateLifecyclePolicy(text: string): void {
  const fail = (why: string): never => {
    throw invalidParameter(
      `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${why}'`,
    );
  };
  if (text.length < 100 || text.length > 30720)
    fail('lifecyclePolicyText must be between 100 and 30720 characters');
  const doc = parseJsonParameter(
    text,
    "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: invalid JSON'",
  );
  const rules = (doc as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules) || rules.length === 0) fail('"rules" must be a non-empty array');
  const priorities = new Set<number>();
  let anyPriority: number | undefined;
  let maxPriority = -Infinity;
  (rules as unknown[]).forEach((raw, index) => {
    const rule = (raw ?? {}) as Record<string, unknown>;
    const at = `rules[${index}]`;
    const priority = rule.rulePriority;
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 1)
      fail(`${at}.rulePriority must be a positive integer`);
    if (priorities.has(priority as number)) fail(`rulePriority ${String(priority)} is not unique`);
    priorities.add(priority as number);
    maxPriority = Math.max(maxPriority, priority as number);
    const selection = (rule.selection ?? {}) as Record<string, unknown>;
    const tagStatus = selection.tagStatus;
    if (tagStatus !== 'tagged' && tagStatus !== 'untagged' && tagStatus !== 'any') {
      fail(`${at}.selection.tagStatus must be tagged, untagged or any`);
    }
    if (tagStatus === 'any') anyPriority = priority as number;
    const prefixes = selection.tagPrefixList;
    const patterns = selection.tagPatternList;
    if (prefixes !== undefined && patterns !== undefined)
      fail(`${at}.selection cannot have both tagPrefixList and tagPatternList`);
    if (tagStatus === 'tagged') {
      const list = prefixes ?? patterns;
      if (!Array.isArray(list) || list.length === 0)
        fail(`${at}.selection with tagStatus tagged needs tagPrefixList or tagPatternList`);
      if (Array.isArray(patterns)) {
        for (const pattern of patterns) {
          if (typeof pattern !== 'string' || (pattern.match(/\*/g) ?? []).length > 4) {
            fail(`${at}.selection.tagPatternList entries are strings with at most 4 wildcards`);
          }
        }
      }
    } else if (prefixes !== undefined || patterns !== undefined) {
      fail(`${at}.selection tag lists are only allowed with tagStatus tagged`);
    }
    const countType = selection.countType;
    const known = ['imageCountMoreThan', 'sinceImagePushed', 'sinceImagePulled', 'sinceImageTransitioned'];
    if (typeof countType !== 'string' || !known.includes(countType))
      fail(`${at}.selection.countType must be one of ${known.join(', ')}`);
    const countNumber = selection.countNumber;
    if (typeof countNumber !== 'number' || !Number.isInteger(countNumber) || countNumber < 1) {
      fail(`${at}.selection.countNumber must be a positive integer`);
    }
    if (countType === 'imageCountMoreThan' && selection.countUnit !== undefined)
      fail(`${at}.selection.countUnit is not allowed with imageCountMoreThan`);
    if (countType !== 'imageCountMoreThan' && selection.countUnit !== 'days')
      fail(`${at}.selection.countUnit must be days`);
    const actionType = (rule.action as { type?: unknown } | undefined)?.type;
    if (actionType !== 'expire' && actionType !== 'transition')
      fail(`${at}.action.type must be expire or transition`);
  });
  if (anyPriority !== undefined && anyPriority !== maxPriority)
    fail('a rule with tagStatus any must have the highest rulePriority');
}
