import * as z from 'zod';

/**
 * An Amazon ECR lifecycle policy exactly as `aws ecr put-lifecycle-policy --lifecycle-policy-text` takes it,
 * parsed and validated with the rules AWS publishes. Pure: no I/O.
 *
 * Sources (AWS ECR user guide):
 * - https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html (fields, required-ness,
 *   "at most four wildcards per string", countUnit only with the since* types, countNumber positive, storageClass,
 *   sinceImagePulled = transition only, sinceImageTransitioned = expire only with storageClass archive)
 * - https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html ("Lifecycle policy evaluation
 *   rules": unique tag prefixes per storage class, one untagged rule per storage class)
 * - https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html (50 rules, 30,720 characters)
 * - ECR API model: `LifecyclePolicyText` min 100 characters; `appliedRulePriority` min 1.
 *
 * AWS does not publish its validation messages, so ours are our own: `rule <priority>: <field>: <problem>`
 * (or `rules[<index>]` when the rule has no usable priority, `policy` for policy-level problems).
 */

/** Published limits. */
export const LIFECYCLE_LIMITS = {
  /** Rules per lifecycle policy (service quotas). */
  maxRules: 50,
  /** Policy text length (service quotas; the API model's LifecyclePolicyText max). */
  maxPolicyTextLength: 30_720,
  /** Policy text minimum length (API model's LifecyclePolicyText min). */
  minPolicyTextLength: 100,
  /** `*` per tagPatternList entry. */
  maxWildcardsPerPattern: 4,
  /** ECR ImageTag is 1–300 characters (API model), so a prefix or pattern longer than that matches nothing. */
  maxTagFilterLength: 300,
  /** Images that a lifecycle rule may delete from archive must have been archived this long (archive docs). */
  minArchiveDaysBeforeExpire: 90,
} as const;

export const TAG_STATUSES = ['tagged', 'untagged', 'any'] as const;
export const STORAGE_CLASSES = ['standard', 'archive'] as const;
export const COUNT_TYPES = [
  'imageCountMoreThan',
  'sinceImagePushed',
  'sinceImagePulled',
  'sinceImageTransitioned',
] as const;
export const ACTION_TYPES = ['expire', 'transition'] as const;

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) => (issue.input === undefined ? 'required' : `expected one of ${values.join(', ')}`),
  });
}

const positiveInteger = z
  .number({ error: (issue) => (issue.input === undefined ? 'required' : 'expected an integer') })
  .int('expected an integer')
  .min(1, 'must be a positive integer (0 is not accepted)')
  .max(2_147_483_647, 'must fit in a 32-bit integer');

const tagFilterList = z
  .array(
    z
      .string({ error: 'expected a string' })
      .min(1, 'entries must not be empty')
      .max(LIFECYCLE_LIMITS.maxTagFilterLength, 'entries are at most 300 characters (an image tag is)'),
    { error: 'expected a list of strings' },
  )
  .min(1, 'must not be empty');

/** Wildcard patterns: `*` is the only metacharacter, at most four per pattern. */
const tagPatternList = tagFilterList.refine(
  (patterns) => patterns.every((p) => wildcardCount(p) <= LIFECYCLE_LIMITS.maxWildcardsPerPattern),
  'at most 4 wildcards per pattern',
);

export const lifecycleSelectionSchema = z.strictObject({
  tagStatus: oneOf(TAG_STATUSES),
  tagPatternList: tagPatternList.optional(),
  tagPrefixList: tagFilterList.optional(),
  storageClass: oneOf(STORAGE_CLASSES).optional(),
  countType: oneOf(COUNT_TYPES),
  countUnit: oneOf(['days']).optional(),
  countNumber: positiveInteger,
});

export const lifecycleActionSchema = z.strictObject({
  type: oneOf(ACTION_TYPES),
  targetStorageClass: oneOf(['archive']).optional(),
});

export const lifecycleRuleSchema = z.strictObject({
  rulePriority: positiveInteger,
  description: z.string({ error: 'expected a string' }).optional(),
  selection: z.unknown().pipe(lifecycleSelectionSchema),
  action: z.unknown().pipe(lifecycleActionSchema),
});

export const lifecyclePolicySchema = z.strictObject({
  rules: z.array(lifecycleRuleSchema).min(1).max(LIFECYCLE_LIMITS.maxRules),
});

export type LifecycleTagStatus = (typeof TAG_STATUSES)[number];
export type LifecycleStorageClass = (typeof STORAGE_CLASSES)[number];
export type LifecycleCountType = (typeof COUNT_TYPES)[number];
export type LifecycleSelection = z.infer<typeof lifecycleSelectionSchema>;
export type LifecycleAction = z.infer<typeof lifecycleActionSchema>;
export type LifecycleRule = z.infer<typeof lifecycleRuleSchema>;
export type LifecyclePolicy = z.infer<typeof lifecyclePolicySchema>;

