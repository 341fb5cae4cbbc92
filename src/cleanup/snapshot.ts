/**
 * Offline input for a cleanup plan: what `aws ecr describe-images --repository-name R` printed, saved to a file.
 * Pure (no SDK, no file system): the caller reads the file and passes its text and name.
 *
 * What the file may hold (all handled by {@link readSnapshot}):
 * - the CLI's output as is: `{"imageDetails": [...]}`. The CLI follows `nextToken` itself and prints one merged
 *   document, so a plain `describe-images` is the whole repository;
 * - several such documents one after another (pages saved with `--no-paginate`/`--starting-token` and
 *   concatenated, or `>>` in a loop): their images are merged, an image listed twice with the same details once;
 * - the `imageDetails` array alone (`--query imageDetails`).
 * Refused, with the file and JSON path in the message: a listing the CLI truncated (`NextToken` in the last
 * document: `--max-items`), images of several repositories (one snapshot is one repository), the same digest
 * with different details, and any field that is not what DescribeImages returns.
 *
 * Timestamps: AWS CLI v2 prints ISO 8601 with an offset (`2026-11-20T10:00:00+00:00`); AWS CLI v1 prints the
 * wire's epoch seconds (`1795820167.8`) unless `cli_timestamp_format = iso8601`. Both are read.
 * @see https://docs.aws.amazon.com/cli/latest/reference/ecr/describe-images.html
 * @see https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html#cli-config-cli_timestamp_format
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { SentinelError } from '../shared/errors.ts';
import { type DescribedImage, isIndexMediaType, repositoryImageOf } from './domain/image-detail.ts';
import type { RepositoryImage } from './domain/images.ts';
import { DIGEST, quickImage, timeOf } from './snapshot-entry.ts';
import { type ReadBytes, scanSnapshot } from './snapshot-scan.ts';

/** One repository's images as a snapshot file lists them. */
export interface RepositorySnapshot {
  readonly repositoryName: string;
  /** The account of the repository, when the snapshot says (DescribeImages' `registryId`). */
  readonly registryId?: string;
  /** In the snapshot's order; an index has no `references` (see {@link indexChildrenUnknown}). */
  readonly images: RepositoryImage[];
  /**
   * True when the snapshot holds an index (OCI image index, Docker manifest list): DescribeImages does not say
   * which images an index references, so any untagged image may be a child that a kept index needs. A plan
   * from this snapshot must protect untagged images it can't prove unreferenced.
   */
  readonly indexChildrenUnknown: boolean;
}

/** A snapshot that can't be read; the message names the file and the JSON path. */
export class SnapshotError extends SentinelError {
  override readonly name = 'SnapshotError';
}

const DATE_MESSAGE = 'expected a date (ISO 8601 with offset, or epoch seconds)';
const timestamp = z.unknown().transform((value, ctx): Date => {
  const time = timeOf(value);
  if (Number.isNaN(time)) {
    ctx.addIssue({ code: 'custom', message: DATE_MESSAGE });
    return z.NEVER;
  }
  return new Date(time);
});

const digest = z.string().regex(DIGEST, 'expected a digest');

const imageDetail = z
  .object({
    registryId: z.string().optional(),
    repositoryName: z.string().min(1),
    imageDigest: digest,
    imageTags: z.array(z.string()).optional(),
    imageSizeInBytes: z.number().int().nonnegative().optional(),
    imagePushedAt: timestamp,
    lastRecordedPullTime: timestamp.optional(),
    imageManifestMediaType: z.string().optional(),
    artifactMediaType: z.string().optional(),
    // An unknown status could be read as the wrong storage class: refuse it rather than guess.
    imageStatus: z.enum(['ACTIVE', 'ARCHIVED', 'ACTIVATING']).optional(),
    lastArchivedAt: timestamp.optional(),
    lastActivatedAt: timestamp.optional(),
    subjectManifestDigest: digest.optional(),
  })
  .loose();

type ParsedDetail = z.infer<typeof imageDetail>;

const document = z.union([
  z.object({ imageDetails: z.array(imageDetail) }).loose(),
  z.array(imageDetail).transform((imageDetails) => ({ imageDetails })),
]);

