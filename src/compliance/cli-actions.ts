/**
 * What `audit` and `repo ensure` do (declared in cli.ts): read the observed state from ECR, audit it against the
 * config's `compliance` section, with --enforce (or for `repo ensure`) apply the fixes and audit again, print
 * the report.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { loadConfigOrThrow } from '../config/load-or-report.ts';
import type { SentinelConfig } from '../config/schema.ts';
import { awsClientBase, EXIT, runCommand, UsageError, writeJson } from '../shared/cli.ts';
import {
  REPOSITORY_NAME_MAX_LENGTH,
  REPOSITORY_NAME_MIN_LENGTH,
  REPOSITORY_NAME_PATTERN,
} from '../shared/ecr/names.ts';
import { ecrEnforcer, ecrRepositoryCreator } from './adapters/ecr-enforcer.ts';
import { ecrObservedState } from './adapters/ecr-observed-state.ts';
import { auditText } from './audit-text.ts';
import type { AuditOptions, RepoEnsureOptions } from './cli.ts';
import { type AuditReport, audit } from './domain/audit.ts';
import type { CreateRepositoryInput } from './domain/ensure.ts';
import { enforceAndRecheck } from './enforce.ts';
import { enforcementText } from './enforcement-text.ts';
import { type EnsureResult, ensureRepository } from './ensure.ts';
import { UnknownRepositoryError } from './ports.ts';

/**
 * `audit`: the report as text or JSON; with --enforce the fixes first. Exit 0 compliant (after --enforce:
 * nothing drifts any more), 1 drift, 2 undecided (a check unknown) or usage.
 */
export function auditCommand(options: AuditOptions): Promise<void> {
  if (options.stack !== undefined) return auditStackCommand({ ...options, stack: options.stack });
  return runCommand(
    options,
    async () => {
      const problem = options.repository.map((name) => repositoryProblem('--repository', name)).find(Boolean);
      if (problem) throw new UsageError(problem);
      const config = await loadChecks(options.config);
      const ecr = new ECRClient(await awsClientBase(options));
      try {
        const reader = ecrObservedState(ecr);
        const observed = await reader.read(
          options.repository.length > 0 ? { repositoryNames: options.repository } : {},
        );
        const report = audit({
          now: new Date(),
          settings: config.compliance,
          repositoryGroups: config.repositoryGroups,
          repositories: observed.repositories,
          registry: observed.registry,
        });
        if (!options.enforce) {
          if (options.json) writeJson(report);
          else process.stdout.write(auditText(report));
          return exitOf(report);
        }
        const enforcement = await enforceAndRecheck(
          {
            settings: config.compliance,
            repositoryGroups: config.repositoryGroups,
            reader,
            enforcer: ecrEnforcer(ecr),
            now: () => new Date(),
          },
          { report, registry: observed.registry },
        );
        if (options.json) {
          const { audit: after, ...done } = enforcement;
          writeJson({ ...after, enforcement: done });
        } else {
          process.stdout.write(
            `${enforcementText(enforcement)}\nafter enforcement:\n${auditText(enforcement.audit)}`,
          );
        }
        return exitOf(enforcement.audit);
      } finally {
        ecr.destroy();
      }
    },
    (error) =>
      error instanceof UnknownRepositoryError
        ? { type: error.name, message: `--repository: ${error.message}`, exit: EXIT.usage }
        : undefined,
  );
}

/**
 * `audit --stack STAGE`: ecr-sentinel's own stack instead of the registry (own-stack/, loaded only then: its SDK
 * clients are not the registry audit's). Same exit codes as the audit.
 */
function auditStackCommand(options: AuditOptions & { stack: string }): Promise<void> {
  return runCommand(options, async () => {
    if (options.repository.length > 0 || options.enforce)
      throw new UsageError(
        '--stack audits the stack alone: no --repository or --enforce (deploying fixes it)',
      );
    const own = await import('./own-stack/command.ts');
    const problem = own.stageProblem(options.stack);
    if (problem) throw new UsageError(problem);
    return own.auditStack(options);
  });
}

/**
 * `repo ensure NAME`: the repository created compliant, or brought to its desired state; exit 0 when it
 * complies afterwards, 1 when drift remains, 2 a bad name, config or a check that could not be read.
 */
