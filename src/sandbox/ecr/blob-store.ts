import { createHash, type Hash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/**
 * Where the emulator keeps blob bytes: one store for every registry of the sandbox (a blob replicated to another
 * account is the same bytes), content-addressed by digest and counted by the registries that hold it.
 *
 * - `memory` (no `--state-dir`): a blob is the list of chunks it arrived in, never concatenated, so a layer is
 *   held once, not once in parts and again whole.
 * - `directory` (`--state-dir`): a blob is a file `<dir>/blobs/<digest>`; uploads stream to a temp file under
 *   `<dir>/uploads/` while their sha256 is computed, and are renamed into place once the digest checks. The state
 *   file (state.ts) names these same files, so saving never rewrites a blob.
 *
 * Uploads go through a {@link BlobWriter}: append or stream bytes in order, `finish` for the digest, then `commit`
 * to add the bytes to the store under that digest, or `abort` to drop them.
 */
export interface BlobStore {
  readonly kind: 'memory' | 'directory';
  /** True when the store holds bytes for `digest`. */
  has(digest: string): boolean;
  /** Size in bytes, undefined when absent. */
  size(digest: string): number | undefined;
  /** The whole blob as one Buffer (small blobs, tests and callers that need bytes at once). */
  read(digest: string): Buffer | undefined;
  /** A stream of the blob's bytes `start`..`end` (inclusive; default all), undefined when absent. */
  open(digest: string, range?: { start: number; end: number }): Readable | Buffer | undefined;
  /** One more holder of a blob already in the store. */
  retain(digest: string): void;
  /** One holder fewer; the last one gone, the blob goes (on disk: at the next {@link sweep}). */
  release(digest: string): void;
  /** A writer for a new upload. */
  writer(): BlobWriter;
}

/** An upload's bytes on their way into a {@link BlobStore}. */
export interface BlobWriter {
  /** Bytes accepted so far. */
  readonly size: number;
  /** Append one chunk (waits until it is written, so a disk error surfaces here). */
  write(chunk: Buffer): Promise<void>;
  /** Append everything `source` yields, with backpressure; rejects when the source fails (a client gone). */
  pipeFrom(source: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<void>;
  /** No more bytes: the sha256 digest of everything written. */
  finish(): Promise<string>;
  /** After `finish`: the bytes become the blob of their digest (a blob already there is kept as it is). */
  commit(): Promise<void>;
  /** Drop the bytes (the temp file goes); safe to call more than once and after a failure. */
  abort(): Promise<void>;
}

/** A blob file's name: digests are `algorithm:hex`, and `:` is not portable in file names. */
export function blobFileName(digest: string): string {
  return digest.replace(/[^a-zA-Z0-9._-]/g, '_');
}

const BLOB_DIR = 'blobs';
const UPLOAD_DIR = 'uploads';

function hashOf(hash: Hash): string {
  return `sha256:${hash.digest('hex')}`;
}

/** One more holder of a blob both stores count the same way. */
function retainIn(blobs: Map<string, { holders: number }>, digest: string): void {
  const blob = blobs.get(digest);
  if (blob) blob.holders++;
}

/** One holder fewer; the last one gone, the store forgets the blob. */
function releaseIn(blobs: Map<string, { holders: number }>, digest: string): void {
  const blob = blobs.get(digest);
  if (!blob) return;
  blob.holders--;
  if (blob.holders <= 0) blobs.delete(digest);
}

// ---- memory ----------------------------------------------------------------------------------------------

interface MemoryBlob {
  chunks: Buffer[];
  size: number;
  holders: number;
}

/** Chunks `start`..`end` (inclusive) of a chunk list, as subarrays (no copy). */
function* sliceChunks(chunks: Buffer[], start: number, end: number): Generator<Buffer> {
  let offset = 0;
  for (const chunk of chunks) {
    const from = Math.max(start - offset, 0);
    const to = Math.min(end + 1 - offset, chunk.length);
    if (to > from) yield chunk.subarray(from, to);
    offset += chunk.length;
    if (offset > end) return;
  }
}

/** The in-memory store (see {@link BlobStore}). */
export class MemoryBlobStore implements BlobStore {
  readonly kind = 'memory';
  private readonly blobs = new Map<string, MemoryBlob>();

  has(digest: string): boolean {
    return this.blobs.has(digest);
  }

  size(digest: string): number | undefined {
    return this.blobs.get(digest)?.size;
  }

  read(digest: string): Buffer | undefined {
    const blob = this.blobs.get(digest);
    if (!blob) return undefined;
    return blob.chunks.length === 1 ? blob.chunks[0] : Buffer.concat(blob.chunks, blob.size);
  }

  open(digest: string, range?: { start: number; end: number }): Readable | Buffer | undefined {
    const blob = this.blobs.get(digest);
    if (!blob) return undefined;
    const start = range?.start ?? 0;
    const end = range?.end ?? blob.size - 1;
    // One chunk (a small blob, or one sent whole in-process) is answered as the Buffer it is.
    if (blob.chunks.length <= 1) return (blob.chunks[0] ?? Buffer.alloc(0)).subarray(start, end + 1);
    return Readable.from(sliceChunks(blob.chunks, start, end), { objectMode: false });
  }

  retain(digest: string): void {
    retainIn(this.blobs, digest);
  }

  release(digest: string): void {
    releaseIn(this.blobs, digest);
  }

  writer(): BlobWriter {
    const hash = createHash('sha256');
    let chunks: Buffer[] = [];
    let size = 0;
    let digest: string | undefined;
    const append = (chunk: Buffer) => {
      if (chunk.length === 0) return;
      hash.update(chunk);
      chunks.push(chunk);
      size += chunk.length;
    };
    return {
      get size() {
        return size;
      },
      write: async (chunk) => append(chunk),
      pipeFrom: async (source) => {
        for await (const chunk of source) append(chunk as Buffer);
      },
      finish: async () => {
        digest ??= hashOf(hash);
        return digest;
      },
      commit: async () => {
        if (digest === undefined) throw new Error('BlobWriter.commit before finish');
        if (!this.blobs.has(digest)) this.blobs.set(digest, { chunks, size, holders: 0 });
        chunks = [];
      },
      abort: async () => {
        chunks = [];
      },
    };
  }
}

// ---- directory -----------------------------------------------------------------------------------------

/** The on-disk store (see {@link BlobStore}); create it with {@link openDirectoryBlobStore}. */
export class DirectoryBlobStore implements BlobStore {
  readonly kind = 'directory';
  /** Digest → size and holders of every live blob; files of blobs not in here wait for {@link sweep}. */
  private readonly blobs = new Map<string, { size: number; holders: number }>();
  /** Renames into `blobs/` and the sweep's deletes take turns, so a sweep never removes a file just committed. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {}

  /** Where blob files live: `<dir>/blobs`. */
  get blobDir(): string {
    return join(this.dir, BLOB_DIR);
  }

  /** Where uploads in progress are written: `<dir>/uploads` (emptied when the store opens). */
  get uploadDir(): string {
    return join(this.dir, UPLOAD_DIR);
  }

  /** The file of a blob. */
  pathOf(digest: string): string {
    return join(this.blobDir, blobFileName(digest));
  }

  has(digest: string): boolean {
    return this.blobs.has(digest);
  }

  size(digest: string): number | undefined {
    return this.blobs.get(digest)?.size;
  }

  read(digest: string): Buffer | undefined {
    return this.blobs.has(digest) ? readFileSync(this.pathOf(digest)) : undefined;
  }

  open(digest: string, range?: { start: number; end: number }): Readable | undefined {
    const blob = this.blobs.get(digest);
    if (!blob) return undefined;
    if (blob.size === 0) return Readable.from([]);
    return createReadStream(this.pathOf(digest), {
      start: range?.start ?? 0,
      end: range?.end ?? blob.size - 1,
      highWaterMark: 256 * 1024,
    });
  }

  retain(digest: string): void {
    retainIn(this.blobs, digest);
  }

  release(digest: string): void {
    // The file stays: the saved state may still name it. The next save's sweep removes it.
    releaseIn(this.blobs, digest);
  }

  /** Know a blob whose file is already in place (state being loaded), by its size on disk. */
  async adopt(digest: string): Promise<void> {
    if (this.blobs.has(digest)) return;
    const { size } = await stat(this.pathOf(digest));
    this.blobs.set(digest, { size, holders: 0 });
  }

  /**
   * Remove blob files that neither `keep` (what the state file just written names) nor the live blobs need.
   * Runs after the state file is written, so a crash never leaves a state file naming a removed blob.
   */
  sweep(keep: ReadonlySet<string>): Promise<void> {
    return this.exclusive(async () => {
      const keepFiles = new Set<string>();
      for (const digest of keep) keepFiles.add(blobFileName(digest));
      for (const digest of this.blobs.keys()) keepFiles.add(blobFileName(digest));
      for (const file of await readdir(this.blobDir)) {
        if (!keepFiles.has(file)) await rm(join(this.blobDir, file), { force: true });
      }
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work);
    this.turn = run.catch(() => undefined);
    return run;
  }

  writer(): BlobWriter {
    const hash = createHash('sha256');
    const temp = join(this.uploadDir, randomUUID());
    let out: WriteStream | undefined;
    let size = 0;
    let digest: string | undefined;
    let done = false;
    // A write error is kept here (and thrown by the next call): an 'error' nobody listens to would crash the sandbox.
    let failed: Error | undefined;
    // Opened on the first byte: an upload session that never gets one (a failed mount, a cancel) makes no file.
    const stream = () => {
      if (failed) throw failed;
      if (done) throw new Error('BlobWriter used after it finished');
      if (!out) {
        out = createWriteStream(temp, { flags: 'wx' });
        out.on('error', (error) => {
          failed ??= error;
        });
      }
      return out;
    };
    const accept = (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
    };
    const abort = async () => {
      done = true;
      // A stream still opening creates its file after destroy(): wait for it to close, then remove the file.
      if (out && !out.closed) {
        const closed = once(out, 'close').catch(() => undefined);
        out.destroy();
        await closed;
      }
      await rm(temp, { force: true });
    };
    return {
      get size() {
        return size;
      },
      write: async (chunk) => {
        if (chunk.length === 0) return;
        const target = stream();
        accept(chunk);
        await new Promise<void>((resolve, reject) =>
          target.write(chunk, (error) => (error ? reject(error) : resolve())),
        );
      },
      pipeFrom: async (source) => {
        for await (const piece of source) {
          const chunk = piece as Buffer;
          if (chunk.length === 0) continue;
          const target = stream();
          accept(chunk);
          if (!target.write(chunk)) await once(target, 'drain');
        }
      },
      finish: async () => {
        if (digest !== undefined) return digest;
        done = true;
        if (out && !out.closed) {
          const closed = once(out, 'close').catch(() => undefined);
          out.end();
          await closed;
        }
        if (failed) throw failed;
        digest = hashOf(hash);
        return digest;
      },
      commit: async () => {
        const named = digest;
        if (named === undefined) throw new Error('BlobWriter.commit before finish');
        await this.exclusive(async () => {
          if (out) await rename(temp, this.pathOf(named));
          else await writeEmpty(this.pathOf(named));
          if (!this.blobs.has(named)) this.blobs.set(named, { size, holders: 0 });
        });
      },
      abort,
    };
  }
}

async function writeEmpty(path: string): Promise<void> {
  const out = createWriteStream(path);
  const closed = once(out, 'close');
  out.end();
  await closed;
}

/**
 * Open the on-disk store under `dir` (the state dir): creates `blobs/` and `uploads/`, and removes temp files an
 * earlier sandbox left when it stopped mid-upload.
 */
export async function openDirectoryBlobStore(dir: string): Promise<DirectoryBlobStore> {
  const store = new DirectoryBlobStore(dir);
  await mkdir(store.blobDir, { recursive: true });
  await rm(store.uploadDir, { recursive: true, force: true });
  await mkdir(store.uploadDir, { recursive: true });
  return store;
}
