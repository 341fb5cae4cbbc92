import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';

/** Logger and Metrics for one function; the service name groups every function's telemetry. */
export function observability(functionName: string) {
  const logger = new Logger({ serviceName: 'ecr-sentinel', persistentKeys: { function: functionName } });
  const metrics = new Metrics({ namespace: 'EcrSentinel', serviceName: 'ecr-sentinel' });
  return { logger, metrics };
}

/**
 * Log a failed invocation once, with the event id, before the error propagates to Lambda (which retries
 * and then sends the payload to the onFailure destination). The event itself is not logged: it may be large
 * and the destination keeps it.
 */
export function logFailures(logger: Logger): MiddlewareObj<{ id?: unknown }, unknown, Error, Context> {
  return {
    onError: async (request) => {
      const event = request.event as { id?: unknown } | undefined;
      logger.error('invocation failed', {
        eventId: typeof event?.id === 'string' ? event.id : undefined,
        error: request.error ?? undefined,
      });
    },
  };
}