/** One validation problem. `text` is the full message: `rule 2: selection.tagPatternList: …`. */
export interface LifecyclePolicyProblem {
  /** The rule's priority when it has a usable one. */
  readonly rulePriority?: number;
  /** Position of the rule in `rules`, when the problem is about a rule. */
  readonly ruleIndex?: number;
  /** Dotted field path inside the rule (or the policy), e.g. `selection.countUnit`. */
  readonly field: string;
  readonly message: string;
  readonly text: string;
}

export type LifecyclePolicyParseResult =
  | { readonly ok: true; readonly policy: LifecyclePolicy }
  | { readonly ok: false; readonly problems: readonly LifecyclePolicyProblem[] };

const SINCE_TYPES: ReadonlySet<string> = new Set([
  'sinceImagePushed',
  'sinceImagePulled',
  'sinceImageTransitioned',
]);

/** Number of `*` in a tagPatternList entry. */
export function wildcardCount(pattern: string): number {
  let n = 0;
  for (const c of pattern) if (c === '*') n++;
  return n;
}

/** The storage class a rule selects (`standard` when omitted, AWS's default). */
export function ruleStorageClass(rule: LifecycleRule): LifecycleStorageClass {
  return rule.selection.storageClass ?? 'standard';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function usablePriority(raw: unknown): number | undefined {
  if (!isRecord(raw)) return undefined;
  const p = raw.rulePriority;
  return typeof p === 'number' && Number.isInteger(p) && p >= 1 ? p : undefined;
}

class Problems {
  readonly list: LifecyclePolicyProblem[] = [];

  policy(field: string, message: string): void {
    this.list.push({ field, message, text: `policy: ${field}: ${message}` });
  }

  rule(ruleIndex: number, rulePriority: number | undefined, field: string, message: string): void {
    const who = rulePriority === undefined ? `rules[${ruleIndex}]` : `rule ${rulePriority}`;
    this.list.push({
      ...(rulePriority === undefined ? {} : { rulePriority }),
      ruleIndex,
      field,
      message,
      text: `${who}: ${field}: ${message}`,
    });
  }

  /** Policy-level first, then by rule priority (rules without one last, by position), then by field. */
  sorted(): LifecyclePolicyProblem[] {
    const key = (p: LifecyclePolicyProblem) =>
      p.ruleIndex === undefined ? -1 : (p.rulePriority ?? Number.MAX_SAFE_INTEGER);
    return this.list
      .map((p, i) => ({ p, i }))
      .sort((a, b) => key(a.p) - key(b.p) || (a.p.ruleIndex ?? -1) - (b.p.ruleIndex ?? -1) || a.i - b.i)
      .map(({ p }) => p);
  }
}

function zodField(path: readonly PropertyKey[], extra?: string): string {
  const parts = path.map(String);
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '(rule)' : parts.join('.');
}

function reportZodIssues(
  problems: Problems,
  issues: readonly z.core.$ZodIssue[],
  ruleIndex: number,
  rulePriority: number | undefined,
): void {
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        problems.rule(ruleIndex, rulePriority, zodField(issue.path, key), 'unknown field');
    } else {
      // Array entries appear as `tagPatternList.0`; show them as `tagPatternList[0]`.
      const field = zodField(issue.path).replace(/\.(\d+)(?=\.|$)/g, '[$1]');
      const message =
        issue.code === 'invalid_type' && issue.expected === 'object' ? 'expected an object' : issue.message;
      problems.rule(ruleIndex, rulePriority, field, message);
    }
  }
}

/**
 * What the cross-field checks need from a rule, read leniently from the raw JSON so that a rule with a shape
 * error (say countNumber 0) is still checked for everything else. Values that are not one of the known enum
 * members are left undefined: zod already reports them, and the checks that depend on them are skipped.
 */
interface RuleView {
  readonly tagStatus?: LifecycleTagStatus;
  readonly hasPatternList: boolean;
  readonly hasPrefixList: boolean;
  /** The raw storageClass value (undefined when omitted). */
  readonly storageClass: unknown;
  readonly countType?: LifecycleCountType;
  readonly hasCountUnit: boolean;
  readonly actionType?: (typeof ACTION_TYPES)[number];
  readonly hasTargetStorageClass: boolean;
}

function known<const T extends readonly string[]>(value: unknown, values: T): T[number] | undefined {
  return typeof value === 'string' && (values as readonly string[]).includes(value) ? value : undefined;
}

