/** What `ecr-sentinel scan-gate` does (declared in cli.ts): the CI gate on an image's scan. */
import { DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfigOrReport } from '../config/load-or-report.ts';
import { severityTableText } from '../notifications/index.ts';
import { commandClientBase, commandTableName, EXIT, usageError } from '../shared/cli.ts';
import { systemClock } from '../shared/clock.ts';
import { ecrImageLookup } from '../shared/ecr/image-lookup.ts';
import { IMAGE_DIGEST_EXPECTED, IMAGE_DIGEST_PATTERN, REPOSITORY_NAME_PATTERN } from '../shared/ecr/names.ts';
import { dynamoVerdicts } from './adapters/dynamodb-verdicts.ts';
import { ecrFindingsReader } from './adapters/ecr-findings-reader.ts';
import type { ScanGateOptions } from './cli.ts';
import { GATE_EXIT_CODES, THRESHOLD_SEVERITIES, type ThresholdSeverity } from './domain/ci-gate.ts';
import type { Verdict } from './domain/verdict.ts';
import { type GateImageResult, gateImage } from './gate-image.ts';

/** `scan-gate`: PASS, FAIL or ERROR as the exit code, the verdict as text or JSON. */
export async function scanGateCommand(options: ScanGateOptions): Promise<void> {
  const problem = validate(options);
  if (problem) return usageError(problem, options);
  const config = await loadConfigOrReport(options.config, EXIT.usage);
  if (!config) return;
  const clientConfig = commandClientBase(options);
  const ecr = new ECRClient(clientConfig);
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig));
  const store = dynamoVerdicts(dynamo, commandTableName(options));
  let noStore = false;
  try {
    const result = await gateImage({
      registry: ecrImageLookup(ecr),
      scans: ecrFindingsReader(ecr),
      verdicts: {
        // Without a deployed pipeline there is no table: the gate then judges the scan itself.
        latest: (repositoryName, imageDigest) =>
          store.latest(repositoryName, imageDigest).catch((error: unknown) => {
            if (!(error instanceof ResourceNotFoundException)) throw error;
            noStore = true;
            return undefined;
          }),
      },
      config,
      clock: systemClock,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    })({
      repositoryName: options.repository,
      ...(options.tag ? { imageTag: options.tag } : { imageDigest: options.digest }),
      ...(options.threshold ? { threshold: options.threshold as ThresholdSeverity } : {}),
      waitSeconds: Number(options.wait),
    });
    if (options.json)
      process.stdout.write(`${JSON.stringify({ ...result, noStoredVerdicts: noStore }, null, 2)}\n`);
    else process.stdout.write(formatResult(result, options));
    process.exitCode = GATE_EXIT_CODES[result.outcome];
  } finally {
    ecr.destroy();
    dynamo.destroy();
  }
}

/** The first problem with the arguments, named after the option, or undefined. */
function validate(options: ScanGateOptions): string | undefined {
  if (!REPOSITORY_NAME_PATTERN.test(options.repository)) {
    return `--repository: "${options.repository}" is not a valid ECR repository name`;
  }
  if (Boolean(options.tag) === Boolean(options.digest)) return 'give exactly one of --tag or --digest';
  if (options.digest && !IMAGE_DIGEST_PATTERN.test(options.digest)) {
    return `--digest: ${IMAGE_DIGEST_EXPECTED}, got "${options.digest}"`;
  }
  if (options.threshold && !(THRESHOLD_SEVERITIES as readonly string[]).includes(options.threshold)) {
    return `--threshold: expected one of ${THRESHOLD_SEVERITIES.join(', ')}, got "${options.threshold}"`;
  }
  if (!/^\d+$/.test(options.wait)) return `--wait: expected a whole number of seconds, got "${options.wait}"`;
  return undefined;
}

function formatResult(result: GateImageResult, options: ScanGateOptions): string {
  const image = `${result.repositoryName}${options.tag ? `:${options.tag}` : ''}${
    result.imageDigest ? `@${result.imageDigest.slice(0, 19)}…` : ''
  }`;
  const lines = [
    `scan-gate ${image}: ${result.outcome}${result.source ? ` (${result.source} verdict)` : ''}`,
  ];
  if (result.message) lines.push(`  ${result.message}`);
  if (result.verdict) lines.push(...verdictLines(result.verdict));
  return `${lines.join('\n')}\n`;
}

function verdictLines(verdict: Verdict): string[] {
  const lines = [`  ${verdict.reason}`, '', ...severityTableText(verdict)];
  if (verdict.blocking.ids.length > 0) {
    lines.push('', `  blocking (${verdict.blocking.ids.length}):`);
    for (const f of verdict.blocking.details) {
      const fix = f.fixedVersion
        ? `→ ${f.fixedVersion}`
        : f.fixAvailable === false
          ? '(no fix)'
          : '(fix unknown)';
      lines.push(
        `    ${f.severity.padEnd(9)} ${f.id}  ${f.package ?? ''} ${f.installedVersion ?? ''} ${fix}  ${f.link ?? ''}`,
      );
    }
    const more = verdict.blocking.ids.length - verdict.blocking.details.length;
    if (more > 0)
      lines.push(
        `    … and ${more} more: ${verdict.blocking.ids.slice(verdict.blocking.details.length).join(', ')}`,
      );
  }
  for (const e of verdict.exceptionsApplied)
    lines.push(`  exception applied: ${e.cve} (owner ${e.owner}, until ${e.expires})`);
  for (const e of verdict.exceptionsExpired)
    lines.push(`  exception EXPIRED: ${e.cve} (owner ${e.owner}, expired ${e.expires})`);
  return lines;
}
