/**
 * The cleanup use cases wired to AWS (or the sandbox, through `base.endpoint`), for the CLI and the handlers:
 * the registry's repositories and images, the protection signals the configuration enables, the remover, and
 * the run records in the single table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoPromotionReader } from '../promotion/index.ts';
import type { ClientBase } from '../shared/caller-identity.ts';
import { type DynamoCleanupRecords, dynamoCleanupRecords } from './adapters/dynamodb-cleanup-records.ts';
import { ecrRepositoryImages } from './adapters/ecr-images.ts';
import { ecrImageRemover } from './adapters/ecr-remover.ts';
import { ecrRepositoryCatalog } from './adapters/ecr-repositories.ts';
import { ecsInUse } from './adapters/ecs-in-use.ts';
import { inspectorInUse } from './adapters/inspector-in-use.ts';
import { lambdaInUse } from './adapters/lambda-in-use.ts';
import { promotedImages } from './adapters/promoted-images.ts';
import { cleanupSettingsFor, type ProtectSettings } from './config-schema.ts';
import type { CleanedRegistry } from './domain/image-uri.ts';
import type { PlanCleanupDeps } from './plan-cleanup.ts';
import { type CleanupConfig, planDeps } from './plan-deps.ts';
import type { ImageRemover, ProtectionSignal } from './ports.ts';

export type { CleanupConfig };

export interface ComposedCleanup {
  readonly deps: PlanCleanupDeps;
  readonly remover: ImageRemover;
  readonly records: DynamoCleanupRecords;
  destroy(): void;
}

/**
 * The widest protection any layer of the configuration asks for, so one read of each signal serves every
 * repository: the most task-definition revisions, the longest in-use window, the most promoted versions. A
 * signal no layer enables is not read at all.
 */
export function widestProtection(config: CleanupConfig): ProtectSettings {
  const groups = [undefined, ...Object.keys(config.cleanup.groups)];
  const all = groups.map((g) => cleanupSettingsFor(config.cleanup, g).protect);
  const widest = (values: (number | undefined)[]) => {
    const set = values.filter((v): v is number => v !== undefined);
    return set.length === 0 ? undefined : Math.max(...set);
  };
  return {
    minAgeDays: Math.max(...all.map((p) => p.minAgeDays)),
    keepTagPatterns: all.flatMap((p) => p.keepTagPatterns),
    ecsTaskDefinitionRevisions: widest(all.map((p) => p.ecsTaskDefinitionRevisions)),
    lambda: all.some((p) => p.lambda),
    inspectorWithinDays: widest(all.map((p) => p.inspectorWithinDays)),
    promotedPrevious: widest(all.map((p) => p.promotedPrevious)),
  };
}

/** SDK client settings from a {@link ClientBase}. */
export function clientConfigOf(base: ClientBase) {
  return {
    region: base.region,
    ...(base.endpoint ? { endpoint: base.endpoint } : {}),
    ...(base.credentials ? { credentials: base.credentials } : {}),
    ...(base.maxAttempts ? { maxAttempts: base.maxAttempts } : {}),
  };
}

/** The document client every cleanup record and promotion read goes through. */
export function documentClient(base: ClientBase): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(clientConfigOf(base)), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * The protection signals the configuration enables anywhere (see {@link widestProtection}), each with its
 * client; `clients` are to be destroyed by the caller. Promotions are read through `doc` from `tableName`.
 */
export function composeSignals(options: {
  config: CleanupConfig;
  base: ClientBase;
  registry: CleanedRegistry;
  doc: DynamoDBDocumentClient;
  tableName: string;
}): { signals: ProtectionSignal[]; clients: { destroy(): void }[] } {
  const clientConfig = clientConfigOf(options.base);
  const widest = widestProtection(options.config);
  const { registry } = options;
  const signals: ProtectionSignal[] = [];
  const clients: { destroy(): void }[] = [];
  if (widest.ecsTaskDefinitionRevisions !== undefined) {
    const ecs = new ECSClient(clientConfig);
    clients.push(ecs);
    signals.push(ecsInUse(ecs, { taskDefinitionRevisions: widest.ecsTaskDefinitionRevisions, registry }));
  }
  if (widest.lambda) {
    const lambda = new LambdaClient(clientConfig);
    clients.push(lambda);
    signals.push(lambdaInUse(lambda, { registry }));
  }
  if (widest.inspectorWithinDays !== undefined) {
    const inspector = new Inspector2Client(clientConfig);
    clients.push(inspector);
    signals.push(inspectorInUse(inspector, { withinDays: widest.inspectorWithinDays, registry }));
  }
  if (widest.promotedPrevious !== undefined && options.config.applications.length > 0) {
    signals.push(
      promotedImages(dynamoPromotionReader(options.doc, options.tableName), {
        applications: options.config.applications.map((a) => a.name),
        previous: widest.promotedPrevious,
        registry,
      }),
    );
  }
  return { signals, clients };
}

/**
 * Everything cleanup does, wired (the CLI). `registry` is the account and Region cleaned (image references
 * elsewhere protect nothing here); `offline` reads no signal and no registry (a snapshot plan).
 */
export function composeCleanup(options: {
  config: CleanupConfig;
  base: ClientBase;
  /** Required unless offline. */
  registry?: CleanedRegistry;
  tableName: string;
  offline: boolean;
}): ComposedCleanup {
  const ecr = new ECRClient(clientConfigOf(options.base));
  const doc = documentClient(options.base);
  const clients: { destroy(): void }[] = [ecr, doc];
  let signals: ProtectionSignal[] = [];
  if (!options.offline) {
    if (options.registry === undefined)
      throw new Error('composeCleanup: the registry cleaned is needed online');
    const composed = composeSignals({ ...options, registry: options.registry, doc });
    signals = composed.signals;
    clients.push(...composed.clients);
  }
  return {
    deps: planDeps(
      options.config,
      options.offline
        ? undefined
        : { catalog: ecrRepositoryCatalog(ecr), images: ecrRepositoryImages(ecr), signals },
    ),
    remover: ecrImageRemover(ecr),
    records: dynamoCleanupRecords(doc, options.tableName),
    destroy() {
      for (const client of clients) client.destroy();
    },
  };
}
