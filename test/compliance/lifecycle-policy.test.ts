import { describe, expect, it } from 'vitest';
import { parseLifecyclePolicy } from '../../src/cleanup/index.ts';
import {
  judgeLifecyclePolicy,
  lifecyclePolicyControl,
  lifecyclePolicySettingsSchema,
} from '../../src/compliance/domain/lifecycle-policy.ts';
import { policyText, registry, repository, taggedAll, UNTAGGED_14_DAYS } from './state.ts';

function judge(...rules: object[]) {
  const parsed = parseLifecyclePolicy({ rules });
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.text).join('\n'));
  return judgeLifecyclePolicy(parsed.policy);
}

const prefixRelease = (
  priority: number,
  action: object = { type: 'expire' },
  countType = 'imageCountMoreThan',
) => ({
  rulePriority: priority,
  selection: {
    tagStatus: 'tagged',
    tagPrefixList: ['release'],
    countType,
    ...(countType === 'imageCountMoreThan' ? {} : { countUnit: 'days' }),
    countNumber: 30,
  },
  action,
});

const TEMPLATE = { rules: [UNTAGGED_14_DAYS, taggedAll(2)] };

function check(text: string | undefined, settings: object = {}) {
  return lifecyclePolicyControl.check({
    repository: repository({ ...(text === undefined ? {} : { lifecyclePolicyText: text }) }),
    registry: registry(),
    desired: lifecyclePolicySettingsSchema.parse(settings),
  });
}

describe('lifecycle policy judged by meaning', () => {
  it('caps untagged images by age and every tagged image by count', () => {
    const j = judge(UNTAGGED_14_DAYS, taggedAll(2));

    expect(j.untaggedCap).toBe('rule 1 (untagged) expires, after 14 days (sinceImagePushed)');
    expect(j.taggedCapped).toBe(true);
    expect(j.taggedCaps).toEqual(['rule 2 (tagged tagPatternList [*]) expires, keeps 10']);
  });

  it('does not cap all tagged images when only a tagPrefixList rule expires them', () => {
    const j = judge(UNTAGGED_14_DAYS, prefixRelease(2));

    expect(j.taggedCapped).toBe(false);
    expect(j.taggedGaps).toEqual([
      'no rule selects every tagged image (tagStatus any, or tagPatternList ["*"]): tags matching no filter are kept forever',
    ]);
  });

  it('does not cap tagged images a higher-priority transition rule shields from the catch-all expire rule', () => {
    const transition = prefixRelease(
      1,
      { type: 'transition', targetStorageClass: 'archive' },
      'sinceImagePulled',
    );

    const j = judge(transition, taggedAll(2), { ...UNTAGGED_14_DAYS, rulePriority: 3 });

    expect(j.taggedCapped).toBe(false);
    expect(j.taggedGaps[0]).toMatch(/^rule 1 \(tagged tagPrefixList \[release\]\) transitions/);
    expect(j.untaggedCap).toMatch(/^rule 3/);
  });

  it('caps tagged images when a partial expire rule comes before the catch-all (both expire)', () => {
    const j = judge(prefixRelease(1), taggedAll(2));

    expect(j.taggedCapped).toBe(true);
    expect(j.taggedCaps).toHaveLength(2);
  });

  it('orders rules by rulePriority, not by their position in the list', () => {
    const transition = prefixRelease(
      1,
      { type: 'transition', targetStorageClass: 'archive' },
      'sinceImagePulled',
    );

    const j = judge(taggedAll(5), transition);

    expect(j.taggedCapped).toBe(false);
  });

  it('lets a tagStatus any rule cap both untagged and tagged images', () => {
    const j = judge({
      rulePriority: 1,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 50 },
      action: { type: 'expire' },
    });

    expect(j.untaggedCap).toBe('rule 1 (any) expires, keeps 50');
    expect(j.taggedCapped).toBe(true);
  });

  it('does not count untagged images as capped when the first rule selecting them only archives', () => {
    const j = judge(
      {
        rulePriority: 1,
        selection: {
          tagStatus: 'untagged',
          countType: 'sinceImagePulled',
          countUnit: 'days',
          countNumber: 30,
        },
        action: { type: 'transition', targetStorageClass: 'archive' },
      },
      {
        rulePriority: 2,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 50 },
        action: { type: 'expire' },
      },
    );

    expect(j.untaggedCap).toBeUndefined();
    expect(j.untaggedGap).toMatch(/^rule 1 \(untagged\) transitions.*does not expire them/);
  });

  it('ignores archive-storage rules: expiring archived images does not cap the working set', () => {
    const j = judge(UNTAGGED_14_DAYS, {
      rulePriority: 2,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['*'],
        storageClass: 'archive',
        countType: 'sinceImageTransitioned',
        countUnit: 'days',
        countNumber: 90,
      },
      action: { type: 'expire' },
    });

    expect(j.taggedCapped).toBe(false);
  });
});

describe('lifecycle policy control', () => {
  it('passes a policy that caps both, listing the rules that do', () => {
    const finding = check(policyText(UNTAGGED_14_DAYS, taggedAll(2)));

    expect(finding.status).toBe('pass');
    expect(finding.details).toHaveLength(2);
  });

  it('reports a missing policy, fixable with the template in enforce mode', () => {
    const finding = check(undefined, { template: TEMPLATE, mode: 'enforce' });

    expect(finding).toMatchObject({ status: 'drift', actual: 'no lifecycle policy', fixable: true });
    const remediation = finding.remediation;
    if (remediation?.action !== 'PutLifecyclePolicy') throw new Error('expected PutLifecyclePolicy');
    expect(JSON.parse(remediation.input.lifecyclePolicyText)).toEqual(TEMPLATE);
    expect(remediation.input.repositoryName).toBe('orders-api-prod');
    expect(finding.remediation?.before).toBeNull();
  });

  it('reports drift without a remediation when no template is configured', () => {
    const finding = check(policyText(UNTAGGED_14_DAYS, prefixRelease(2)));

    expect(finding).toMatchObject({ status: 'drift', fixable: false });
    expect(finding.actual).toMatch(/^tagged images are not all capped/);
  });

  it('reports an invalid policy with the parser’s problems', () => {
    const finding = check(policyText({ ...taggedAll(1, 0) }));

    expect(finding.status).toBe('drift');
    expect(finding.details).toContain(
      'rule 1: selection.countNumber: must be a positive integer (0 is not accepted)',
    );
  });

  it('passes a policy that caps untagged only when tagged capping is not required', () => {
    expect(check(policyText(UNTAGGED_14_DAYS), { capTagged: false }).status).toBe('pass');
    expect(check(policyText(UNTAGGED_14_DAYS)).status).toBe('drift');
  });
});
