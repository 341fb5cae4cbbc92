import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { IAMClient } from '@aws-sdk/client-iam';
import { awsClientBase, EXIT, textTable, writeJson } from '../../shared/cli.ts';
import { findingSections } from '../audit-text.ts';
import { awsOwnStack } from './aws-own-stack.ts';
import { declaredStack } from './declared.ts';
import { auditOwnStack, type OwnStackReport } from './rules.ts';

/** The stages a stack may be named for: what the Serverless Framework accepts in a stack name. */
const STAGE_PATTERN = /^[a-zA-Z0-9-]{1,64}$/;

/** Why `stage` can't name a stack, or undefined. */
export function stageProblem(stage: string): string | undefined {
  return STAGE_PATTERN.test(stage)
    ? undefined
    : `--stack: "${stage}" is not a stage name (letters, digits and -, at most 64)`;
}

/**
 * `audit --stack STAGE`: ecr-sentinel's own stack for STAGE against serverless.yml and deploy/alarms.cjs, read
 * through CloudFormation, CloudWatch and IAM (read-only).
 * @returns the exit code: 0 every item passes, 1 drift, 2 an item unknown and no drift
 * @throws StackNotFoundError when the stage has no stack (the command reports it, exit 2)
 */
export async function auditStack(options: {
  stack: string;
  region?: string | undefined;
  profile?: string | undefined;
  endpointUrl?: string | undefined;
  json?: boolean | undefined;
}): Promise<number> {
  const declared = declaredStack(options.stack);
  const base = await awsClientBase(options);
  const clients = {
    cloudFormation: new CloudFormationClient(base),
    cloudWatch: new CloudWatchClient(base),
    iam: new IAMClient(base),
  };
  try {
    const observed = await awsOwnStack(clients).read(declared);
    const report = auditOwnStack(declared, observed, new Date());
    if (options.json) writeJson(report);
    else process.stdout.write(ownStackText(report));
    if (report.summary.drift > 0) return EXIT.failed;
    return report.summary.unknown > 0 ? EXIT.usage : EXIT.ok;
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}

const CELL = { pass: 'pass', drift: 'DRIFT', unknown: 'unknown' } as const;

/** The stack's audit as a person reads it: a summary, item × check × status, then each drift and unknown. */
export function ownStackText(report: OwnStackReport): string {
  const s = report.summary;
  let out = `stack ${report.stackName}: ${s.items} items: ${s.pass} pass, ${s.drift} drift, ${s.unknown} unknown\n\n`;
  out += textTable(
    ['item', 'check', 'status'],
    report.findings.map((f) => [f.item, f.check, CELL[f.status]]),
  );
  out += findingSections(report.findings, (f) => `${f.item}  ${f.check}`);
  return out;
}
