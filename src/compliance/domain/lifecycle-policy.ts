import * as z from 'zod';
import {
  type LifecyclePolicy,
  type LifecycleRule,
  lifecyclePolicySchema,
  parseLifecyclePolicy,
} from '../../cleanup/index.ts';
import {
  drift,
  type Finding,
  modeSchema,
  pass,
  type RepositoryControl,
  repositorySubject,
} from './control.ts';

/**
 * Lifecycle policy content: present, valid (cleanup's parser, the same rules as PutLifecyclePolicy), and it caps
 * untagged images and tagged images by count or age. Judged by what the rules do under ECR's evaluation rules,
 * never by the text: an image belongs to the first rule (by rulePriority) whose tag filter matches it, and a rule
 * with lower priority can't expire it. So "caps tagged images" means every tagged image's first matching rule
 * expires by imageCountMoreThan or sinceImagePushed. Only standard-storage rules count (archive rules select
 * archived images, which no longer take a slot in the repository's working set).
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html ("Lifecycle policy evaluation rules")
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html
 */

export const lifecyclePolicySettingsSchema = z
  .strictObject({
    /** Some rule must expire untagged images (by count or age). */
    capUntagged: z.boolean().default(true),
    /** Every tagged image must fall to a rule that expires by count or age. */
    capTagged: z.boolean().default(true),
    /** The policy enforce puts on a repository that drifts (without one, drift is reported only). */
    template: lifecyclePolicySchema.optional(),
    mode: modeSchema,
  })
  .superRefine((s, ctx) => {
    if (s.template === undefined) return;
    const problems = capProblems(judgeLifecyclePolicy(s.template), s);
    if (problems.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['template'],
        message: `enforce would put a policy that fails this check: ${problems.join('; ')}`,
      });
  });
export type LifecyclePolicySettings = z.output<typeof lifecyclePolicySettingsSchema>;

/** How a policy treats untagged and tagged images. */
export interface LifecycleJudgement {
  /** The rule that expires untagged images by count or age, if one does. */
  readonly untaggedCap?: string;
  /** Why untagged images are not capped (when untaggedCap is undefined). */
  readonly untaggedGap?: string;
  /** True when every tagged image's first matching rule expires it by count or age. */
  readonly taggedCapped: boolean;
  /** The rules that cap (parts of) the tagged images. */
  readonly taggedCaps: readonly string[];
  /** Tagged images that escape, readable. */
  readonly taggedGaps: readonly string[];
}

function caps(rule: LifecycleRule): boolean {
  const c = rule.selection.countType;
  return rule.action.type === 'expire' && (c === 'imageCountMoreThan' || c === 'sinceImagePushed');
}

/** True when the rule's tag filter matches every tagged image (any, or patterns made only of `*`). */
function matchesEveryTagged(rule: LifecycleRule): boolean {
  const s = rule.selection;
  if (s.tagStatus === 'any') return true;
  // A prefix is at least one character, so a prefix list never matches every tag.
  return s.tagStatus === 'tagged' && (s.tagPatternList?.every((p) => /^\*+$/.test(p)) ?? false);
}

function describeRule(rule: LifecycleRule): string {
  const s = rule.selection;
  const filter = s.tagPatternList
    ? ` tagPatternList [${s.tagPatternList.join(', ')}]`
    : s.tagPrefixList
      ? ` tagPrefixList [${s.tagPrefixList.join(', ')}]`
      : '';
  const how =
    s.countType === 'imageCountMoreThan'
      ? `keeps ${s.countNumber}`
      : `after ${s.countNumber} days (${s.countType})`;
  return `rule ${rule.rulePriority} (${s.tagStatus}${filter}) ${rule.action.type}s, ${how}`;
}

