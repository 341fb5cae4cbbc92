import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BlobStore,
  type DirectoryBlobStore,
  MemoryBlobStore,
  openDirectoryBlobStore,
} from '../../../src/sandbox/ecr/blob-store.ts';
import { sha } from './blob-streams.ts';

/**
 * The blob store both APIs write through (src/sandbox/ecr/blob-store.ts), in memory and on disk: bytes in as
 * chunks, the digest computed on the way, committed under it, read back whole or by range, released.
 */

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function directoryStore(): Promise<DirectoryBlobStore> {
  const dir = await mkdtemp(join(tmpdir(), 'blob-store-unit-'));
  dirs.push(dir);
  return openDirectoryBlobStore(dir);
}

async function bytesOf(value: Readable | Buffer | undefined): Promise<Buffer> {
  if (value === undefined) throw new Error('no blob');
  return Buffer.isBuffer(value) ? value : Buffer.concat(await value.toArray());
}

const stores: Array<[string, () => Promise<BlobStore>]> = [
  ['memory', async () => new MemoryBlobStore()],
  ['directory', directoryStore],
];

describe.each(stores)('the %s blob store', (_kind, make) => {
  it('keeps chunks written and streamed under their digest, whole and by a range across chunks', async () => {
    // Prepare
    const store = await make();
    const data = randomBytes(300_000);
    const writer = store.writer();
    // Act
    await writer.write(data.subarray(0, 100_000));
    await writer.pipeFrom(Readable.from([data.subarray(100_000, 250_000), data.subarray(250_000)]));
    const digest = await writer.finish();
    await writer.commit();
    // Assess
    expect(digest).toBe(sha(data));
    expect(store.size(digest)).toBe(data.length);
    expect((await bytesOf(store.open(digest))).equals(data)).toBe(true);
    expect(
      (await bytesOf(store.open(digest, { start: 99_990, end: 250_009 }))).equals(
        data.subarray(99_990, 250_010),
      ),
    ).toBe(true);
    expect(store.read(digest)?.equals(data)).toBe(true);
  });

  it('drops a blob when its last holder lets go, and an aborted writer leaves nothing', async () => {
    // Prepare
    const store = await make();
    const kept = store.writer();
    await kept.write(Buffer.from('kept'));
    const digest = await kept.finish();
    await kept.commit();
    store.retain(digest);
    store.retain(digest);
    const dropped = store.writer();
    await dropped.write(Buffer.from('dropped'));
    // Act
    await dropped.abort();
    store.release(digest);
    const afterOne = store.has(digest);
    store.release(digest);
    // Assess
    expect(afterOne).toBe(true);
    expect(store.has(digest)).toBe(false);
    expect(store.has(sha('dropped'))).toBe(false);
    if (store.kind === 'directory') {
      expect(await readdir((store as DirectoryBlobStore).uploadDir)).toEqual([]);
    }
  });
});

describe('the directory blob store', () => {
  it('removes on sweep only the files that neither the saved state nor a live blob needs', async () => {
    // Prepare
    const store = await directoryStore();
    const digests: string[] = [];
    for (const text of ['live', 'saved', 'gone']) {
      const writer = store.writer();
      await writer.write(Buffer.from(text));
      digests.push(await writer.finish());
      await writer.commit();
    }
    const [live, saved, gone] = digests as [string, string, string];
    for (const digest of digests) store.retain(digest);
    // Released: no repository holds them any more (the state file just written still names `saved`).
    store.release(saved);
    store.release(gone);
    // Act
    await store.sweep(new Set([saved]));
    // Assess
    const files = await readdir(store.blobDir);
    expect(files.sort()).toEqual([live, saved].map((d) => d.replace(':', '_')).sort());
    expect(files).not.toContain(gone.replace(':', '_'));
  });
});
