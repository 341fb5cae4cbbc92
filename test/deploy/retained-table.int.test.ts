import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandTableName } from '../../src/shared/cli.ts';
import { PROJECT_ROOT } from '../support/cli.ts';
import { awsClientConfig, uniqueName } from '../support/sandbox.ts';
import { packagedService } from './packaged.ts';

/**
 * `serverless remove` keeps SentinelTable (DeletionPolicy: Retain) under its fixed name, so a deploy after it would
 * fail on "already exists". deploy/retained-table.cjs checks before the deploy creates anything; here its
 * decision is taken against the sandbox (moto's CloudFormation and DynamoDB answer DescribeStacks,
 * DescribeStackResource, GetTemplate and DescribeTable) with the packaged template's own table.
 */

interface TableResource {
  Type: string;
  DeletionPolicy?: string;
  Properties: { TableName: string } & Record<string, unknown>;
}
interface Template {
  Resources: Record<string, TableResource | { Type: string; Properties?: Record<string, unknown> }>;
}
interface Plugin {
  new (
    serverless: unknown,
    options?: Record<string, unknown>,
  ): { hooks: Record<string, () => Promise<void>> };
  retainedTables(template: unknown): { logicalId: string; tableName: string }[];
  check(input: {
    clients: { cloudFormation: CloudFormationClient; dynamodb: DynamoDBClient };
    stackName: string;
    stage: string;
    region: string;
    template: unknown;
    serviceDir: string;
  }): Promise<string | undefined>;
}

const plugin = createRequire(import.meta.url)(join(PROJECT_ROOT, 'deploy/retained-table.cjs')) as Plugin;
const PACKAGED_STAGE = 'ci';

/** The packaged template with its table renamed for `stage`, as `serverless deploy --stage STAGE` compiles it. */
function templateFor(packaged: Template, stage: string): Template {
  return JSON.parse(
    JSON.stringify(packaged).replaceAll(`ecr-sentinel-${PACKAGED_STAGE}`, `ecr-sentinel-${stage}`),
  );
}

