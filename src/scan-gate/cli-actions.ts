/** What `ecr-sentinel scan-gate` does (declared in cli.ts): the CI gate on an image's scan. */
import { existsSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_CONFIG_PATH } from '../config/default-path.ts';
import { loadConfigOrThrow } from '../config/load-or-report.ts';
import {
  awsClientBase,
  commandTableName,
  runCommand,
  UsageError,
  usageError,
  writeJson,
} from '../shared/cli.ts';
import { systemClock } from '../shared/clock.ts';
import { ecrImageLookup } from '../shared/ecr/image-lookup.ts';
import { IMAGE_DIGEST_EXPECTED, IMAGE_DIGEST_PATTERN, REPOSITORY_NAME_PATTERN } from '../shared/ecr/names.ts';
import { packageVersion } from '../shared/project-root.ts';
import { dynamoVerdicts } from './adapters/dynamodb-verdicts.ts';
import { ecrFindingsReader } from './adapters/ecr-findings-reader.ts';
import { ecrScanCoverage } from './adapters/ecr-scan-coverage.ts';
import { ecrScanDetails } from './adapters/ecr-scan-details.ts';
import type { ScanGateOptions } from './cli.ts';
import { formatResult, progressLine } from './cli-output.ts';
import {
  GATE_EXIT_CODES,
  type GateFormat,
  gateFormat,
  THRESHOLD_SEVERITIES,
  type ThresholdSeverity,
} from './domain/ci-gate.ts';
import type { ScanException } from './domain/exceptions.ts';
import type { PolicyConfig } from './domain/policy.ts';
import { sarifLog } from './domain/sarif.ts';
import type { Verdict } from './domain/verdict.ts';
import { type GateImageResult, gateImage } from './gate-image.ts';
import { gateAnnotations, stepSummary } from './github-actions.ts';

type GateConfig = PolicyConfig & { exceptions: readonly ScanException[] };

/** No configuration at all: the default policy, which `--threshold` replaces, and no exceptions. */
const NO_CONFIG: GateConfig = {
  scanGate: { defaults: {}, groups: {}, environments: {} },
  repositoryGroups: [],
  environments: [],
  exceptions: [],
};

/**
 * `scan-gate`: PASS, FAIL or ERROR as the exit code, the verdict as text, JSON or SARIF. Every error (bad usage,
 * configuration, AWS) is reported the one way `runCommand` does, as JSON too with `--format json`.
 */
export async function scanGateCommand(options: ScanGateOptions): Promise<void> {
  const chosen = gateFormat(options);
  if ('problem' in chosen) return usageError(chosen.problem, { json: options.json === true });
  const { format } = chosen;
  await runCommand({ json: format === 'json' }, () => gate(options, format));
}