function viewOf(raw: Record<string, unknown>): RuleView {
  const selection = isRecord(raw.selection) ? raw.selection : {};
  const action = isRecord(raw.action) ? raw.action : {};
  return {
    tagStatus: known(selection.tagStatus, TAG_STATUSES),
    hasPatternList: selection.tagPatternList !== undefined,
    hasPrefixList: selection.tagPrefixList !== undefined,
    storageClass: selection.storageClass,
    countType: known(selection.countType, COUNT_TYPES),
    hasCountUnit: selection.countUnit !== undefined,
    actionType: known(action.type, ACTION_TYPES),
    hasTargetStorageClass: action.targetStorageClass !== undefined,
  };
}

/** Checks AWS documents beyond the shape of one rule. */
function checkRule(problems: Problems, view: RuleView, ruleIndex: number, p: number | undefined): void {
  const report = (field: string, message: string) => problems.rule(ruleIndex, p, field, message);

  if (view.tagStatus === 'tagged') {
    if (!view.hasPatternList && !view.hasPrefixList)
      report('selection.tagStatus', 'tagged needs a tagPatternList or a tagPrefixList');
    if (view.hasPatternList && view.hasPrefixList)
      report('selection.tagPrefixList', 'give tagPatternList or tagPrefixList, not both');
  } else if (view.tagStatus !== undefined) {
    if (view.hasPatternList)
      report('selection.tagPatternList', `only allowed with tagStatus tagged (not ${view.tagStatus})`);
    if (view.hasPrefixList)
      report('selection.tagPrefixList', `only allowed with tagStatus tagged (not ${view.tagStatus})`);
  }

  const { countType, actionType } = view;
  if (countType !== undefined) {
    const since = SINCE_TYPES.has(countType);
    if (since && !view.hasCountUnit) report('selection.countUnit', `required with ${countType}`);
    if (!since && view.hasCountUnit)
      report(
        'selection.countUnit',
        'only allowed with sinceImagePushed, sinceImagePulled or sinceImageTransitioned',
      );
  }

  if (countType === 'sinceImagePulled' && actionType !== undefined && actionType !== 'transition')
    report('action.type', 'sinceImagePulled is only allowed with transition');
  const storageClassKnown = view.storageClass === undefined || known(view.storageClass, STORAGE_CLASSES);
  if (countType === 'sinceImageTransitioned') {
    if (actionType !== undefined && actionType !== 'expire')
      report('action.type', 'sinceImageTransitioned is only allowed with expire');
    if (storageClassKnown && view.storageClass !== 'archive')
      report('selection.storageClass', 'sinceImageTransitioned requires storageClass archive');
  } else if (countType !== undefined && view.storageClass === 'archive') {
    report(
      'selection.storageClass',
      `archive is only allowed with sinceImageTransitioned (not ${countType})`,
    );
  }

  if (actionType === 'transition' && !view.hasTargetStorageClass)
    report('action.targetStorageClass', 'required with transition (archive)');
  if (actionType === 'expire' && view.hasTargetStorageClass)
    report('action.targetStorageClass', 'only allowed with transition');
}

/** Unique priorities and `any` last, over every rule with a usable priority (even one with other problems). */
function checkPriorities(
  problems: Problems,
  rules: readonly { priority: number; index: number; view: RuleView }[],
): void {
  const byPriority = new Map<number, number>();
  for (const { priority } of rules) byPriority.set(priority, (byPriority.get(priority) ?? 0) + 1);
  for (const { priority, index } of rules) {
    if ((byPriority.get(priority) ?? 0) > 1)
      problems.rule(index, priority, 'rulePriority', 'must be unique (another rule has the same priority)');
  }
  const highest = Math.max(...rules.map(({ priority }) => priority));
  for (const { priority, index, view } of rules) {
    if (view.tagStatus === 'any' && priority !== highest)
      problems.rule(
        index,
        priority,
        'selection.tagStatus',
        `a rule with tagStatus any must have the highest rulePriority (${highest} is higher)`,
      );
  }
}

