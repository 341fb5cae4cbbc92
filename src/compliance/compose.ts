/**
 * The compliance functions' wiring: the check's dependencies on ECR, the single table and the alerts topic, and
 * the metrics of an outcome.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECRClient } from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AlertPublisher } from '../notifications/index.ts';
import { systemClock } from '../shared/clock.ts';
import { type MetricPoint, repositoryGroupDimension, UNGROUPED } from '../shared/lambda/observability.ts';
import { dynamoComplianceRecords } from './adapters/dynamodb-compliance-records.ts';
import { ecrEnforcer } from './adapters/ecr-enforcer.ts';
import { ecrObservedState } from './adapters/ecr-observed-state.ts';
import type { ComplianceAlertWhere } from './alert.ts';
import type { CheckDeps, CheckOutcome, DriftPoint } from './check.ts';
import type { ComplianceSettings } from './config-schema.ts';

/** What a compliance check needs of the configuration. */
export interface ComplianceConfig {
  readonly compliance: ComplianceSettings;
  readonly repositoryGroups: readonly { readonly name: string; readonly repositories: readonly string[] }[];
}

/** The document client the compliance records go through. */
export function complianceDocumentClient(region: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ region }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** A check's dependencies: ECR read and enforced through `ecr`, records in `tableName`, alerts through `alerts`. */
export function composeCheck(options: {
  readonly config: ComplianceConfig;
  readonly ecr: ECRClient;
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly alerts: AlertPublisher;
  readonly where: ComplianceAlertWhere;
}): CheckDeps {
  return {
    settings: options.config.compliance,
    repositoryGroups: options.config.repositoryGroups,
    reader: ecrObservedState(options.ecr),
    enforcer: ecrEnforcer(options.ecr),
    records: dynamoComplianceRecords(options.doc, options.tableName),
    alerts: options.alerts,
    where: options.where,
    now: () => systemClock.now(),
  };
}

/**
 * `ComplianceDriftFound` and `ComplianceDriftFixed` per repository group and check (one point per dimension
 * set, summed), and `RepositoriesChecked`. Dimension values come from the config's groups and the control ids
 * only, never a repository name.
 */
export function complianceMetricPoints(
  config: ComplianceConfig,
  outcome: Pick<CheckOutcome, 'driftFound' | 'driftFixed' | 'repositoriesChecked'>,
): MetricPoint[] {
  const sum = (name: string, points: readonly DriftPoint[]): MetricPoint[] => {
    const counts = new Map<string, { group: string; check: string; value: number }>();
    for (const p of points) {
      // The registry's findings belong to no repository group.
      const group =
        p.repositoryName === undefined
          ? UNGROUPED
          : repositoryGroupDimension(config.repositoryGroups, p.repositoryName);
      const key = `${group}\u0000${p.check}`;
      const entry = counts.get(key) ?? { group, check: p.check, value: 0 };
      entry.value += 1;
      counts.set(key, entry);
    }
    return [...counts.values()].map((c) => ({
      name,
      value: c.value,
      dimensions: { RepositoryGroup: c.group, Check: c.check },
    }));
  };
  return [
    ...sum('ComplianceDriftFound', outcome.driftFound),
    ...sum('ComplianceDriftFixed', outcome.driftFixed),
    { name: 'RepositoriesChecked', value: outcome.repositoriesChecked, dimensions: {} },
  ];
}
