/**
 * ULIDs: 26 characters of Crockford base32, 48 bits of milliseconds then 80 random bits, so ids sort by creation
 * time and are short enough to type. Promotions are named by one; notifications checks the ids it shows.
 * https://github.com/ulid/spec
 */

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID as {@link ulid} makes it (upper case). */
export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * The ULID of `now` with `random`'s first 10 bytes.
 * @param random at least 10 random bytes
 */
export function ulid(now: Date, random: Uint8Array): string {
  let time = '';
  let ms = now.getTime();
  for (let i = 0; i < 10; i++) {
    time = (CROCKFORD[ms % 32] as string) + time;
    ms = Math.floor(ms / 32);
  }
  let bits = 0n;
  for (const byte of random.subarray(0, 10)) bits = (bits << 8n) | BigInt(byte);
  let tail = '';
  for (let i = 0; i < 16; i++) {
    tail = (CROCKFORD[Number(bits & 31n)] as string) + tail;
    bits >>= 5n;
  }
  return time + tail;
}
