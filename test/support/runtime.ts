import {
  type LambdaRuntime,
  type LambdaRuntimeOptions,
  startLambdaRuntime,
} from '../../src/sandbox/runtime/index.ts';
import { PROJECT_ROOT } from '../../src/shared/project-root.ts';
import { sandboxUrl, uniqueName } from './sandbox.ts';

/**
 * Start serverless.yml's runtime with only the function under test: the others would also handle every event of
 * the shared sandbox. Its own stage (from `stagePrefix`) keeps its tables and queues apart from other test files';
 * quick polling and short retry delays keep Lambda's retry-then-onFailure path fast. `options` override any of it
 * (e.g. `endpoint` for a sandbox of the test's own).
 */
export function startFunctionUnderTest(
  functionName: string,
  stagePrefix: string,
  options: Partial<LambdaRuntimeOptions> = {},
): Promise<LambdaRuntime> {
  return startLambdaRuntime({
    endpoint: options.endpoint ?? sandboxUrl(),
    serverlessFile: `${PROJECT_ROOT}serverless.yml`,
    projectRoot: PROJECT_ROOT,
    stage: uniqueName(stagePrefix).slice(0, 20),
    functions: [functionName],
    pollWaitSeconds: 1,
    retryDelaysMs: [50, 50],
    log: () => {},
    ...options,
  });
}