/** Unique tag filters and one untagged rule per storage class, over the rules that parsed. */
function checkRules(problems: Problems, rules: readonly { rule: LifecycleRule; index: number }[]): void {
  const seenFilters = new Map<string, number>();
  const seenUntagged = new Map<LifecycleStorageClass, number>();
  for (const { rule, index } of [...rules].sort((a, b) => a.rule.rulePriority - b.rule.rulePriority)) {
    const storage = ruleStorageClass(rule);
    const s = rule.selection;
    if (s.tagStatus === 'untagged') {
      const first = seenUntagged.get(storage);
      if (first !== undefined && first !== rule.rulePriority)
        problems.rule(
          index,
          rule.rulePriority,
          'selection.tagStatus',
          `only one rule per storage class may select untagged images (rule ${first} already does, ${storage})`,
        );
      else seenUntagged.set(storage, rule.rulePriority);
    }
    const list = s.tagPatternList ?? s.tagPrefixList;
    if (s.tagStatus === 'tagged' && list !== undefined) {
      const kind = s.tagPatternList !== undefined ? 'tagPatternList' : 'tagPrefixList';
      const key = `${storage}|${kind}|${[...new Set(list)].sort().join('\u0000')}`;
      const first = seenFilters.get(key);
      if (first !== undefined && first !== rule.rulePriority)
        problems.rule(
          index,
          rule.rulePriority,
          `selection.${kind}`,
          `the same tag filter as rule ${first} (${storage}); rules of a storage class need unique tag filters`,
        );
      else seenFilters.set(key, rule.rulePriority);
    }
  }
}

/**
 * Parses and validates a lifecycle policy given as the JSON text `put-lifecycle-policy` takes, or as the
 * already-parsed object. Returns every problem found (not just the first), sorted by rule priority.
 */
export function parseLifecyclePolicy(input: unknown): LifecyclePolicyParseResult {
  const problems = new Problems();
  let document: unknown = input;
  if (typeof input === 'string') {
    if (input.length > LIFECYCLE_LIMITS.maxPolicyTextLength)
      problems.policy(
        'text',
        `at most ${LIFECYCLE_LIMITS.maxPolicyTextLength} characters (found ${input.length})`,
      );
    if (input.length < LIFECYCLE_LIMITS.minPolicyTextLength)
      problems.policy(
        'text',
        `at least ${LIFECYCLE_LIMITS.minPolicyTextLength} characters (found ${input.length})`,
      );
    try {
      document = JSON.parse(input);
    } catch (error) {
      problems.policy('text', `not valid JSON (${(error as Error).message})`);
      return { ok: false, problems: problems.sorted() };
    }
  }

  if (!isRecord(document)) {
    problems.policy('rules', 'expected an object with a rules list');
    return { ok: false, problems: problems.sorted() };
  }
  for (const key of Object.keys(document)) if (key !== 'rules') problems.policy(key, 'unknown field');
  const rawRules = document.rules;
  if (!Array.isArray(rawRules)) {
    problems.policy('rules', rawRules === undefined ? 'required' : 'expected a list of rules');
    return { ok: false, problems: problems.sorted() };
  }
  if (rawRules.length === 0) problems.policy('rules', 'at least one rule is required');
  if (rawRules.length > LIFECYCLE_LIMITS.maxRules)
    problems.policy('rules', `at most ${LIFECYCLE_LIMITS.maxRules} rules (found ${rawRules.length})`);

  const parsed: { rule: LifecycleRule; index: number }[] = [];
  const prioritised: { priority: number; index: number; view: RuleView }[] = [];
  rawRules.forEach((raw, index) => {
    if (!isRecord(raw)) {
      problems.rule(index, undefined, '(rule)', 'expected an object');
      return;
    }
    const priority = usablePriority(raw);
    const view = viewOf(raw);
    if (priority !== undefined) prioritised.push({ priority, index, view });
    const result = lifecycleRuleSchema.safeParse(raw);
    if (!result.success) reportZodIssues(problems, result.error.issues, index, priority);
    checkRule(problems, view, index, priority);
    if (result.success) parsed.push({ rule: result.data, index });
  });
  if (prioritised.length > 0) checkPriorities(problems, prioritised);
  if (parsed.length > 0) checkRules(problems, parsed);

  if (problems.list.length > 0) return { ok: false, problems: problems.sorted() };
  return { ok: true, policy: { rules: parsed.map(({ rule }) => rule) } };
}

/** Error thrown by {@link parseLifecyclePolicyOrThrow}; `problems` holds every problem. */
export class LifecyclePolicyError extends Error {
  constructor(readonly problems: readonly LifecyclePolicyProblem[]) {
    super(`invalid lifecycle policy:\n${problems.map((p) => `  ${p.text}`).join('\n')}`);
    this.name = 'LifecyclePolicyError';
  }
}

/** {@link parseLifecyclePolicy}, throwing a {@link LifecyclePolicyError} listing every problem. */
export function parseLifecyclePolicyOrThrow(input: unknown): LifecyclePolicy {
  const result = parseLifecyclePolicy(input);
  if (!result.ok) throw new LifecyclePolicyError(result.problems);
  return result.policy;
}
