/**
 * One entry of a saved `aws ecr describe-images` listing read by hand, at least as strictly as snapshot.ts's
 * schema, into a {@link RepositoryImage}: shared by the schema-free path over parsed JSON (snapshot.ts) and the
 * byte scanner (snapshot-scan.ts), so both accept exactly the same entries and map them the same way.
 */
import { type DescribedImage, repositoryImageOf } from './domain/image-detail.ts';
import type { RepositoryImage } from './domain/images.ts';

/** ISO 8601 date-time with a zone, as the CLI prints it (any fraction digits: CLI v1 prints microseconds). */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

/** Epoch milliseconds of a snapshot timestamp, NaN when it is not one. */
export function timeOf(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * 1000) : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const quick = quickIsoTime(value);
  if (!Number.isNaN(quick)) return quick;
  return ISO_WITH_ZONE.test(value) ? Date.parse(value) : Number.NaN;
}

/**
 * `2026-11-20T10:00:00+00:00` or `…Z` (CLI v2's form) read by hand: the time Date.parse gives, several times
 * cheaper. NaN for anything else — fractions, other offsets, a day past 28, a year before 1000 (Date.UTC reads
 * 0–99 as 19xx) — which the regex and Date.parse then read.
 */
function quickIsoTime(s: string): number {
  const utc = s.length === 25 ? s.endsWith('+00:00') : s.length === 20 && s.charCodeAt(19) === 90; // Z
  if (!utc) return Number.NaN;
  // - - T : :
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84) return Number.NaN;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return Number.NaN;
  const year = digitsAt(s, 0, 4);
  const month = digitsAt(s, 5, 2);
  const day = digitsAt(s, 8, 2);
  const hour = digitsAt(s, 11, 2);
  const minute = digitsAt(s, 14, 2);
  const second = digitsAt(s, 17, 2);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > 28) return Number.NaN;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The decimal number of `count` digits at `start`, -1 if one is not a digit. */