describe('a deploy after `serverless remove` (deploy/retained-table.cjs)', () => {
  const cloudFormation = new CloudFormationClient(awsClientConfig());
  const dynamodb = new DynamoDBClient(awsClientConfig());
  let packaged: Template;
  let serviceDir: string;

  beforeAll(async () => {
    const out = await packagedService();
    packaged = JSON.parse(await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
    serviceDir = mkdtempSync(join(tmpdir(), 'sentinel-retained-'));
  }, 240_000);

  afterAll(() => {
    if (serviceDir) rmSync(serviceDir, { recursive: true, force: true });
  });

  const stageName = () =>
    uniqueName('rt')
      .replace(/[^a-z0-9]/gi, '')
      .slice(0, 16);
  const checkDeploy = (stage: string, template: Template) =>
    plugin.check({
      clients: { cloudFormation, dynamodb },
      stackName: `ecr-sentinel-${stage}`,
      stage,
      region: 'us-east-1',
      template,
      serviceDir,
    });
  /** The table as `serverless remove` leaves it: same name, outside any stack (its keys are enough here). */
  const createRetainedTable = (tableName: string) =>
    dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );

  it('checks the one retained table, named as the CLI looks it up from the stage', () => {
    expect(plugin.retainedTables(packaged)).toEqual([
      expect.objectContaining({
        logicalId: 'SentinelTable',
        tableName: commandTableName({ stage: PACKAGED_STAGE }),
      }),
    ]);
  });

  it('lets a first deploy (no stack, no table) go on', async () => {
    const stage = stageName();
    await expect(checkDeploy(stage, templateFor(packaged, stage))).resolves.toBeUndefined();
  });

  it('stops the deploy after a remove, naming the table and both ways on, with the import template written', async () => {
    // Prepare: the stack is gone, its table kept.
    const stage = stageName();
    const template = templateFor(packaged, stage);
    await createRetainedTable(`ecr-sentinel-${stage}`);
    const calls: string[] = [];
    const serverless = {
      serviceDir,
      classes: { Error: class ServerlessError extends Error {} },
      service: { provider: { compiledCloudFormationTemplate: template } },
      getProvider: () => ({
        getAwsSdkV3Config: async () => {
          calls.push('config');
          return awsClientConfig();
        },
        naming: { getStackName: () => `ecr-sentinel-${stage}` },
        getStage: () => stage,
        getRegion: () => 'us-east-1',
      }),
    };

    // Act: the hook serverless runs before it creates the stack.
    const hook = new plugin(serverless, { 'aws-profile': 'deployer' }).hooks[
      'before:aws:deploy:deploy:createStack'
    ];
    const failure = await hook?.().then(
      () => undefined,
      (error: Error) => error,
    );

    // Assess: stopped with the table, the import (keeping the data) and the delete (starting empty), exactly.
    expect(calls).toEqual(['config']);
    expect(failure?.constructor.name).toBe('ServerlessError');
    const message = failure?.message ?? '';
    const file = join(serviceDir, '.serverless', `ecr-sentinel-${stage}-import-retained-tables.json`);
    expect(message).toContain(`DynamoDB table "ecr-sentinel-${stage}" already exists in us-east-1`);
    expect(message).toContain('nothing has been deployed');
    expect(message).toContain(
      `aws cloudformation create-change-set --stack-name ecr-sentinel-${stage} --change-set-name ecr-sentinel-import-retained-tables --change-set-type IMPORT --resources-to-import '[{"ResourceType":"AWS::DynamoDB::Table","LogicalResourceId":"SentinelTable","ResourceIdentifier":{"TableName":"ecr-sentinel-${stage}"}}]' --template-body file://${file} --region us-east-1 --profile deployer`,
    );
    expect(message).toContain(
      `aws cloudformation wait stack-import-complete --stack-name ecr-sentinel-${stage} --region us-east-1 --profile deployer`,
    );
    expect(message).toContain(
      `aws dynamodb delete-table --table-name ecr-sentinel-${stage} --region us-east-1 --profile deployer`,
    );
    expect(message).toContain(
      `npx serverless deploy --stage ${stage} --region us-east-1 --aws-profile deployer`,
    );
    // The import template: the table exactly as the deploy declares it (CloudFormation imports only what it adds).
    const written = JSON.parse(readFileSync(file, 'utf8')) as Template;
    expect(Object.keys(written.Resources)).toEqual(['SentinelTable']);
    expect(written.Resources.SentinelTable).toEqual(template.Resources.SentinelTable);
    expect(written.Resources.SentinelTable).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  it('lets an update of a stack that holds its table go on', async () => {
    const stage = stageName();
    const tableName = `ecr-sentinel-${stage}`;
    const stackTemplate = {
      Resources: {
        SentinelTable: {
          Type: 'AWS::DynamoDB::Table',
          DeletionPolicy: 'Retain',
          Properties: {
            TableName: tableName,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          },
        },
      },
    };
    await cloudFormation.send(
      new CreateStackCommand({ StackName: tableName, TemplateBody: JSON.stringify(stackTemplate) }),
    );

    await expect(checkDeploy(stage, templateFor(packaged, stage))).resolves.toBeUndefined();
  });

  it('stops an update of a stack that lacks the table while it exists, importing into that stack', async () => {
    // Prepare: a stack without SentinelTable (an earlier template), and the table made outside it.
    const stage = stageName();
    const stackName = `ecr-sentinel-${stage}`;
    const stackTemplate = {
      Resources: {
        OnFailureQueue: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1209600 } },
      },
    };
    await cloudFormation.send(
      new CreateStackCommand({ StackName: stackName, TemplateBody: JSON.stringify(stackTemplate) }),
    );
    await createRetainedTable(stackName);
    const template = templateFor(packaged, stage);

    const message = await checkDeploy(stage, template);

    expect(message).toContain(
      `DynamoDB table "${stackName}" already exists in us-east-1 outside stack "${stackName}"`,
    );
    const file = join(serviceDir, '.serverless', `${stackName}-import-retained-tables.json`);
    const written = JSON.parse(readFileSync(file, 'utf8')) as Template;
    expect(written.Resources).toEqual({
      ...stackTemplate.Resources,
      SentinelTable: template.Resources.SentinelTable,
    });
  });
});
