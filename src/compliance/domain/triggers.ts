import { type AuditReport, summarise } from './audit.ts';
import { CONTROL_IDS, type ControlId, type Finding } from './control.ts';

/**
 * What a change to ECR asks compliance to check, from the API call CloudTrail recorded: a repository-level call
 * checks that repository, and only the checks that read what the call changed ("check what changed"); a
 * registry-level call checks the registry's controls, and for the registry's scanning rules, the scanning of
 * every repository. Pure: the caller parses the event.
 */

/** The ECR calls whose CloudTrail events compliance reacts to, each with the checks it can change. */
export const WATCHED_CALLS = {
  CreateRepository: { scope: 'repository', controls: 'all' },
  PutImageTagMutability: { scope: 'repository', controls: ['tag-mutability'] },
  PutImageScanningConfiguration: { scope: 'repository', controls: ['scanning'] },
  SetRepositoryPolicy: { scope: 'repository', controls: ['repository-policy'] },
  DeleteRepositoryPolicy: { scope: 'repository', controls: ['repository-policy'] },
  PutLifecyclePolicy: { scope: 'repository', controls: ['lifecycle-policy'] },
  DeleteLifecyclePolicy: { scope: 'repository', controls: ['lifecycle-policy'] },
  TagResource: { scope: 'repository', controls: ['resource-tags'] },
  UntagResource: { scope: 'repository', controls: ['resource-tags'] },
  PutRegistryScanningConfiguration: { scope: 'every-repository', controls: ['scanning'] },
  PutReplicationConfiguration: { scope: 'registry', controls: ['replication'] },
  CreateRepositoryCreationTemplate: { scope: 'registry', controls: ['creation-templates'] },
  UpdateRepositoryCreationTemplate: { scope: 'registry', controls: ['creation-templates'] },
  DeleteRepositoryCreationTemplate: { scope: 'registry', controls: ['creation-templates'] },
} as const satisfies Record<
  string,
  {
    readonly scope: 'repository' | 'every-repository' | 'registry';
    readonly controls: 'all' | readonly ControlId[];
  }
>;

export type WatchedCall = keyof typeof WATCHED_CALLS;
export const WATCHED_CALL_NAMES = Object.keys(WATCHED_CALLS) as [WatchedCall, ...WatchedCall[]];

/** The checks a call can change: every control for `all`. */
export function controlsOf(call: WatchedCall): readonly ControlId[] {
  const { controls } = WATCHED_CALLS[call];
  return controls === 'all' ? CONTROL_IDS : controls;
}

/**
 * Whether a call was made by one of ecr-sentinel's own enforcing functions: a Lambda function's calls are signed
 * by `arn:<partition>:sts::<account>:assumed-role/<role>/<function name>`. Such a call is the echo of a fix: it
 * is checked (and must pass) but never enforced again, so a fix whose result ECR reads back differently can't
 * start a loop of fixes.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
 */
export function isOwnCall(callerArn: string | undefined, enforcers: readonly string[]): boolean {
  if (callerArn === undefined) return false;
  const session = /^arn:[^:]+:sts::\d{12}:assumed-role\/[^/]+\/(.+)$/.exec(callerArn);
  return session !== null && enforcers.includes(session[1] as string);
}

/** The repository a repository ARN names (`arn:…:ecr:<region>:<account>:repository/<name>`), else undefined. */
export function repositoryOfArn(arn: string): string | undefined {
  const match = /^arn:[^:]+:ecr:[^:]*:\d{12}:repository\/(.+)$/.exec(arn);
  return match?.[1];
}

/**
 * The report narrowed to `controls` (every control when undefined), its registry findings kept only when
 * `registry`, and its summary recomputed: what a trigger asked about, so drift it did not ask about is neither
 * fixed nor alerted by it.
 */
export function scopeReport(
  report: AuditReport,
  scope: { readonly controls?: readonly ControlId[] | undefined; readonly registry: boolean },
): AuditReport {
  const wanted = (f: Finding) => scope.controls === undefined || scope.controls.includes(f.controlId);
  const repositories = report.repositories.map((r) => ({ ...r, findings: r.findings.filter(wanted) }));
  const registry = scope.registry ? report.registry.filter(wanted) : [];
  return { ...report, repositories, registry, summary: summarise(repositories, registry) };
}