function digitsAt(s: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Lenient, as everywhere in this project: `algorithm:hex-ish` (AWS's own samples are not always 64 hex). */
export const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const STATUSES: ReadonlySet<unknown> = new Set(['ACTIVE', 'ARCHIVED', 'ACTIVATING']);
const optionalString = (value: unknown) => value === undefined || typeof value === 'string';

/**
 * The entry fields read, in the order of an {@link EntryValues} list; every other key of an entry is ignored (the
 * schema passes unknown keys through).
 */
export const ENTRY_FIELDS = [
  'registryId',
  'repositoryName',
  'imageDigest',
  'imageTags',
  'imageSizeInBytes',
  'imagePushedAt',
  'lastRecordedPullTime',
  'imageManifestMediaType',
  'artifactMediaType',
  'imageStatus',
  'lastArchivedAt',
  'lastActivatedAt',
  'subjectManifestDigest',
] as const;
type EntryField = (typeof ENTRY_FIELDS)[number];

/** An entry's values by field id (position in {@link ENTRY_FIELDS}), undefined where the entry has no such key. */
export type EntryValues = unknown[];

/** The id of a field in {@link EntryValues}. */
export const FIELD = Object.fromEntries(ENTRY_FIELDS.map((f, id) => [f, id])) as Record<EntryField, number>;
const {
  registryId: REGISTRY,
  repositoryName: REPOSITORY,
  imageDigest: DIGEST_ID,
  imageTags: TAGS,
  imageSizeInBytes: SIZE,
  imagePushedAt: PUSHED,
  lastRecordedPullTime: PULLED,
  imageManifestMediaType: MANIFEST_TYPE,
  artifactMediaType: ARTIFACT_TYPE,
  imageStatus: STATUS,
  lastArchivedAt: ARCHIVED,
  lastActivatedAt: ACTIVATED,
  subjectManifestDigest: SUBJECT,
} = FIELD;

/** The list {@link quickImage} fills from a parsed entry: one, refilled per entry. */
const parsedValues: EntryValues = ENTRY_FIELDS.map(() => undefined);

/** The image an entry describes, or undefined when the entry is not one the schema would accept as is. */
export function quickImage(raw: unknown): RepositoryImage | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const d = raw as Record<string, unknown>;
  for (let id = 0; id < ENTRY_FIELDS.length; id++) parsedValues[id] = d[ENTRY_FIELDS[id] as EntryField];
  return imageOfValues(parsedValues);
}

/**
 * {@link quickImage} of an entry's values (the byte scanner fills them without an object per entry; a time may
 * be epoch seconds there, as CLI v1 prints them). The tags array, if any, is handed to the image, not copied.
 */
export function imageOfValues(v: EntryValues): RepositoryImage | undefined {
  const imageDigest = v[DIGEST_ID];
  const imageTags = v[TAGS];
  const imageSizeInBytes = v[SIZE];
  const repositoryName = v[REPOSITORY];
  if (!optionalString(v[REGISTRY]) || typeof repositoryName !== 'string' || repositoryName.length === 0)
    return undefined;
  if (typeof imageDigest !== 'string' || !DIGEST.test(imageDigest)) return undefined;
  if (imageTags !== undefined && !(Array.isArray(imageTags) && imageTags.every((t) => typeof t === 'string')))
    return undefined;
  if (
    imageSizeInBytes !== undefined &&
    !(typeof imageSizeInBytes === 'number' && Number.isSafeInteger(imageSizeInBytes) && imageSizeInBytes >= 0)
  )
    return undefined;
  const imageManifestMediaType = v[MANIFEST_TYPE];
  const artifactMediaType = v[ARTIFACT_TYPE];
  const imageStatus = v[STATUS];
  const subjectManifestDigest = v[SUBJECT];
  if (!optionalString(imageManifestMediaType) || !optionalString(artifactMediaType)) return undefined;
  if (imageStatus !== undefined && !STATUSES.has(imageStatus)) return undefined;
  if (
    subjectManifestDigest !== undefined &&
    !(typeof subjectManifestDigest === 'string' && DIGEST.test(subjectManifestDigest))
  )
    return undefined;
  const pushed = timeOf(v[PUSHED]);
  const pulled = optionalTime(v[PULLED]);
  const archived = optionalTime(v[ARCHIVED]);
  const activated = optionalTime(v[ACTIVATED]);
  if (Number.isNaN(pushed) || Number.isNaN(pulled) || Number.isNaN(archived) || Number.isNaN(activated))
    return undefined;
  const r = reading;
  r.imageDigest = imageDigest;
  r.imageTags = imageTags as string[] | undefined;
  r.imagePushedAt = pushed;
  r.imageSizeInBytes = imageSizeInBytes as number | undefined;
  r.imageManifestMediaType = imageManifestMediaType as string | undefined;
  r.artifactMediaType = artifactMediaType as string | undefined;
  r.lastRecordedPullTime = pulled;
  r.imageStatus = imageStatus as string | undefined;
  r.lastArchivedAt = archived;
  r.lastActivatedAt = activated;
  r.subjectManifestDigest = subjectManifestDigest as string | undefined;
  // The entry's tags are the reader's own (parsed or scanned for this entry alone): handed over, not copied.
  return repositoryImageOf(r, undefined, true);
}

/**
 * The entry being mapped: one record refilled per entry rather than one object per image (100,000 of them per
 * snapshot, each garbage at once), which repositoryImageOf copies into the image.
 */
const reading: { -readonly [K in keyof DescribedImage]: DescribedImage[K] } = {
  imageDigest: '',
  imageTags: undefined,
  imagePushedAt: 0,
  imageSizeInBytes: undefined,
  imageManifestMediaType: undefined,
  artifactMediaType: undefined,
  lastRecordedPullTime: undefined,
  imageStatus: undefined,
  lastArchivedAt: undefined,
  lastActivatedAt: undefined,
  subjectManifestDigest: undefined,
};

/** An optional timestamp: undefined when absent, NaN when not a date. */
function optionalTime(value: unknown): number | undefined {
  return value === undefined ? undefined : timeOf(value);
}
