import * as z from 'zod';
import {
  drift,
  type Finding,
  modeSchema,
  pass,
  type RepositoryControl,
  repositorySubject,
} from './control.ts';
import type { ResourceTag } from './state.ts';

/**
 * Resource tags required per group (team, cost-center…), optionally from a list of allowed values. Enforce adds
 * or corrects a tag only when the config gives the value to set (`values`); TagResource never removes tags.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-using-tags.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_TagResource.html
 */

/** Tag keys and values as ECR accepts them (1-128 and 0-256 characters). */
const tagKey = z.string().min(1).max(128);
const tagValue = z.string().max(256);

export const resourceTagsSettingsSchema = z
  .strictObject({
    /** Keys every repository of the group must carry. */
    required: z.array(tagKey).min(1),
    /** Per key, the values allowed. */
    allowedValues: z.record(tagKey, z.array(tagValue).min(1)).default({}),
    /** Per key, the value enforce sets when the tag is missing or not allowed. */
    values: z.record(tagKey, tagValue).default({}),
    mode: modeSchema,
  })
  .superRefine((s, ctx) => {
    for (const field of ['allowedValues', 'values'] as const) {
      for (const key of Object.keys(s[field])) {
        if (!s.required.includes(key))
          ctx.addIssue({
            code: 'custom',
            path: [field, key],
            message: `"${key}" is not a required tag (required: ${s.required.join(', ')})`,
          });
      }
    }
    for (const [key, value] of Object.entries(s.values)) {
      const allowed = s.allowedValues[key];
      if (allowed !== undefined && !allowed.includes(value))
        ctx.addIssue({
          code: 'custom',
          path: ['values', key],
          message: `"${value}" is not among the allowed values (${allowed.join(', ')})`,
        });
    }
  });
export type ResourceTagsSettings = z.output<typeof resourceTagsSettingsSchema>;

/** A required tag that is missing or has a value not allowed. */
export interface TagProblem {
  readonly key: string;
  readonly actual: string | undefined;
  readonly text: string;
}

/** The required tags `tags` lacks or carries with a value not allowed (creation templates use it too). */
export function tagProblems(tags: readonly ResourceTag[], settings: ResourceTagsSettings): TagProblem[] {
  const byKey = new Map(tags.map((t) => [t.Key, t.Value]));
  const problems: TagProblem[] = [];
  for (const key of settings.required) {
    const actual = byKey.get(key);
    const allowed = settings.allowedValues[key];
    if (actual === undefined) problems.push({ key, actual, text: `${key} is missing` });
    else if (allowed !== undefined && !allowed.includes(actual))
      problems.push({ key, actual, text: `${key}=${actual} is not one of ${allowed.join(', ')}` });
  }
  return problems;
}

/** The tags that fix `problems`, or undefined when the config lacks a value for one of them. */
export function fixingTags(
  problems: readonly TagProblem[],
  settings: ResourceTagsSettings,
): ResourceTag[] | undefined {
  const tags: ResourceTag[] = [];
  for (const p of problems) {
    const value = settings.values[p.key];
    if (value === undefined) return undefined;
    tags.push({ Key: p.key, Value: value });
  }
  return tags;
}

function describeRequired(settings: ResourceTagsSettings): string {
  return settings.required
    .map((key) => {
      const allowed = settings.allowedValues[key];
      return allowed === undefined ? key : `${key} in (${allowed.join(', ')})`;
    })
    .join(', ');
}

export const resourceTagsControl: RepositoryControl<ResourceTagsSettings> = {
  id: 'resource-tags',
  title: 'The repository carries the required tags',
  scope: 'repository',
  check({ repository, desired }): Finding {
    const subject = repositorySubject(repository);
    const expected = `tags ${describeRequired(desired)}`;
    const actual =
      repository.tags.length === 0 ? 'no tags' : repository.tags.map((t) => `${t.Key}=${t.Value}`).join(', ');
    const problems = tagProblems(repository.tags, desired);
    if (problems.length === 0) return pass('resource-tags', subject, desired.mode, expected, actual);
    const tags = fixingTags(problems, desired);
    const missingValues = problems.filter((p) => desired.values[p.key] === undefined).map((p) => p.key);
    return drift('resource-tags', subject, desired.mode, {
      expected,
      actual,
      details: problems.map((p) => p.text),
      fix:
        tags === undefined
          ? `tag the repository: ${problems.map((p) => p.text).join('; ')} (no value configured to set for ${missingValues.join(', ')})`
          : `tag the repository with ${tags.map((t) => `${t.Key}=${t.Value}`).join(', ')} (TagResource)`,
      remediation:
        tags === undefined
          ? undefined
          : {
              action: 'TagResource',
              input: { resourceArn: repository.repositoryArn, tags },
              before: Object.fromEntries(problems.map((p) => [p.key, p.actual ?? null])),
              after: Object.fromEntries(tags.map((t) => [t.Key, t.Value])),
            },
    });
  },
};
