/**
 * Byte ranges of the registry API: the `Content-Range` of a chunk upload (`<start>-<end>`, inclusive, the OCI
 * spec's `^[0-9]+-[0-9]+$`; the `bytes ` prefix and `/total` suffix of RFC 9110 are tolerated, some clients send
 * them), and the `Range` of a blob download (`bytes=<start>-[<end>]` or `bytes=-<suffix>`).
 */

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The range a chunk's `Content-Range` names, or undefined when the header is not a range. */
export function parseContentRange(value: string | undefined): ByteRange | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?\s*$/i.exec(value);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  return { start, end };
}

/**
 * The part of a blob of `size` bytes a download's `Range` asks for: a range, `'unsatisfiable'` (416), or
 * undefined for the whole blob (no header, or one that is not a single bytes range, which RFC 9110 lets a server
 * ignore).
 */
export function parseRange(value: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*bytes=(\d*)-(\d*)\s*$/i.exec(value);
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  if (start >= size) return 'unsatisfiable';
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (end < start) return undefined;
  return { start, end };
}

/** The `Range` header of an upload's status: `0-<last byte>`, `0-0` before any byte (as registries answer). */
export function uploadedRange(received: number): string {
  return `0-${Math.max(0, received - 1)}`;
}
