/**
 * The usual snapshot — `aws ecr describe-images` output, 100,000 images and ~50 MB — read straight from its bytes
 * a window at a time, into the images and nothing else. `JSON.parse` of the whole text holds the file's bytes,
 * its text and a parsed object per entry at once (~250 MB for 100,000 images), and on a machine where fresh
 * memory costs milliseconds a megabyte that memory, not the parsing, was most of a plan's time.
 *
 * The scanner accepts only what it fully understands: one or more documents of `{"imageDetails": [...]}` or the
 * bare array, strings without escapes, each entry's fields checked by snapshot-entry.ts (the same checks, and the
 * same mapping, as snapshot.ts's path over parsed JSON). Anything else — an escape, a duplicate key or digest,
 * several repositories, a truncated listing, invalid JSON, a value that doesn't fit the 1 MiB window — makes it
 * answer undefined, and the caller reads the text the general way, which accepts it or words the error. So the
 * scan changes what is read from a file in no case: test/cleanup/snapshot*.test.ts read every case both ways.
 */
import { isIndexMediaType } from './domain/image-detail.ts';
import type { RepositoryImage } from './domain/images.ts';
import { digitsEnd, hashBytes, quickIsoSeconds } from './snapshot-bytes.ts';
import { DigestTable } from './snapshot-digests.ts';
import { ENTRY_FIELDS, type EntryValues, FIELD, imageOfValues } from './snapshot-entry.ts';

/** Reads up to `length` bytes into `buffer` at `offset`; 0 at the end (like `fs.readSync`). */
export type ReadBytes = (buffer: Uint8Array, offset: number, length: number) => number;

/** What a scan found: the images, in order, of the one repository the snapshot lists. */
export interface ScannedSnapshot {
  readonly repositoryName: string;
  readonly registryId?: string;
  readonly images: RepositoryImage[];
  readonly indexChildrenUnknown: boolean;
}

const WINDOW = 1024 * 1024;
/** Refilled when less than this is left: an entry (or a top-level token) must fit, or the scan gives up. */
const LOOKAHEAD = 64 * 1024;

/** Why the scan stopped: the caller reads the text the general way. */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

const FIELD_BYTES = ENTRY_FIELDS.map((f) => Buffer.from(f, 'latin1'));
const TAGS = FIELD.imageTags;
const DIGEST = FIELD.imageDigest;
/** {@link Scanner.key}'s "previous key" at the start of an entry, and after a key the scan doesn't read. */
const FIRST_KEY = ENTRY_FIELDS.length;
const OTHER_KEY = ENTRY_FIELDS.length + 1;
/** Fields whose values repeat from entry to entry (a repository, a registry, media types): one string each. */
const REPEATING = new Set(
  (
    ['registryId', 'repositoryName', 'imageManifestMediaType', 'artifactMediaType', 'imageStatus'] as const
  ).map((f) => FIELD[f]),
);

/** Timestamp fields: a string or epoch seconds. */
const TIMES = new Set(
  (['imagePushedAt', 'lastRecordedPullTime', 'lastArchivedAt', 'lastActivatedAt'] as const).map(
    (f) => FIELD[f],
  ),
);

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Scans a describe-images snapshot from `read`; undefined when it holds anything the scanner doesn't fully
 * understand (see the module comment), in which case nothing it read matters.
 */