/** What a valid policy does with untagged and tagged images in standard storage. */
export function judgeLifecyclePolicy(policy: LifecyclePolicy): LifecycleJudgement {
  const rules = policy.rules
    .filter((r) => (r.selection.storageClass ?? 'standard') === 'standard')
    .sort((a, b) => a.rulePriority - b.rulePriority);

  const firstUntagged = rules.find((r) => r.selection.tagStatus !== 'tagged');
  const untagged =
    firstUntagged === undefined
      ? { untaggedGap: 'no rule selects untagged images' }
      : caps(firstUntagged)
        ? { untaggedCap: describeRule(firstUntagged) }
        : {
            untaggedGap: `${describeRule(firstUntagged)}: the first rule to select untagged images does not expire them by count or age`,
          };

  const taggedCaps: string[] = [];
  const taggedGaps: string[] = [];
  let catchAll = false;
  for (const rule of rules) {
    if (rule.selection.tagStatus === 'untagged') continue;
    if (caps(rule)) taggedCaps.push(describeRule(rule));
    else
      taggedGaps.push(
        `${describeRule(rule)}: images it selects are shielded from later rules and never expired by count or age`,
      );
    if (matchesEveryTagged(rule)) {
      catchAll = true;
      break;
    }
  }
  if (!catchAll)
    taggedGaps.push(
      'no rule selects every tagged image (tagStatus any, or tagPatternList ["*"]): tags matching no filter are kept forever',
    );
  return { ...untagged, taggedCapped: taggedGaps.length === 0, taggedCaps, taggedGaps };
}

/** The requirements a judged policy fails, readable; empty when it meets them. */
export function capProblems(
  judgement: LifecycleJudgement,
  settings: { readonly capUntagged: boolean; readonly capTagged: boolean },
): string[] {
  const problems: string[] = [];
  if (settings.capUntagged && judgement.untaggedCap === undefined)
    problems.push(`untagged images are not capped (${judgement.untaggedGap})`);
  if (settings.capTagged && !judgement.taggedCapped)
    problems.push(`tagged images are not all capped (${judgement.taggedGaps.join('; ')})`);
  return problems;
}

/** The policy text enforce puts, from the group's template. */
export function templateText(template: LifecyclePolicy): string {
  return JSON.stringify(template);
}

function expectation(settings: LifecyclePolicySettings): string {
  const what = [
    settings.capUntagged ? 'untagged images' : undefined,
    settings.capTagged ? 'tagged images (count or age)' : undefined,
  ].filter((x) => x !== undefined);
  return what.length === 0
    ? 'a valid lifecycle policy'
    : `a valid lifecycle policy capping ${what.join(' and ')}`;
}

export const lifecyclePolicyControl: RepositoryControl<LifecyclePolicySettings> = {
  id: 'lifecycle-policy',
  title: 'A lifecycle policy caps untagged and tagged images',
  scope: 'repository',
  check({ repository, desired }): Finding {
    const subject = repositorySubject(repository);
    const expected = expectation(desired);
    const text = repository.lifecyclePolicyText;
    const remediation =
      desired.template === undefined
        ? undefined
        : {
            action: 'PutLifecyclePolicy' as const,
            input: {
              repositoryName: repository.repositoryName,
              lifecyclePolicyText: templateText(desired.template),
            },
            before: text ?? null,
            after: templateText(desired.template),
          };
    const fixWith =
      desired.template === undefined
        ? 'write a lifecycle policy that does (no template configured for enforce)'
        : "put the group's template policy (PutLifecyclePolicy)";

    if (text === undefined)
      return drift('lifecycle-policy', subject, desired.mode, {
        expected,
        actual: 'no lifecycle policy',
        fix: fixWith,
        remediation,
      });
    const parsed = parseLifecyclePolicy(text);
    if (!parsed.ok)
      return drift('lifecycle-policy', subject, desired.mode, {
        expected,
        actual: `an invalid lifecycle policy (${parsed.problems.length} problem${parsed.problems.length === 1 ? '' : 's'})`,
        fix: `replace it: ${fixWith}`,
        remediation,
        details: parsed.problems.map((p) => p.text),
      });
    const judgement = judgeLifecyclePolicy(parsed.policy);
    const problems = capProblems(judgement, desired);
    const capsText = [judgement.untaggedCap, ...judgement.taggedCaps].filter((x) => x !== undefined);
    if (problems.length === 0)
      return pass('lifecycle-policy', subject, desired.mode, expected, 'a policy that caps them', capsText);
    return drift('lifecycle-policy', subject, desired.mode, {
      expected,
      actual: problems.join('; '),
      fix: fixWith,
      remediation,
      details: problems,
    });
  },
};