export function repoEnsureCommand(name: string, options: RepoEnsureOptions): Promise<void> {
  return runCommand(options, async () => {
    const problem = repositoryProblem('NAME', name);
    if (problem) throw new UsageError(problem);
    const config = await loadChecks(options.config);
    const ecr = new ECRClient(await awsClientBase(options));
    try {
      const result = await ensureRepository(
        {
          settings: config.compliance,
          repositoryGroups: config.repositoryGroups,
          reader: ecrObservedState(ecr),
          enforcer: ecrEnforcer(ecr),
          creator: ecrRepositoryCreator(ecr),
          now: () => new Date(),
        },
        name,
      );
      const after = result.enforcement.audit;
      if (options.json)
        writeJson({
          repositoryName: result.repositoryName,
          group: result.group ?? null,
          created: result.created ?? null,
          alreadyCompliant: result.alreadyCompliant,
          actions: result.enforcement.actions,
          skipped: result.enforcement.skipped,
          ...(result.enforcement.recheckError ? { recheckError: result.enforcement.recheckError } : {}),
          findings: after.repositories.find((r) => r.repositoryName === name)?.findings ?? [],
          summary: after.summary,
        });
      else process.stdout.write(ensureText(result));
      return exitOf(after);
    } finally {
      ecr.destroy();
    }
  });
}

function ensureText(result: EnsureResult): string {
  const who = `${result.repositoryName} (group ${result.group ?? '-'})`;
  if (result.alreadyCompliant)
    return `${who}: already compliant, nothing changed\n\n${auditText(result.enforcement.audit)}`;
  const head = result.created
    ? `${who}: created (CreateRepository: ${describeCreation(result.created)})\n`
    : `${who}: exists, brought to its desired state\n`;
  return `${head}${enforcementText(result.enforcement)}\nafterwards:\n${auditText(result.enforcement.audit)}`;
}

function describeCreation(input: CreateRepositoryInput): string {
  const filters = input.imageTagMutabilityExclusionFilters?.map((f) => f.filter) ?? [];
  return (
    [
      input.imageTagMutability
        ? `${input.imageTagMutability}${filters.length > 0 ? ` [${filters.join(', ')}]` : ''}`
        : undefined,
      input.encryptionConfiguration
        ? `${input.encryptionConfiguration.encryptionType}${input.encryptionConfiguration.kmsKey ? ` ${input.encryptionConfiguration.kmsKey}` : ''}`
        : undefined,
      input.imageScanningConfiguration?.scanOnPush ? 'scan on push' : undefined,
      input.tags?.length ? `tags ${input.tags.map((t) => `${t.Key}=${t.Value}`).join(', ')}` : undefined,
    ]
      .filter((x) => x !== undefined)
      .join(', ') || 'ECR defaults'
  );
}

/**
 * Drift is a definite answer (not compliant) whatever else could not be read: 1. Without drift, a check that
 * could not be read leaves the answer open: 2, as the scan gate's ERROR.
 */
function exitOf(report: AuditReport): number {
  if (report.summary.drift > 0) return EXIT.failed;
  if (report.summary.unknown > 0) return EXIT.usage;
  return EXIT.ok;
}

async function loadChecks(path: string): Promise<SentinelConfig> {
  const config = await loadConfigOrThrow(path);
  if (!hasChecks(config))
    throw new UsageError(
      `${path} configures no compliance check (compliance.defaults, compliance.groups, compliance.registry): nothing to audit`,
    );
  return config;
}

function hasChecks(config: SentinelConfig): boolean {
  const { defaults, groups, registry } = config.compliance;
  const on = (layer: Record<string, unknown>) =>
    Object.values(layer).some((v) => v !== undefined && v !== false);
  return (
    on(defaults) ||
    Object.values(groups).some(on) ||
    registry.replication !== undefined ||
    registry.creationTemplates !== undefined
  );
}

function repositoryProblem(what: string, name: string): string | undefined {
  return name.length >= REPOSITORY_NAME_MIN_LENGTH &&
    name.length <= REPOSITORY_NAME_MAX_LENGTH &&
    REPOSITORY_NAME_PATTERN.test(name)
    ? undefined
    : `${what}: "${name}" is not an ECR repository name (2-256 of lower case letters, digits, . _ - and / between parts)`;
}
