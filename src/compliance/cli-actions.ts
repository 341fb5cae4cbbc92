/**
 * What `audit` does (declared in cli.ts): read the observed state from ECR, audit it against the config's
 * `compliance` section, print the report. Read-only.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { loadConfigOrThrow } from '../config/load-or-report.ts';
import type { SentinelConfig } from '../config/schema.ts';
import { commandClientBase, EXIT, runCommand, UsageError, writeJson } from '../shared/cli.ts';
import { REPOSITORY_NAME_PATTERN } from '../shared/ecr/names.ts';
import { ecrObservedState } from './adapters/ecr-observed-state.ts';
import { auditText } from './audit-text.ts';
import type { AuditOptions } from './cli.ts';
import { type AuditReport, audit } from './domain/audit.ts';
import { UnknownRepositoryError } from './ports.ts';

/** `audit`: the report as text or JSON; exit 0 compliant, 1 drift, 2 undecided (a check unknown) or usage. */
export function auditCommand(options: AuditOptions): Promise<void> {
  return runCommand(
    options,
    async () => {
      const problem = options.repository.map(repositoryProblem).find(Boolean);
      if (problem) throw new UsageError(problem);
      const config = await loadConfigOrThrow(options.config);
      if (!hasChecks(config))
        throw new UsageError(
          `${options.config} configures no compliance check (compliance.defaults, compliance.groups, compliance.registry): nothing to audit`,
        );
      // No table is read: `stage` only names one.
      const ecr = new ECRClient(commandClientBase({ ...options, stage: '' }));
      try {
        const observed = await ecrObservedState(ecr).read(
          options.repository.length > 0 ? { repositoryNames: options.repository } : {},
        );
        const report = audit({
          now: new Date(),
          settings: config.compliance,
          repositoryGroups: config.repositoryGroups,
          repositories: observed.repositories,
          registry: observed.registry,
        });
        if (options.json) writeJson(report);
        else process.stdout.write(auditText(report));
        return exitOf(report);
      } finally {
        ecr.destroy();
      }
    },
    classify,
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

function classify(error: unknown) {
  if (error instanceof UnknownRepositoryError)
    return { type: error.name, message: `--repository: ${error.message}`, exit: EXIT.usage };
  return undefined;
}

function repositoryProblem(name: string): string | undefined {
  return name.length >= 2 && name.length <= 256 && REPOSITORY_NAME_PATTERN.test(name)
    ? undefined
    : `--repository: "${name}" is not an ECR repository name`;
}
