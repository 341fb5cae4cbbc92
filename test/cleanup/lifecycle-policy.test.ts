import { describe, expect, it } from 'vitest';
import {
  LifecyclePolicyError,
  parseLifecyclePolicy,
  parseLifecyclePolicyOrThrow,
} from '../../src/cleanup/domain/lifecycle-policy.ts';

/** Validation of ECR lifecycle policies with AWS's published rules; every message is pinned exactly. */

type Json = Record<string, unknown>;

function rule(priority: unknown, selection: Json, action: Json = { type: 'expire' }, extra: Json = {}): Json {
  return { rulePriority: priority, selection, action, ...extra };
}

const untaggedCount = { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 };
const prodCount = {
  tagStatus: 'tagged',
  tagPatternList: ['prod*'],
  countType: 'imageCountMoreThan',
  countNumber: 5,
};

/** The problem texts of a policy, or [] when it is valid. */
function problems(policy: unknown): string[] {
  const result = parseLifecyclePolicy(policy);
  return result.ok ? [] : result.problems.map((p) => p.text);
}

describe('parseLifecyclePolicy: accepted policies', () => {
  it('parses the JSON text put-lifecycle-policy takes, with every field of the template', () => {
    const text = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: 'Archive prod images not pulled for 30 days',
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['prod*'],
            storageClass: 'standard',
            countType: 'sinceImagePulled',
            countUnit: 'days',
            countNumber: 30,
          },
          action: { type: 'transition', targetStorageClass: 'archive' },
        },
        {
          rulePriority: 2,
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['prod*'],
            storageClass: 'archive',
            countType: 'sinceImageTransitioned',
            countUnit: 'days',
            countNumber: 90,
          },
          action: { type: 'expire' },
        },
        rule(3, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 100 }),
      ],
    });
    const result = parseLifecyclePolicy(text);
    expect(result).toEqual({
      ok: true,
      policy: {
        rules: [
          {
            rulePriority: 1,
            description: 'Archive prod images not pulled for 30 days',
            selection: {
              tagStatus: 'tagged',
              tagPatternList: ['prod*'],
              storageClass: 'standard',
              countType: 'sinceImagePulled',
              countUnit: 'days',
              countNumber: 30,
            },
            action: { type: 'transition', targetStorageClass: 'archive' },
          },
          {
            rulePriority: 2,
            selection: {
              tagStatus: 'tagged',
              tagPatternList: ['prod*'],
              storageClass: 'archive',
              countType: 'sinceImageTransitioned',
              countUnit: 'days',
              countNumber: 90,
            },
            action: { type: 'expire' },
          },
          {
            rulePriority: 3,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 100 },
            action: { type: 'expire' },
          },
        ],
      },
    });
  });

  it('accepts priorities that are not sequential and an object instead of text', () => {
    expect(problems({ rules: [rule(10, prodCount), rule(3, untaggedCount)] })).toEqual([]);
  });

  it('accepts AWS\'s valid wildcard example ["*test*1*2*3", "test*1*2*3*"] (four per pattern)', () => {
    const selection = { ...prodCount, tagPatternList: ['*test*1*2*3', 'test*1*2*3*'] };
    expect(problems({ rules: [rule(1, selection)] })).toEqual([]);
  });

  it('accepts an untagged rule together with an any rule (only untagged-status rules are limited to one)', () => {
    const any = { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 365 };
    expect(problems({ rules: [rule(1, untaggedCount), rule(2, any)] })).toEqual([]);
  });

  it('parseLifecyclePolicyOrThrow returns the policy or throws every problem', () => {
    expect(parseLifecyclePolicyOrThrow({ rules: [rule(1, untaggedCount)] }).rules).toHaveLength(1);
    let error: unknown;
    try {
      parseLifecyclePolicyOrThrow({ rules: [rule(1, { ...untaggedCount, countNumber: 0 })] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LifecyclePolicyError);
    expect((error as Error).message).toBe(
      'invalid lifecycle policy:\n  rule 1: selection.countNumber: must be a positive integer (0 is not accepted)',
    );
  });
});