export function scanSnapshot(read: ReadBytes): ScannedSnapshot | undefined {
  try {
    return new Scanner(read).snapshot();
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

class Scanner {
  private readonly buf = Buffer.allocUnsafe(WINDOW);
  /** The bounds of the last string read by {@link string} (a tuple per string cost a fifth of the scan). */
  private start = 0;
  private stop = 0;
  private pos = 0;
  private end = 0;
  private eof = false;
  private readonly images: RepositoryImage[] = [];
  private repositoryName: string | undefined;
  private registryId: string | undefined;
  /**
   * The entry being read, its values by field id: one list refilled per entry (snapshot-entry.ts copies what it
   * keeps). A list, not an object keyed by field name: stores under 13 different names from one place cost more
   * than the rest of the entry (measured).
   */
  private readonly values: EntryValues = ENTRY_FIELDS.map(() => undefined);
  /** Where {@link strings} gathers an entry's tags. */
  private readonly gathered: string[] = [];
  /** Duplicate digests, found as the entries are read. */
  private readonly digests = new DigestTable();
  /** The hash of the digest of the entry being read. */
  private digestHash = 0;
  /** The last string read for each repeating field, and its bytes: the next equal one is that string again. */
  private readonly repeated: ({ bytes: Buffer; value: string } | undefined)[] = ENTRY_FIELDS.map(
    () => undefined,
  );
  /** For each field id (and {@link FIRST_KEY}, {@link OTHER_KEY}), the id of the key that followed it last. */
  private readonly nextKey = new Int8Array(ENTRY_FIELDS.length + 2).fill(-1);

  constructor(private readonly read: ReadBytes) {}

  snapshot(): ScannedSnapshot {
    let lastHasNextToken = false;
    this.refill();
    while (this.skipSpace()) {
      const first = this.buf[this.pos];
      if (first === OPEN_BRACKET) {
        this.entries();
        lastHasNextToken = false;
      } else if (first === OPEN_BRACE) lastHasNextToken = this.document();
      else throw UNSUPPORTED;
    }
    // A truncated listing, no images, or duplicates: the general path words the error or merges them.
    if (lastHasNextToken || this.images.length === 0 || this.repositoryName === undefined) throw UNSUPPORTED;
    let indexChildrenUnknown = false;
    const { images } = this;
    for (let i = 0; i < images.length && !indexChildrenUnknown; i++)
      indexChildrenUnknown = isIndexMediaType((images[i] as RepositoryImage).manifestMediaType);
    return {
      repositoryName: this.repositoryName,
      ...(this.registryId === undefined ? {} : { registryId: this.registryId }),
      images: this.images,
      indexChildrenUnknown,
    };
  }

  /** `{"imageDetails": [...], …}`; true when it has a next-page token (a truncated listing if it is the last). */
  private document(): boolean {
    this.pos++; // {
    let details = false;
    let nextToken = false;
    if (this.skipSpace() && this.buf[this.pos] === CLOSE_BRACE) throw UNSUPPORTED; // no imageDetails
    for (;;) {
      this.skipSpace();
      this.string();
      const { start, stop: end } = this;
      const key = this.buf.toString('latin1', start, end);
      this.expectAfterSpace(COLON);
      this.skipSpace();
      if (key === 'imageDetails') {
        if (details || this.buf[this.pos] !== OPEN_BRACKET) throw UNSUPPORTED;
        details = true;
        this.entries();
      } else {
        if (key === 'NextToken' || key === 'nextToken') nextToken = true;
        this.skipValue();
      }
      this.skipSpace();
      const c = this.buf[this.pos++];
      if (c === CLOSE_BRACE) break;
      if (c !== COMMA) throw UNSUPPORTED;
    }
    if (!details) throw UNSUPPORTED;
    return nextToken;
  }

  /** `[entry, …]`, each entry read into an image. */
  private entries(): void {
    this.pos++; // [
    this.skipSpace();
    if (this.buf[this.pos] === CLOSE_BRACKET) {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipSpace();
      this.entry();
      this.skipSpace();
      const c = this.buf[this.pos++];
      if (c === CLOSE_BRACKET) return;
      if (c !== COMMA) throw UNSUPPORTED;
    }
  }

  private entry(): void {
    if (this.buf[this.pos] !== OPEN_BRACE) throw UNSUPPORTED;
    this.pos++;
    const values = this.values;
    for (let id = 0; id < values.length; id++) values[id] = undefined;
    let found = 0;
    this.skipSpace();
    if (this.buf[this.pos] === CLOSE_BRACE) throw UNSUPPORTED; // no digest: the general path says so
    let previous: number = FIRST_KEY;
    for (;;) {
      this.skipSpace();
      const id = this.key(previous);
      previous = id === -1 ? OTHER_KEY : id;
      this.expectAfterSpace(COLON);
      this.skipSpace();
      if (id === -1) this.skipValue();
      else {
        // JSON.parse keeps a repeated key's last value; rather than mirror that, leave it to the general path.
        if ((found & (1 << id)) !== 0) throw UNSUPPORTED;
        found |= 1 << id;
        values[id] = id === TAGS ? this.strings() : this.scalar(id);
      }
      this.skipSpace();
      const c = this.buf[this.pos++];
      if (c === CLOSE_BRACE) break;
      if (c !== COMMA) throw UNSUPPORTED;
    }
    const image = imageOfValues(values);
    if (image === undefined) throw UNSUPPORTED;
    const repositoryName = values[FIELD.repositoryName];
    const registryId = values[FIELD.registryId];
    if (this.repositoryName === undefined) {
      this.repositoryName = repositoryName as string;
      this.registryId = registryId as string | undefined;
    } else if (repositoryName !== this.repositoryName || registryId !== this.registryId) throw UNSUPPORTED;
    // A digest seen before (or a crafted file's colliding ones): the general path merges or refuses.
    if (!this.digests.add(this.images, image, this.digestHash)) throw UNSUPPORTED;
    this.images.push(image);
  }

  /**
   * The id of the key at `pos` (-1 for a field the scan doesn't read); `pos` moves past it. Entries list their keys
   * in the same order, one after another: the key that followed `previous` last time is tried first, compared
   * where it stands, quotes included (its bytes hold no escape, so that is exactly what reading it would accept);
   * otherwise the key is read and looked up.
   */
  private key(previous: number): number {
    const { buf } = this;
    const guess = this.nextKey[previous] as number;
    if (guess >= 0) {
      const bytes = FIELD_BYTES[guess] as Buffer;
      if (this.quotedAt(bytes)) {
        this.pos += bytes.length + 2;
        return guess;
      }
    }
    this.string();
    const id = fieldId(buf, this.start, this.stop);
    if (id >= 0) this.nextKey[previous] = id;
    return id;
  }

  /** Whether `"bytes"` (the bytes in quotes) starts at `pos`, within the window. */
  private quotedAt(bytes: Buffer): boolean {
    const { buf, pos } = this;
    const length = bytes.length;
    if (pos + length + 1 >= this.end || buf[pos] !== QUOTE || buf[pos + length + 1] !== QUOTE) return false;
    for (let k = 0; k < length; k++) if (bytes[k] !== buf[pos + 1 + k]) return false;
    return true;
  }

  /** A string or a number (the only scalars the fields hold); anything else is left to the general path. */
  private scalar(id: number): string | number {
    const c = this.buf[this.pos] as number;
    if (c === QUOTE) {
      if (REPEATING.has(id)) {
        // Most likely the value the field had in the last entry: compared where it stands, as keys are.
        const last = this.repeated[id];
        if (last !== undefined && this.quotedAt(last.bytes)) {
          this.pos += last.bytes.length + 2;
          return last.value;
        }
      }
      this.string();
      const { start, stop: end } = this;
      if (id === DIGEST) this.digestHash = hashBytes(this.buf, start, end);
      if (REPEATING.has(id)) return this.repeating(id, start, end);
      if (TIMES.has(id)) {
        // CLI v2's `2026-11-20T10:00:00+00:00` read from the bytes, as epoch seconds: the same instant to
        // snapshot-entry.ts (whole seconds are exact either way), without a string per timestamp.
        const seconds = quickIsoSeconds(this.buf, start, end);
        if (!Number.isNaN(seconds)) return seconds;
      }
      return this.text(start, end);
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    throw UNSUPPORTED;
  }

  /**
   * `["a", "b"]`: only strings (tags). Gathered in one reused list and copied out at their count: an array grown
   * by push keeps room for 16, ~150 bytes per image where the tags need 8 each.
   */
  private strings(): string[] {
    if (this.buf[this.pos] !== OPEN_BRACKET) throw UNSUPPORTED;
    this.pos++;
    this.skipSpace();
    if (this.buf[this.pos] === CLOSE_BRACKET) {
      this.pos++;
      return [];
    }
    const gathered = this.gathered;
    let count = 0;
    for (;;) {
      this.skipSpace();
      this.string();
      const { start, stop: end } = this;
      gathered[count++] = this.text(start, end);
      this.skipSpace();
      const c = this.buf[this.pos++];
      if (c === CLOSE_BRACKET) return gathered.slice(0, count);
      if (c !== COMMA) throw UNSUPPORTED;
    }
  }

  /**
   * Finds the bounds of the string starting at `pos` (its content, without quotes: `start`, `end`); `pos` moves
   * past it. A string with an escape or a control character is left to the general path.
   */
  private string(): void {
    const { buf } = this;
    if (buf[this.pos] !== QUOTE) throw UNSUPPORTED;
    const start = this.pos + 1;
    for (let i = start; i < this.end; i++) {
      const c = buf[i] as number;
      if (c === QUOTE) {
        this.pos = i + 1;
        this.start = start;
        this.stop = i;
        return;
      }
      if (c === BACKSLASH || c < SPACE) throw UNSUPPORTED;
    }
    throw UNSUPPORTED; // past the window: an entry larger than the lookahead, or the file ends
  }

  /** The string's text: Latin-1 is UTF-8 when every byte is ASCII, the usual case and the cheap one. */
  private text(start: number, end: number): string {
    const { buf } = this;
    for (let i = start; i < end; i++) if ((buf[i] as number) >= 0x80) return buf.toString('utf8', start, end);
    return buf.toString('latin1', start, end);
  }

  /** A repeating field's value, remembered with its bytes for the next entry's (see {@link scalar}). */
  private repeating(id: number, start: number, end: number): string {
    const value = this.text(start, end);
    this.repeated[id] = { bytes: Buffer.from(this.buf.subarray(start, end)), value };
    return value;
  }

  /** A JSON number, checked against JSON's grammar (which `Number()` alone is laxer than). */
  private number(): number {
    const { buf, end } = this;
    const start = this.pos;
    let i = start;
    if (buf[i] === 0x2d) i++;
    const intEnd = digitsEnd(buf, i, end);
    if (intEnd === i || (buf[i] === 0x30 && intEnd > i + 1)) throw UNSUPPORTED; // none, or a leading zero
    i = intEnd;
    if (buf[i] === 0x2e) {
      const fracEnd = digitsEnd(buf, i + 1, end);
      if (fracEnd === i + 1) throw UNSUPPORTED;
      i = fracEnd;
    }
    if (buf[i] === 0x65 || buf[i] === 0x45) {
      let k = i + 1;
      if (buf[k] === 0x2b || buf[k] === 0x2d) k++;
      const expEnd = digitsEnd(buf, k, end);
      if (expEnd === k) throw UNSUPPORTED;
      i = expEnd;
    }
    if (i >= end) throw UNSUPPORTED; // a number can't end a document we read
    this.pos = i;
    if (i === intEnd && intEnd - start <= 15) {
      // An integer of at most 15 digits (sizes): exact in a double, read without a string.
      let value = 0;
      for (let k = buf[start] === 0x2d ? start + 1 : start; k < intEnd; k++)
        value = value * 10 + ((buf[k] as number) - 0x30);
      return buf[start] === 0x2d ? -value : value;
    }
    return Number(buf.toString('latin1', start, i));
  }

  /** Skips any JSON value (an unknown field's, a top-level key's other than imageDetails). */
  private skipValue(): void {
    let depth = 0;
    do {
      this.skipSpace();
      const c = this.buf[this.pos] as number;
      if (c === QUOTE) this.string();
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
        this.pos++;
        continue;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (depth === 0) throw UNSUPPORTED;
        depth--;
        this.pos++;
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) this.number();
      else if (!this.literal()) throw UNSUPPORTED;
      if (depth === 0) return;
      // Inside a container: a separator, a key's colon, or its end (taken on the next turn).
      this.skipSpace();
      const next = this.buf[this.pos];
      if (next === COMMA || next === COLON) this.pos++;
    } while (depth > 0);
  }

  /** `true`, `false` or `null`. */
  private literal(): boolean {
    for (const word of LITERALS) {
      if (
        this.pos + word.length <= this.end &&
        this.buf.compare(word, 0, word.length, this.pos, this.pos + word.length) === 0
      ) {
        this.pos += word.length;
        return true;
      }
    }
    return false;
  }

  private expectAfterSpace(byte: number): void {
    this.skipSpace();
    if (this.buf[this.pos] !== byte) throw UNSUPPORTED;
    this.pos++;
  }

  /**
   * Skips whitespace, refilling the window when little is left; false at the end of the input. Refills happen
   * only here, between tokens, so a token never straddles a refill.
   */
  private skipSpace(): boolean {
    const { buf } = this;
    for (;;) {
      if (this.end - this.pos < LOOKAHEAD && !this.eof) this.refill();
      // A local position: stored back once, not at every byte of the indentation.
      const { end } = this;
      let pos = this.pos;
      while (pos < end) {
        const c = buf[pos];
        if (c !== SPACE && c !== LF && c !== CR && c !== TAB) {
          this.pos = pos;
          return true;
        }
        pos++;
      }
      this.pos = pos;
      if (this.eof) return false;
    }
  }

  /** Moves what is left to the front of the window and reads until it is full or the input ends. */
  private refill(): void {
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.end -= this.pos;
      this.pos = 0;
    }
    while (this.end < WINDOW) {
      const n = this.read(this.buf, this.end, WINDOW - this.end);
      if (n === 0) {
        this.eof = true;
        return;
      }
      this.end += n;
    }
  }
}

const LITERALS = ['true', 'false', 'null'].map((w) => Buffer.from(w, 'latin1'));

/** The id (position in ENTRY_FIELDS) of the key between `start` and `end`, -1 for a field the scan doesn't read. */
function fieldId(buf: Buffer, start: number, end: number): number {
  const length = end - start;
  for (let id = 0; id < FIELD_BYTES.length; id++) {
    const bytes = FIELD_BYTES[id] as Buffer;
    if (bytes.length !== length) continue;
    let k = 0;
    while (k < length && bytes[k] === buf[start + k]) k++;
    if (k === length) return id;
  }
  return -1;
}
