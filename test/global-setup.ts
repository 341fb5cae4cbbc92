import type { TestProject } from 'vitest/node';
import { startSandbox } from '../src/sandbox/server.ts';

/** Start one sandbox for the whole test run (port 0 = a free port) and hand its URL to the tests. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
  project.provide('sandboxUrl', sandbox.url);
  return async () => {
    await sandbox.stop();
  };
}
