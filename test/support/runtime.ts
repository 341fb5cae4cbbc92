import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  type LambdaRuntime,
  type LambdaRuntimeOptions,
  startLambdaRuntime,
} from '../../src/sandbox/runtime/index.ts';
import { PROJECT_ROOT } from '../../src/shared/project-root.ts';
import { eventually } from './eventually.ts';
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

/** The Lambda destination record the runtime (like Lambda) sends to a function's onFailure queue. */
export interface DestinationRecord {
  requestContext?: { condition?: string; approximateInvokeCount?: number };
  requestPayload?: { id?: unknown; detail?: Record<string, unknown> };
  responsePayload?: { errorType?: string; errorMessage?: string };
}

/**
 * Wait for the onFailure record of one event on the runtime's OnFailureQueue, and return it: the event whose `id`
 * is `match`, or the first record `match` accepts.
 */
export async function onFailureRecord(
  runtime: LambdaRuntime,
  sqs: SQSClient,
  match: string | ((record: DestinationRecord) => boolean),
): Promise<DestinationRecord | undefined> {
  const isOurs = typeof match === 'string' ? (r: DestinationRecord) => r.requestPayload?.id === match : match;
  const records = await eventually(
    async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: runtime.resources.OnFailureQueue?.url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      return Messages.map((m) => JSON.parse(m.Body ?? '{}') as DestinationRecord);
    },
    (found) => found.some(isOurs),
  );
  return records.find(isOurs);
}
