/**
 * The report's sources wired to AWS (or the sandbox, through `endpoint`) for the CLI: ECR for the audit, the
 * single table for the rest. Every reader is read-only.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ecrObservedState } from '../compliance/index.ts';
import { dynamoPromotionReader } from '../promotion/index.ts';
import { dynamoReportRecords } from './adapters/dynamodb-report-records.ts';
import type { ReportSources } from './ports.ts';

/** The sources and a way to close their clients. */
export interface ComposedReportSources {
  readonly sources: ReportSources;
  destroy(): void;
}

/** Wire the report's readers: `base` says where AWS is, `tableName` which deployed table. */
export function composeReportSources(options: {
  readonly base: { readonly region: string; readonly endpoint?: string };
  readonly tableName: string;
}): ComposedReportSources {
  const ecr = new ECRClient(options.base);
  const dynamo = new DynamoDBClient(options.base);
  const doc = DynamoDBDocumentClient.from(dynamo);
  const records = dynamoReportRecords(doc, options.tableName);
  return {
    sources: {
      observed: ecrObservedState(ecr),
      evaluations: records,
      promotions: dynamoPromotionReader(doc, options.tableName),
      cleanupRuns: records,
    },
    destroy() {
      ecr.destroy();
      dynamo.destroy();
    },
  };
}
