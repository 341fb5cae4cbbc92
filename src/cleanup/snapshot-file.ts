import { closeSync, openSync, readSync } from 'node:fs';
import type { ReadBytes } from './snapshot-scan.ts';

/**
 * `path` opened for reading a piece at a time, as {@link readSnapshotBytes} (snapshot.ts) reads a snapshot; the
 * file is closed when its end is read. Throws the file system's error (ENOENT…) when it can't be opened.
 */
export function fileReader(path: string): ReadBytes {
  let fd: number | undefined = openSync(path, 'r');
  return (buffer, offset, length) => {
    if (fd === undefined) return 0;
    let n = 0;
    try {
      n = readSync(fd, buffer, offset, length, null);
    } finally {
      if (n === 0) {
        closeSync(fd);
        fd = undefined;
      }
    }
    return n;
  };
}
