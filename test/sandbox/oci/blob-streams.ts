import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';

/** Helpers of the blob streaming tests: a registry API client over real HTTP (fetch) and a client that hangs up. */

/** `sha256:<hex>` of bytes. */
export const sha = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A client of a sandbox's ECR API. */
export function ecrClient(endpoint: string): ECRClient {
  return new ECRClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
}

/** The `Authorization` header of the registry API, from GetAuthorizationToken. */
export async function registryAuthorization(endpoint: string): Promise<string> {
  const { authorizationData } = await ecrClient(endpoint).send(new GetAuthorizationTokenCommand({}));
  return `Basic ${authorizationData?.[0]?.authorizationToken ?? ''}`;
}

/** A `fetch` of the registry API of `endpoint`, logged in. */
export function registryClient(endpoint: string, authorization: string) {
  return (
    method: string,
    path: string,
    init: { body?: Buffer | string; headers?: Record<string, string> } = {},
  ) =>
    fetch(`${endpoint}${path}`, {
      method,
      headers: { authorization, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
}

/**
 * Send `sent` bytes of a body that declares `declared` bytes, then cut the connection: a client gone mid-upload.
 * Resolves once the socket is closed.
 */
export function hangUpMidUpload(
  endpoint: string,
  method: string,
  path: string,
  authorization: string,
  declared: number,
  sent: Buffer,
  /** Run once `sent` is on its way, before hanging up (to look at what the sandbox holds mid-upload). */
  whileSending: () => Promise<void> = async () => {},
): Promise<void> {
  const url = new URL(path, endpoint);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      headers: {
        authorization,
        'content-type': 'application/octet-stream',
        'content-length': String(declared),
      },
    });
    // Settled once the look is over (the socket may close first), with the look's failure if it failed.
    let looking: Promise<void> = Promise.resolve();
    const settle = () => {
      looking.then(resolve, reject);
    };
    req.on('error', settle);
    req.on('close', settle);
    req.write(sent, () => {
      looking = whileSending();
      looking.then(
        () => req.destroy(),
        () => req.destroy(),
      );
    });
  });
}

/** Files in a directory (none when it does not exist). */
export async function filesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** Poll `check` until it holds or `timeoutMs` passes; returns its last value. */
export async function eventually<T>(check: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  let value = await check();
  while (!ok(value) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    value = await check();
  }
  return value;
}