describe('parseLifecyclePolicy: AWS rules, one message each', () => {
  it('rulePriority must be unique', () => {
    expect(problems({ rules: [rule(1, untaggedCount), rule(1, prodCount)] })).toEqual([
      'rule 1: rulePriority: must be unique (another rule has the same priority)',
      'rule 1: rulePriority: must be unique (another rule has the same priority)',
    ]);
  });

  it('rulePriority is a positive integer and required', () => {
    expect(problems({ rules: [rule(0, untaggedCount)] })).toEqual([
      'rules[0]: rulePriority: must be a positive integer (0 is not accepted)',
    ]);
    expect(problems({ rules: [{ selection: untaggedCount, action: { type: 'expire' } }] })).toEqual([
      'rules[0]: rulePriority: required',
    ]);
    expect(problems({ rules: [rule('1', untaggedCount)] })).toEqual([
      'rules[0]: rulePriority: expected an integer',
    ]);
  });

  it('a rule with tagStatus any must have the highest rulePriority', () => {
    const any = { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 };
    expect(problems({ rules: [rule(1, any), rule(2, prodCount)] })).toEqual([
      'rule 1: selection.tagStatus: a rule with tagStatus any must have the highest rulePriority (2 is higher)',
    ]);
  });

  it('tagged needs exactly one of tagPatternList and tagPrefixList', () => {
    const none = { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 };
    const both = { ...none, tagPatternList: ['a*'], tagPrefixList: ['a'] };
    expect(problems({ rules: [rule(1, none), rule(2, both)] })).toEqual([
      'rule 1: selection.tagStatus: tagged needs a tagPatternList or a tagPrefixList',
      'rule 2: selection.tagPrefixList: give tagPatternList or tagPrefixList, not both',
    ]);
  });

  it('untagged and any must omit both tag lists', () => {
    expect(
      problems({
        rules: [
          rule(1, { ...untaggedCount, tagPatternList: ['a*'], tagPrefixList: ['a'] }),
          rule(2, {
            tagStatus: 'any',
            tagPrefixList: ['b'],
            countType: 'imageCountMoreThan',
            countNumber: 1,
          }),
        ],
      }),
    ).toEqual([
      'rule 1: selection.tagPatternList: only allowed with tagStatus tagged (not untagged)',
      'rule 1: selection.tagPrefixList: only allowed with tagStatus tagged (not untagged)',
      'rule 2: selection.tagPrefixList: only allowed with tagStatus tagged (not any)',
    ]);
  });

  it('at most 4 wildcards per pattern (AWS\'s invalid example "test*1*2*3*4*5*6")', () => {
    const selection = { ...prodCount, tagPatternList: ['ok*', 'test*1*2*3*4*5*6'] };
    expect(problems({ rules: [rule(1, untaggedCount), rule(2, selection)] })).toEqual([
      'rule 2: selection.tagPatternList: at most 4 wildcards per pattern',
    ]);
    const five = { ...prodCount, tagPatternList: ['*a*b*c*d*'] };
    expect(problems({ rules: [rule(1, five)] })).toEqual([
      'rule 1: selection.tagPatternList: at most 4 wildcards per pattern',
    ]);
  });

  it('tag lists are non-empty lists of non-empty tags of at most 300 characters', () => {
    expect(problems({ rules: [rule(1, { ...prodCount, tagPatternList: [] })] })).toEqual([
      'rule 1: selection.tagPatternList: must not be empty',
    ]);
    const prefixes = { ...prodCount, tagPatternList: undefined, tagPrefixList: ['', 'x'.repeat(301)] };
    expect(problems({ rules: [rule(1, prefixes)] })).toEqual([
      'rule 1: selection.tagPrefixList[0]: entries must not be empty',
      'rule 1: selection.tagPrefixList[1]: entries are at most 300 characters (an image tag is)',
    ]);
    expect(problems({ rules: [rule(1, { ...prodCount, tagPatternList: 'prod*' })] })).toEqual([
      'rule 1: selection.tagPatternList: expected a list of strings',
    ]);
  });

  it('countUnit is required with the since* types and only allowed with them; days is the only unit', () => {
    expect(
      problems({
        rules: [
          rule(1, { ...untaggedCount, countUnit: 'days' }),
          rule(2, {
            tagStatus: 'tagged',
            tagPrefixList: ['a'],
            countType: 'sinceImagePushed',
            countNumber: 3,
          }),
          rule(3, {
            tagStatus: 'tagged',
            tagPrefixList: ['b'],
            countType: 'sinceImagePushed',
            countUnit: 'hours',
            countNumber: 3,
          }),
        ],
      }),
    ).toEqual([
      'rule 1: selection.countUnit: only allowed with sinceImagePushed, sinceImagePulled or sinceImageTransitioned',
      'rule 2: selection.countUnit: required with sinceImagePushed',
      'rule 3: selection.countUnit: expected one of days',
    ]);
  });

  it('countNumber is a positive integer (0 is not an accepted value)', () => {
    expect(
      problems({
        rules: [
          rule(1, { ...untaggedCount, countNumber: 0 }),
          rule(2, { ...prodCount, countNumber: 1.5 }),
          rule(3, { ...prodCount, tagPatternList: ['x*'], countNumber: undefined }),
        ],
      }),
    ).toEqual([
      'rule 1: selection.countNumber: must be a positive integer (0 is not accepted)',
      'rule 2: selection.countNumber: expected an integer',
      'rule 3: selection.countNumber: required',
    ]);
  });

  it('sinceImagePulled is only allowed with transition', () => {
    const pulled = {
      tagStatus: 'untagged',
      countType: 'sinceImagePulled',
      countUnit: 'days',
      countNumber: 30,
    };
    expect(problems({ rules: [rule(4, pulled)] })).toEqual([
      'rule 4: action.type: sinceImagePulled is only allowed with transition',
    ]);
  });

  it('sinceImageTransitioned is only allowed with expire and storageClass archive', () => {
    const transitioned = {
      tagStatus: 'untagged',
      countType: 'sinceImageTransitioned',
      countUnit: 'days',
      countNumber: 90,
    };
    expect(
      problems({ rules: [rule(2, transitioned, { type: 'transition', targetStorageClass: 'archive' })] }),
    ).toEqual([
      'rule 2: action.type: sinceImageTransitioned is only allowed with expire',
      'rule 2: selection.storageClass: sinceImageTransitioned requires storageClass archive',
    ]);
  });

  it('storageClass archive is only allowed with sinceImageTransitioned', () => {
    expect(problems({ rules: [rule(1, { ...untaggedCount, storageClass: 'archive' })] })).toEqual([
      'rule 1: selection.storageClass: archive is only allowed with sinceImageTransitioned (not imageCountMoreThan)',
    ]);
    expect(problems({ rules: [rule(1, { ...untaggedCount, storageClass: 'cold' })] })).toEqual([
      'rule 1: selection.storageClass: expected one of standard, archive',
    ]);
  });

  it('transition needs targetStorageClass archive; expire takes none', () => {
    expect(
      problems({
        rules: [
          rule(1, untaggedCount, { type: 'transition' }),
          rule(2, prodCount, { type: 'expire', targetStorageClass: 'archive' }),
          rule(
            3,
            { ...prodCount, tagPatternList: ['z*'] },
            { type: 'transition', targetStorageClass: 'glacier' },
          ),
        ],
      }),
    ).toEqual([
      'rule 1: action.targetStorageClass: required with transition (archive)',
      'rule 2: action.targetStorageClass: only allowed with transition',
      'rule 3: action.targetStorageClass: expected one of archive',
    ]);
  });

  it('only one rule per storage class may select untagged images', () => {
    const second = {
      tagStatus: 'untagged',
      countType: 'sinceImagePushed',
      countUnit: 'days',
      countNumber: 7,
    };
    expect(problems({ rules: [rule(1, untaggedCount), rule(2, second)] })).toEqual([
      'rule 2: selection.tagStatus: only one rule per storage class may select untagged images (rule 1 already does, standard)',
    ]);
  });

  it('rules of a storage class need unique tag filters', () => {
    const same = { ...prodCount, countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 };
    expect(problems({ rules: [rule(1, prodCount), rule(2, same)] })).toEqual([
      'rule 2: selection.tagPatternList: the same tag filter as rule 1 (standard); rules of a storage class need unique tag filters',
    ]);
  });

  it('unknown fields, wrong enums and missing sections are named', () => {
    expect(
      problems({
        rules: [
          rule(
            1,
            { ...untaggedCount, tagStatus: 'TAGGED', colour: 'red' },
            { type: 'delete' },
            { name: 'x' },
          ),
          { rulePriority: 2 },
        ],
      }),
    ).toEqual([
      'rule 1: selection.tagStatus: expected one of tagged, untagged, any',
      'rule 1: selection.colour: unknown field',
      'rule 1: action.type: expected one of expire, transition',
      'rule 1: name: unknown field',
      'rule 2: selection: expected an object',
      'rule 2: action: expected an object',
    ]);
  });
});

