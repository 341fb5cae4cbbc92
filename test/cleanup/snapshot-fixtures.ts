import type { ReadBytes } from '../../src/cleanup/snapshot-scan.ts';

/**
 * An opener of `bytes` as a file read a piece at a time: at most `pieceSize` bytes a read, so a small piece
 * size makes every refill path of the scanner run on small inputs.
 */
export function bytesReader(bytes: Buffer, pieceSize = Number.POSITIVE_INFINITY): () => ReadBytes {
  return () => {
    let offset = 0;
    return (buffer, at, length) => {
      const n = Math.min(length, pieceSize, bytes.length - offset);
      bytes.copy(buffer, at, offset, offset + n);
      offset += n;
      return n;
    };
  };
}
