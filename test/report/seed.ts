import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoCleanupRecords } from '../../src/cleanup/adapters/dynamodb-cleanup-records.ts';
import { dynamoPromotions } from '../../src/promotion/adapters/dynamodb-promotions.ts';
import { dynamoVerdicts } from '../../src/scan-gate/adapters/dynamodb-verdicts.ts';
import { aPromotion } from '../promotion/promotion-fixtures.ts';
import { findings, verdictOf } from '../scan-gate/verdict-fixtures.ts';
import { awsClientConfig } from '../support/sandbox.ts';
import { createSentinelTable } from '../support/table.ts';
import { HOSTILE } from './fixtures.ts';

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` (UTC) `days` from today. */
export function dayFromToday(days: number): string {
  return new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);
}

/** What {@link seedReport} made, for the assertions. */
export interface SeededReport {
  configFile: string;
  dir: string;
  drifting: string;
  compliant: string;
  expiringCve: string;
  bytesReclaimed: number;
  monthlySavingsUsd: number;
}

/**
 * A registry and a table as an auditor finds them, written through the product's own adapters on `endpoint`:
 * a drifting and a compliant repository, verdicts over the last days (one image's tag and the verdict reason
 * hostile), a CVE exception expiring in 10 days (hostile reason), a completed promotion and a cleanup run.
 */
export async function seedReport(endpoint: string, tableName: string): Promise<SeededReport> {
  const dir = await mkdtemp(join(tmpdir(), 'report-'));
  const configFile = join(dir, 'sentinel.config.yml');
  const expiringCve = 'CVE-2026-31337';
  await writeFile(
    configFile,
    `version: 1
repositoryGroups:
  - name: services
    repositories: ["reports-*"]
exceptions:
  - { cve: ${expiringCve}, repositories: ['reports-*'], expires: ${dayFromToday(10)}, owner: sec@example.com, reason: ${JSON.stringify(HOSTILE)}, ticket: SEC-7 }
  - { cve: CVE-2026-00042, repositories: ['reports-*'], expires: ${dayFromToday(200)}, owner: sec@example.com, reason: not reachable }
compliance:
  defaults:
    tagMutability: { mutability: IMMUTABLE }
    encryption: { type: AES256 }
`,
  );
  const drifting = 'reports-drifting';
  const compliant = 'reports-compliant';
  const ecr = new ECRClient(awsClientConfig(endpoint));
  const dynamo = new DynamoDBClient(awsClientConfig(endpoint));
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  try {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: drifting, imageTagMutability: 'MUTABLE' }));
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName: compliant, imageTagMutability: 'IMMUTABLE' }),
    );
    await createSentinelTable(dynamo, tableName);

    const verdicts = dynamoVerdicts(doc, tableName);
    const digest = () => `sha256:${randomBytes(32).toString('hex')}`;
    const driftingImage = digest();
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY_MS);
    // One image scanned three times as its findings were fixed, and a clean image of the other repository.
    for (const [daysAgo, critical, high, medium] of [
      [6, 3, 4, 2],
      [3, 2, 4, 5],
      [1, 1, 2, 5],
    ] as const) {
      await verdicts.save(
        verdictOf({
          repositoryName: drifting,
          imageDigest: driftingImage,
          imageTags: [HOSTILE],
          findings: [
            ...findings(critical, 'CRITICAL', 1000),
            ...findings(high, 'HIGH', 2000),
            ...findings(medium, 'MEDIUM', 3000),
            ...findings(2, 'LOW', 4000),
          ],
          now: at(daysAgo),
          scanCompletedAt: at(daysAgo).toISOString(),
        }),
      );
    }
    await verdicts.save(
      verdictOf({
        repositoryName: compliant,
        imageDigest: digest(),
        imageTags: ['1.0.0'],
        findings: findings(1, 'LOW', 5000),
        now: at(2),
        scanCompletedAt: at(2).toISOString(),
      }),
    );

    const requestedAt = at(4).toISOString();
    await dynamoPromotions(doc, tableName).create(
      aPromotion({
        app: 'reports',
        requestedAt,
        status: 'COMPLETED',
        completedAt: requestedAt,
        from: {
          environment: 'dev',
          accountId: '123456789012',
          region: 'us-east-1',
          repositoryName: drifting,
        },
        to: {
          environment: 'prod',
          accountId: '123456789012',
          region: 'us-east-1',
          repositoryName: compliant,
        },
      }),
    );

    const records = dynamoCleanupRecords(doc, tableName);
    const runId = '01KB2Z0000000000000000REPT';
    const bytesReclaimed = 5 * 2 ** 30 + 512 * 2 ** 20;
    const monthlySavingsUsd = 0.55;
    await records.startRun({
      runId,
      startedAt: at(2).toISOString(),
      trigger: 'schedule',
      dryRun: false,
      repositoryCount: 1,
    });
    await records.recordOutcome({
      runId,
      repositoryName: drifting,
      status: 'cleaned',
      imageCount: 40,
      expiringCount: 25,
      transitioningCount: 0,
      protectedCount: 3,
      deletedCount: 25,
      bytesReclaimed,
      monthlySavingsUsd,
      failures: [],
      finishedAt: at(2).toISOString(),
    });
    return { configFile, dir, drifting, compliant, expiringCve, bytesReclaimed, monthlySavingsUsd };
  } finally {
    ecr.destroy();
    dynamo.destroy();
  }
}
