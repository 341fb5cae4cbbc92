import * as z from 'zod';
import {
  drift,
  type Finding,
  modeSchema,
  pass,
  type RepositoryControl,
  repositorySubject,
  sameSet,
} from './control.ts';
import {
  IMAGE_TAG_MUTABILITIES,
  type ImageTagMutability,
  type TagMutabilityExclusionFilter,
} from './state.ts';

/**
 * Tag mutability: IMMUTABLE, MUTABLE, or either with up to 5 wildcard exclusion filters
 * (IMMUTABLE_WITH_EXCLUSION: every tag immutable except those matching a filter; MUTABLE_WITH_EXCLUSION: every
 * tag mutable except those matching). Fixed with PutImageTagMutability.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImageTagMutability.html
 */

/** API model: ImageTagMutabilityExclusionFilter.filter. */
const EXCLUSION_FILTER_PATTERN = /^[0-9a-zA-Z._*-]{1,128}$/;
export const MAX_EXCLUSION_FILTERS = 5;

export const tagMutabilitySettingsSchema = z
  .strictObject({
    mutability: z.enum(IMAGE_TAG_MUTABILITIES),
    /**
     * With IMMUTABLE_WITH_EXCLUSION: the exclusions allowed (a repository with fewer, or IMMUTABLE, passes).
     * With MUTABLE_WITH_EXCLUSION: exactly these tags are immutable.
     */
    exclusionFilters: z
      .array(
        z
          .string()
          .regex(EXCLUSION_FILTER_PATTERN, 'expected 1-128 of letters, digits, . _ - and the wildcard *'),
      )
      .min(1)
      .max(MAX_EXCLUSION_FILTERS)
      .optional(),
    mode: modeSchema,
  })
  .superRefine((s, ctx) => {
    const withExclusion = s.mutability.endsWith('_WITH_EXCLUSION');
    if (withExclusion && s.exclusionFilters === undefined)
      ctx.addIssue({ code: 'custom', path: ['exclusionFilters'], message: `required with ${s.mutability}` });
    if (!withExclusion && s.exclusionFilters !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['exclusionFilters'],
        message: `only allowed with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION (not ${s.mutability})`,
      });
  });
export type TagMutabilitySettings = z.output<typeof tagMutabilitySettingsSchema>;

/** What a repository (or a creation template) says about tag mutability. */
export interface ObservedMutability {
  readonly imageTagMutability?: ImageTagMutability | undefined;
  readonly imageTagMutabilityExclusionFilters?: readonly TagMutabilityExclusionFilter[] | undefined;
}

function show(mutability: ImageTagMutability | undefined, filters: readonly string[]): string {
  const m = mutability ?? 'MUTABLE (default)';
  return filters.length === 0 ? m : `${m} [${filters.join(', ')}]`;
}

/** The PutImageTagMutability settings the desired state asks for. */
export function desiredMutability(settings: TagMutabilitySettings): {
  imageTagMutability: ImageTagMutability;
  imageTagMutabilityExclusionFilters?: TagMutabilityExclusionFilter[];
} {
  return {
    imageTagMutability: settings.mutability,
    ...(settings.exclusionFilters
      ? {
          imageTagMutabilityExclusionFilters: settings.exclusionFilters.map((filter) => ({
            filterType: 'WILDCARD' as const,
            filter,
          })),
        }
      : {}),
  };
}

/**
 * Whether the observed mutability meets the settings. IMMUTABLE_WITH_EXCLUSION passes with a subset of the
 * allowed exclusions (IMMUTABLE being the empty subset); every other mode must match exactly (filters as a set).
 * The one judgement of mutability: the creation-template control uses it too.
 */
export function judgeMutability(
  observed: ObservedMutability,
  settings: TagMutabilitySettings,
): { ok: boolean; expected: string; actual: string } {
  const actualMode = observed.imageTagMutability ?? 'MUTABLE';
  const actualFilters = (observed.imageTagMutabilityExclusionFilters ?? []).map((f) => f.filter);
  const wanted = settings.exclusionFilters ?? [];
  let ok: boolean;
  let expected = show(settings.mutability, wanted);
  if (settings.mutability === 'IMMUTABLE_WITH_EXCLUSION') {
    expected = `IMMUTABLE, or IMMUTABLE_WITH_EXCLUSION excluding only from [${wanted.join(', ')}]`;
    ok =
      actualMode === 'IMMUTABLE' ||
      (actualMode === 'IMMUTABLE_WITH_EXCLUSION' && actualFilters.every((f) => wanted.includes(f)));
  } else {
    ok = actualMode === settings.mutability && sameSet(actualFilters, wanted);
  }
  return { ok, expected, actual: show(observed.imageTagMutability, actualFilters) };
}

export const tagMutabilityControl: RepositoryControl<TagMutabilitySettings> = {
  id: 'tag-mutability',
  title: 'Image tags are immutable where they must be',
  scope: 'repository',
  check({ repository, desired }): Finding {
    const subject = repositorySubject(repository);
    const { ok, expected, actual } = judgeMutability(repository, desired);
    if (ok) return pass('tag-mutability', subject, desired.mode, expected, actual);
    const input = { repositoryName: repository.repositoryName, ...desiredMutability(desired) };
    const target = show(desired.mutability, desired.exclusionFilters ?? []);
    return drift('tag-mutability', subject, desired.mode, {
      expected,
      actual,
      fix: `set tag mutability to ${target} (PutImageTagMutability)`,
      remediation: {
        action: 'PutImageTagMutability',
        input,
        before: {
          imageTagMutability: repository.imageTagMutability,
          imageTagMutabilityExclusionFilters: repository.imageTagMutabilityExclusionFilters ?? [],
        },
        after: desiredMutability(desired),
      },
    });
  },
};
