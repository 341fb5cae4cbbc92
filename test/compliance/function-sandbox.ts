import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRegistryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { LambdaRuntime } from '../../src/sandbox/runtime/index.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { complianceKeys } from '../../src/shared/table.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { startFunctionUnderTest } from '../support/runtime.ts';
import { awsClientConfig } from '../support/sandbox.ts';

/**
 * The compliance functions as deployed (checkCompliance, sweepCompliance, checkRepositories) on a sandbox of
 * their own (faults are sandbox-wide), under their IAM roles, with a configuration of the tests' own, and the
 * reads the tests assess with: ECR, the records in the table, the email outbox.
 */

/** Caps every image at 50: the template enforce puts on `aud-*` repositories. */
export const LIFECYCLE_TEMPLATE = {
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 50 },
      action: { type: 'expire' },
    },
  ],
};

export interface Email {
  to: string[];
  subject: string;
  message: string;
}

export interface ComplianceFunctions {
  /** Unique to this run: repository names end with it. */
  id: string;
  sandbox: Sandbox;
  runtime: LambdaRuntime;
  ecr: ECRClient;
  sqs: SQSClient;
  doc: DynamoDBDocumentClient;
  admin: ReturnType<typeof sandboxAdmin>;
  account: string;
  table: string;
  /** `aws ecr …` against the sandbox, as a build script runs it. */
  aws(...args: string[]): Promise<{ stdout: string }>;
  /** The alerts emailed to the config's address whose subject names `name`. */
  emailsAbout(name: string): Promise<Email[]>;
  remediations(subject: string): Promise<Record<string, unknown>[]>;
  statuses(subject: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

/**
 * Starts the sandbox and the functions. Groups: `svc-*` scanning and tag mutability in enforce mode; `pol-*`
 * the repository policy only, enforce; `aud-*` the lifecycle policy only, audit. Registry: replication and a
 * creation template for `svc`, audit.
 */
export async function startComplianceFunctions(stagePrefix: string): Promise<ComplianceFunctions> {
  const id = randomBytes(3).toString('hex');
  const email = `compliance-${id}@example.com`;
  const sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
  const clients = awsClientConfig(sandbox.url);
  const ecr = new ECRClient(clients);
  const sqs = new SQSClient(clients);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ ...clients, maxAttempts: 3 }));
  const admin = sandboxAdmin(sandbox.url);
  const account = (await ecr.send(new DescribeRegistryCommand({}))).registryId ?? '';
  const dir = await mkdtemp(join(tmpdir(), `compliance-fn-${id}-`));
  const configFile = join(dir, 'sentinel.config.yml');
  await writeFile(
    configFile,
    `version: 1
repositoryGroups:
  - name: services
    repositories: ["svc-*"]
  - name: policies
    repositories: ["pol-*"]
  - name: audited
    repositories: ["aud-*"]
alerts:
  email: [${email}]
compliance:
  defaults:
    scanning: { frequency: SCAN_ON_PUSH, mode: enforce }
    tagMutability: { mutability: IMMUTABLE_WITH_EXCLUSION, exclusionFilters: [latest], mode: enforce }
  groups:
    policies:
      scanning: false
      tagMutability: false
      repositoryPolicy: { allowedAccounts: [], mode: enforce }
    audited:
      scanning: false
      tagMutability: false
      lifecyclePolicy: { capUntagged: true, capTagged: true, template: ${JSON.stringify(LIFECYCLE_TEMPLATE)} }
  registry:
    replication:
      rules: [{ destinations: [{ region: eu-west-1, registryId: "111122223333" }], prefixes: [svc-] }]
    creationTemplates:
      templates: [{ prefix: svc, group: services }]
`,
  );
  const runtime = await startFunctionUnderTest('checkCompliance', stagePrefix, {
    endpoint: sandbox.url,
    functions: ['checkCompliance', 'sweepCompliance', 'checkRepositories'],
    variables: { SENTINEL_CONFIG: configFile },
    functionEnvironment: { SENTINEL_CONFIG: configFile },
    sqsRetryVisibilitySeconds: 1,
  });
  const table = runtime.resources.SentinelTable?.ref ?? '';
  const awsEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
  };
  const items = async (subject: string, prefix: string) =>
    (
      await doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': complianceKeys.partition(subject), ':prefix': prefix },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];
  return {
    id,
    sandbox,
    runtime,
    ecr,
    sqs,
    doc,
    admin,
    account,
    table,
    aws: (...args) => run('aws', ['ecr', ...args, '--endpoint-url', sandbox.url], { env: awsEnv }),
    async emailsAbout(name) {
      const { messages } = (await admin('GET', 'outbox/email')) as { messages: Email[] };
      return messages.filter((m) => m.to.includes(email) && m.subject.includes(name));
    },
    remediations: (subject) => items(subject, complianceKeys.remediationPrefix),
    statuses: (subject) => items(subject, complianceKeys.statusPrefix),
    async stop() {
      await runtime.stop();
      for (const client of [ecr, sqs, doc]) client.destroy();
      await sandbox.stop();
    },
  };
}