describe('parseLifecyclePolicy: policy-level limits', () => {
  it('at most 50 rules', () => {
    const rules = Array.from({ length: 51 }, (_, i) =>
      rule(i + 1, {
        tagStatus: 'tagged',
        tagPrefixList: [`t${i}`],
        countType: 'imageCountMoreThan',
        countNumber: 1,
      }),
    );
    expect(problems({ rules })).toEqual(['policy: rules: at most 50 rules (found 51)']);
    expect(problems({ rules: rules.slice(0, 50) })).toEqual([]);
  });

  it('at least one rule; rules is required; nothing else at the top', () => {
    expect(problems({ rules: [] })).toEqual(['policy: rules: at least one rule is required']);
    expect(problems({})).toEqual(['policy: rules: required']);
    expect(problems({ rules: [rule(1, untaggedCount)], version: 2 })).toEqual([
      'policy: version: unknown field',
    ]);
    expect(problems([1])).toEqual(['policy: rules: expected an object with a rules list']);
  });

  it('policy text is 100 to 30,720 characters of JSON', () => {
    expect(problems('{"rules":[]}')).toEqual([
      'policy: text: at least 100 characters (found 12)',
      'policy: rules: at least one rule is required',
    ]);
    const long = JSON.stringify({
      rules: [
        rule(1, { ...untaggedCount, description: undefined }, undefined, { description: 'x'.repeat(30_720) }),
      ],
    });
    expect(problems(long)).toEqual([`policy: text: at most 30720 characters (found ${long.length})`]);
    const broken = `{"rules": [ { "rulePriority": 1 "description": "Rule 1" } ] }${' '.repeat(60)}`;
    expect(problems(broken)[0]).toMatch(/^policy: text: not valid JSON \(/);
  });
});

describe('parseLifecyclePolicy: every problem, sorted by rule priority', () => {
  it('returns all problems of all rules, lowest priority number first, policy-level and unprioritised rules around them', () => {
    const result = parseLifecyclePolicy({
      rules: [
        rule(7, { ...untaggedCount, countUnit: 'days' }),
        rule('x', untaggedCount),
        rule(3, { tagStatus: 'tagged', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 0 }),
        rule(5, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
      ],
      extra: true,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.text)).toEqual([
      'policy: extra: unknown field',
      'rule 3: selection.countNumber: must be a positive integer (0 is not accepted)',
      // A rule with a shape error is still checked for everything else.
      'rule 3: selection.tagStatus: tagged needs a tagPatternList or a tagPrefixList',
      'rule 3: action.type: sinceImagePulled is only allowed with transition',
      'rule 5: selection.tagStatus: a rule with tagStatus any must have the highest rulePriority (7 is higher)',
      'rule 7: selection.countUnit: only allowed with sinceImagePushed, sinceImagePulled or sinceImageTransitioned',
      'rules[1]: rulePriority: expected an integer',
    ]);
    expect(result.problems[1]).toEqual({
      rulePriority: 3,
      ruleIndex: 2,
      field: 'selection.countNumber',
      message: 'must be a positive integer (0 is not accepted)',
      text: 'rule 3: selection.countNumber: must be a positive integer (0 is not accepted)',
    });
  });
});
