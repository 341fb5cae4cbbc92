import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The registry API's credentials, as ECR hands them out: GetAuthorizationToken answers base64 `AWS:<token>`,
 * valid 12 hours, and `docker login -u AWS -p <token>` sends the token back as the Basic auth password. Here a
 * token is stateless: its claims (who asked, in which account and Region, until when) and an HMAC-SHA256 over
 * them with a secret drawn when the sandbox process starts, so it can be verified without being stored and a
 * token of an earlier sandbox process is refused. https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html
 */

/** ECR's tokens are valid for 12 hours (API_GetAuthorizationToken). */
export const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

/** What a token says. */
export interface TokenClaims {
  /** The account whose GetAuthorizationToken issued it (the registry it is for by default). */
  accountId: string;
  region: string;
  /** The principal that asked: IAM checks on `/v2/` are made for it. */
  principalArn: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const PROCESS_SECRET = randomBytes(32);
const PREFIX = 'sbx1';

function sign(payload: string, secret: Buffer): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** A token for `claims`: `sbx1.<base64url JSON>.<base64url HMAC>`. */
export function issueToken(claims: TokenClaims, secret: Buffer = PROCESS_SECRET): string {
  const payload = `${PREFIX}.${Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url')}`;
  return `${payload}.${sign(payload, secret)}`;
}

/** The outcome of checking a token. */
export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired'; claims?: TokenClaims };

/** Check a token's signature and expiry at `nowMs` (the sandbox clock). */
export function verifyToken(token: string, nowMs: number, secret: Buffer = PROCESS_SECRET): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return { ok: false, reason: 'malformed' };
  const payload = `${parts[0]}.${parts[1]}`;
  const expected = Buffer.from(sign(payload, secret));
  const given = Buffer.from(parts[2] as string);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'signature' };
  }
  let claims: TokenClaims;
  try {
    claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof claims.expiresAt !== 'number' || nowMs >= claims.expiresAt) {
    return { ok: false, reason: 'expired', claims };
  }
  return { ok: true, claims };
}

/** The user name and password of a `Basic` Authorization header, or undefined when it is not one. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const text = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon === -1) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
