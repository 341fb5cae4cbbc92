/**
 * Byte-level readers of the snapshot scanner (snapshot-scan.ts): each reads a run of the window's bytes without
 * making a string of it.
 */

const COLON = 0x3a;

/** FNV-1a of `buf[start, end)`, as a small integer (30 bits). */
export function hashBytes(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let k = start; k < end; k++) h = Math.imul(h ^ (buf[k] as number), 16777619);
  return h & 0x3fffffff;
}

/**
 * Where the run of decimal digits at `from` ends (before `end`). A function of the module, not a closure in
 * {@link Scanner.number}: a closure is created per number, and the bundle (keepNames) names each one it creates.
 */
export function digitsEnd(buf: Buffer, from: number, end: number): number {
  let k = from;
  while (k < end && (buf[k] as number) >= 0x30 && (buf[k] as number) <= 0x39) k++;
  return k;
}

/**
 * `YYYY-MM-DDTHH:MM:SS+00:00` or `…Z` in `buf[start, end)` as epoch seconds, NaN otherwise: exactly the forms and
 * ranges snapshot-entry.ts's quick reading of the string accepts (the rest goes to it as a string).
 */
export function quickIsoSeconds(buf: Buffer, start: number, end: number): number {
  const length = end - start;
  const utc =
    length === 25
      ? buf[start + 19] === 0x2b &&
        buf[start + 20] === 0x30 &&
        buf[start + 21] === 0x30 &&
        buf[start + 22] === COLON &&
        buf[start + 23] === 0x30 &&
        buf[start + 24] === 0x30
      : length === 20 && buf[start + 19] === 0x5a; // Z
  if (!utc) return Number.NaN;
  if (buf[start + 4] !== 0x2d || buf[start + 7] !== 0x2d || buf[start + 10] !== 0x54) return Number.NaN; // - - T
  if (buf[start + 13] !== COLON || buf[start + 16] !== COLON) return Number.NaN;
  const year = digitsAt(buf, start, 4);
  const month = digitsAt(buf, start + 5, 2);
  const day = digitsAt(buf, start + 8, 2);
  const hour = digitsAt(buf, start + 11, 2);
  const minute = digitsAt(buf, start + 14, 2);
  const second = digitsAt(buf, start + 17, 2);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > 28) return Number.NaN;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
}

/** The decimal number of `count` digits at `start`, -1 if one is not a digit. */
function digitsAt(buf: Buffer, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = (buf[i] as number) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}