async function gate(options: ScanGateOptions, format: GateFormat): Promise<number> {
  const problem = validate(options);
  if (problem) throw new UsageError(problem);
  const config = await gateConfig(options);
  const clientConfig = await awsClientBase(options);
  const table = commandTableName(options);
  const ecr = new ECRClient(clientConfig);
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig));
  const store = dynamoVerdicts(dynamo, table);
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    if (format === 'text') process.stderr.write(`ecr-sentinel: warning: ${message}\n`);
  };
  // Whether the stage's verdict table exists: undefined until a read has told.
  let tableExists: boolean | undefined;
  const latest = async (repositoryName: string, imageDigest: string): Promise<Verdict | undefined> => {
    try {
      const verdict = await store.latest(repositoryName, imageDigest);
      tableExists = true;
      return verdict;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      tableExists = false;
      return undefined;
    }
  };
  try {
    const request = {
      repositoryName: options.repository,
      ...(options.tag ? { imageTag: options.tag } : { imageDigest: options.digest }),
      ...(options.threshold ? { threshold: options.threshold as ThresholdSeverity } : {}),
      waitSeconds: Number(options.wait),
    };
    const result = await gateImage({
      registry: ecrImageLookup(ecr),
      scans: ecrFindingsReader(ecr),
      verdicts: {
        // Without a deployed pipeline there is no table: the gate then judges the scan itself, and says so.
        latest: async (repositoryName, imageDigest) => {
          const verdict = await latest(repositoryName, imageDigest);
          if (tableExists === false)
            warn(`no verdict table ${table} in ${clientConfig.region}: judging the scan here`);
          return verdict;
        },
      },
      coverage: ecrScanCoverage(ecr),
      // The table is the deployed stack's: with it, on-image-pushed starts a scan of a push nothing scans.
      pipelineStartsScans: async (repositoryName, imageDigest) => {
        if (tableExists === undefined) await latest(repositoryName, imageDigest);
        return tableExists === true;
      },
      config,
      clock: systemClock,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      ...(format === 'text' ? { onProgress: (p) => process.stderr.write(progressLine(p)) } : {}),
    })(request);

    if (format === 'json') writeJson({ ...result, noStoredVerdicts: tableExists === false, warnings });
    else if (format === 'sarif') writeJson(await sarifOf(result, ecr, clientConfig.region));
    else process.stdout.write(formatResult(result, options.tag));
    if (process.env.GITHUB_ACTIONS === 'true') await reportToGitHub(result, format);
    return GATE_EXIT_CODES[result.outcome];
  } finally {
    ecr.destroy();
    dynamo.destroy();
  }
}

/**
 * The configuration the gate judges with: `--config` (which must exist: `--config FILE: not found`), else
 * sentinel.config.yml when it is here (as before), else none — and then `--threshold` is required, as the only
 * limits there are.
 * @throws UsageError / ConfigReported as `loadConfigOrThrow` does, and for no configuration and no threshold
 */
async function gateConfig(options: ScanGateOptions): Promise<GateConfig> {
  if (options.config !== undefined) return loadConfigOrThrow(options.config);
  if (existsSync(DEFAULT_CONFIG_PATH)) return loadConfigOrThrow(DEFAULT_CONFIG_PATH);
  if (!options.threshold) {
    throw new UsageError(
      `no --config and no ${DEFAULT_CONFIG_PATH} here: give --threshold SEVERITY to judge without a configuration`,
    );
  }
  return NO_CONFIG;
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

/** The SARIF log of the result, with every finding of the image's scan and their CVSS scores. */
async function sarifOf(result: GateImageResult, ecr: ECRClient, region: string): Promise<unknown> {
  const details = result.imageDigest
    ? await ecrScanDetails(ecr).read(result.repositoryName, result.imageDigest)
    : { registryId: undefined, findings: [], cvss: new Map<string, number>() };
  const image = `${result.repositoryName}${result.imageDigest ? `@${result.imageDigest}` : ''}`;
  return sarifLog({
    report: result,
    findings: details.findings,
    cvss: details.cvss,
    toolVersion: packageVersion(),
    // The image URI as docker pulls it, when the registry's account is known.
    artifactUri: details.registryId
      ? `${details.registryId}.dkr.ecr.${region}.amazonaws.com/${image}`
      : image,
  });
}

/**
 * Annotations and the step summary, under GitHub Actions only. GitHub documents workflow commands on stdout,
 * where the text format puts them; with JSON or SARIF on stdout they go to stderr, which the runner reads for
 * commands too, so stdout stays one document. A step summary that cannot be written is a warning, not a
 * different verdict.
 * @see https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
 */
async function reportToGitHub(result: GateImageResult, format: GateFormat): Promise<void> {
  const annotations = gateAnnotations(result);
  if (annotations.length > 0) {
    (format === 'text' ? process.stdout : process.stderr).write(`${annotations.join('\n')}\n`);
  }
  const summaryFile = process.env.GITHUB_STEP_SUMMARY;
  if (!summaryFile) return;
  try {
    await appendFile(summaryFile, stepSummary(result));
  } catch (error) {
    process.stderr.write(
      `ecr-sentinel: warning: could not write the step summary to ${summaryFile}: ${(error as Error).message}\n`,
    );
  }
}