/**
 * The images of every document, in order and before duplicates are dropped: kept in parallel lists rather
 * than an object per image (100,000 of them) since a snapshot is large and the paths are needed only for errors.
 */
interface Listing {
  readonly images: RepositoryImage[];
  /** Each image's entry as read (or as the schema made it): its repositoryName and registryId. */
  readonly entries: { readonly repositoryName?: unknown; readonly registryId?: unknown }[];
  /** What the schema made of an entry; for entries the hand checks passed, made only when needed. */
  readonly parsed: Map<number, ParsedDetail>;
  readonly documents: { readonly where: string; readonly prefix: string; readonly start: number }[];
}

/** The JSON path of the image at `position`, e.g. `document 2: imageDetails[0]`. */
function pathAt(listing: Listing, position: number): string {
  const document = listing.documents.findLast((d) => d.start <= position) ?? listing.documents[0];
  if (!document) return `[${position}]`;
  return `${document.where}${document.prefix}[${position - document.start}]`;
}

function parsedAt(listing: Listing, position: number): ParsedDetail {
  let parsed = listing.parsed.get(position);
  if (!parsed) {
    parsed = imageDetail.parse(listing.entries[position]);
    listing.parsed.set(position, parsed);
  }
  return parsed;
}

/**
 * Reads a saved `aws ecr describe-images` listing (see the module comment for the accepted shapes).
 * @param text the file's content
 * @param source the file's name, used in error messages
 * @throws SnapshotError naming `source` and the JSON path, e.g. `snapshot.json: imageDetails[3].imagePushedAt: …`
 */
export function readSnapshot(text: string, source: string): RepositorySnapshot {
  const documents = jsonDocuments(text, source);
  const listing: Listing = { images: [], entries: [], parsed: new Map(), documents: [] };
  documents.forEach((raw, index) => {
    const where = documents.length > 1 ? `document ${index + 1}: ` : '';
    const prefix = Array.isArray(raw) ? '' : 'imageDetails';
    const start = listing.images.length;
    listing.documents.push({ where, prefix, start });
    // The schema costs ~15 µs an image (3 s for 100,000); hand checks at least as strict as it read the usual
    // listing, and any entry they don't vouch for sends the whole document through the schema, which then
    // accepts it or words the error exactly as before.
    if (quickEntries(raw, listing)) return;
    listing.images.length = start;
    listing.entries.length = start;
    const parsed = document.safeParse(raw);
    if (!parsed.success) {
      // A union reports every branch; the object branch's issue is the one that names the field at fault.
      const issue = deepestIssue(parsed.error.issues);
      throw new SnapshotError(`${source}: ${where}${pathOf(issue.path) || '(top level)'}: ${issue.message}`);
    }
    for (const detail of parsed.data.imageDetails) {
      listing.parsed.set(listing.images.length, detail);
      listing.images.push(repositoryImageOf(described(detail)));
      listing.entries.push(detail);
    }
  });
  const last = documents[documents.length - 1];
  for (const key of ['NextToken', 'nextToken']) {
    if (typeof last === 'object' && last !== null && key in last) {
      throw new SnapshotError(
        `${source}: ${key}: the listing is truncated (--max-items or a single page); save the whole listing ` +
          '(aws ecr describe-images without --max-items) or append the remaining pages',
      );
    }
  }
  const first = listing.entries[0];
  if (!first) {
    throw new SnapshotError(`${source}: imageDetails: no images, so no repository to plan for`);
  }
  const byDigest = new Map<string, number>();
  const images: RepositoryImage[] = [];
  let indexChildrenUnknown = false;
  listing.images.forEach((image, position) => {
    const entry = listing.entries[position] ?? first;
    for (const key of ['repositoryName', 'registryId'] as const) {
      if (entry[key] !== first[key]) {
        throw new SnapshotError(
          `${source}: ${pathAt(listing, position)}.${key}: ${JSON.stringify(entry[key])} but ` +
            `${pathAt(listing, 0)} has ${JSON.stringify(first[key])}; a snapshot holds one repository ` +
            '(one file per repository)',
        );
      }
    }
    const seen = byDigest.get(image.digest);
    if (seen !== undefined) {
      // Compared as the schema reads them (times as dates), as when every entry went through it.
      if (isDeepStrictEqual(parsedAt(listing, seen), parsedAt(listing, position))) return;
      throw new SnapshotError(
        `${source}: ${pathAt(listing, position)}: ${image.digest} is already listed at ` +
          `${pathAt(listing, seen)} with other details (listings taken at different times?)`,
      );
    }
    byDigest.set(image.digest, position);
    if (isIndexMediaType(image.manifestMediaType)) indexChildrenUnknown = true;
    images.push(image);
  });
  const { repositoryName, registryId } = first as { repositoryName: string; registryId?: string };
  return {
    repositoryName,
    ...(registryId === undefined ? {} : { registryId }),
    images,
    indexChildrenUnknown,
  };
}

