import { inject } from 'vitest';
import { adminRequest } from './admin.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the sandbox started once per test run by test/global-setup.ts. */
    sandboxUrl: string;
  }
}

/** Base URL of the shared sandbox (e.g. http://127.0.0.1:45123). */
export function sandboxUrl(): string {
  return inject('sandboxUrl');
}

/** Client settings for any AWS SDK v3 client pointed at the shared sandbox, or at `endpoint` (a test's own). */
export function awsClientConfig(endpoint: string = sandboxUrl()) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  };
}

/** Call the sandbox admin API; returns the status and the parsed JSON body (or null). */
export function admin(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return adminRequest(sandboxUrl(), method, path, body);
}

/** A name unique to this test run, so tests sharing one sandbox do not collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