/**
 * {@link readSnapshot} of a file's bytes: scanned as they are read when the file is the usual listing (see
 * snapshot-scan.ts), read as text otherwise. The same snapshot, or the same error, either way.
 * @param open opens the file for reading from its start; called again when the text must be read whole
 * @param source the file's name, used in error messages
 */
export function readSnapshotBytes(open: () => ReadBytes, source: string): RepositorySnapshot {
  const scanned = scanSnapshot(open());
  if (scanned !== undefined) return scanned;
  const read = open();
  const chunks: Buffer[] = [];
  for (;;) {
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    const n = read(chunk, 0, chunk.length);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
  }
  return readSnapshot(Buffer.concat(chunks).toString('utf8'), source);
}

function described(detail: ParsedDetail): DescribedImage {
  return detail;
}

/** The issue with the longest path: in a union's report, the branch that got furthest. */
function deepestIssue(issues: readonly z.core.$ZodIssue[]): { path: PropertyKey[]; message: string } {
  const flat: { path: PropertyKey[]; message: string }[] = [];
  const walk = (list: readonly z.core.$ZodIssue[], base: PropertyKey[]) => {
    for (const issue of list) {
      if (issue.code === 'invalid_union' && issue.errors.length > 0) {
        for (const branch of issue.errors) walk(branch, [...base, ...issue.path]);
      } else flat.push({ path: [...base, ...issue.path], message: issue.message });
    }
  };
  walk(issues, []);
  return flat.reduce((a, b) => (b.path.length > a.path.length ? b : a), flat[0] ?? { path: [], message: '' });
}

/** `imageDetails[3].imagePushedAt` from zod's `['imageDetails', 3, 'imagePushedAt']`. */
function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** The JSON documents of the text: one, or several written one after another. */
function jsonDocuments(text: string, source: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch (error) {
    const parts = splitDocuments(text);
    if (parts.length > 1) {
      return parts.map((part, index) => {
        try {
          return JSON.parse(part) as unknown;
        } catch (inner) {
          throw new SnapshotError(`${source}: document ${index + 1}: not JSON: ${(inner as Error).message}`);
        }
      });
    }
    throw new SnapshotError(`${source}: not JSON: ${(error as Error).message}`);
  }
}

/** Splits concatenated top-level objects/arrays by bracket depth (strings and escapes respected). */
function splitDocuments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) parts.push(text.slice(start, i + 1));
      if (depth < 0) return [];
    } else if (depth === 0 && !/\s/.test(c ?? '')) return [];
  }
  return depth === 0 ? parts : [];
}

/**
 * Adds the document's images to the listing when every entry passes checks at least as strict as the schema's,
 * mapped as the schema would map them; false as soon as one doesn't (the caller drops what was added).
 */
function quickEntries(raw: unknown, listing: Listing): boolean {
  const list = Array.isArray(raw)
    ? raw
    : typeof raw === 'object' && raw !== null
      ? (raw as { imageDetails?: unknown }).imageDetails
      : undefined;
  if (!Array.isArray(list)) return false;
  for (const entry of list) {
    const image = quickImage(entry);
    if (!image) return false;
    listing.images.push(image);
    listing.entries.push(entry as Record<string, unknown>);
  }
  return true;
}
