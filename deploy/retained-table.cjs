// `serverless remove`, then `serverless deploy` again: the single table (SentinelTable, `ecr-sentinel-STAGE`) has
// `DeletionPolicy: Retain`, so removing the stack keeps it with its verdicts, promotions and cleanup records; and
// it has a fixed name (the CLI finds it from the stage alone: src/shared/cli.ts commandTableName), so the next
// deploy's CloudFormation would fail half-way with "ecr-sentinel-STAGE already exists".
//
//   plugins:
//     - ./deploy/retained-table.cjs
//
// Before the deploy creates or changes anything (`before:aws:deploy:deploy:createStack`), this plugin looks for
// each table the template names and retains: when the table exists but the stack doesn't hold it, the deploy
// stops with what to do, exactly:
//   1. keep the data: import the table into the stack (a CloudFormation IMPORT change set, with the template this
//      plugin writes next to the package), then deploy again — the deploy then updates the stack that holds it;
//   2. or start empty: back the table up if it may be wanted, delete it, deploy.
// A first deploy (no stack, no table) and every update of a stack that holds its table go on untouched.
// It reads only: cloudformation:DescribeStacks, DescribeStackResource, GetTemplate and dynamodb:DescribeTable.
'use strict';

const { mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');

/** Where the import template is written, relative to the service directory. */
const IMPORT_TEMPLATE_DIR = '.serverless';

/**
 * The tables of a compiled template that outlive the stack under a fixed name: `AWS::DynamoDB::Table` with
 * `DeletionPolicy: Retain` and a literal `TableName`.
 * @returns [{ logicalId, tableName, resource }]
 */
function retainedTables(template) {
  return Object.entries(template?.Resources ?? {})
    .filter(
      ([, resource]) =>
        resource?.Type === 'AWS::DynamoDB::Table' &&
        resource.DeletionPolicy === 'Retain' &&
        typeof resource.Properties?.TableName === 'string',
    )
    .map(([logicalId, resource]) => ({ logicalId, tableName: resource.Properties.TableName, resource }));
}

function isMissing(error, pattern) {
  return error?.name === 'ValidationError' && pattern.test(String(error.message));
}

/**
 * What the deploy meets, per retained table: `create` (no such table: CloudFormation creates it), `held` (the
 * stack holds it) or `retained` (the table exists outside the stack: the deploy would fail on it).
 * @param clients { cloudFormation: CloudFormationClient, dynamodb: DynamoDBClient } (AWS SDK v3)
 * @returns { stackExists, tables: [{ logicalId, tableName, state }] }
 */
async function inspect(clients, stackName, tables) {
  const { DescribeStacksCommand, DescribeStackResourceCommand } = require('@aws-sdk/client-cloudformation');
  const { DescribeTableCommand } = require('@aws-sdk/client-dynamodb');
  let stackExists = true;
  try {
    const { Stacks = [] } = await clients.cloudFormation.send(
      new DescribeStacksCommand({ StackName: stackName }),
    );
    stackExists = Stacks.some((stack) => stack.StackStatus !== 'DELETE_COMPLETE');
  } catch (error) {
    if (!isMissing(error, /does not exist/i)) throw error;
    stackExists = false;
  }
  const found = [];
  for (const { logicalId, tableName } of tables) {
    if (stackExists) {
      try {
        const { StackResourceDetail } = await clients.cloudFormation.send(
          new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: logicalId }),
        );
        if (StackResourceDetail?.PhysicalResourceId === tableName) {
          found.push({ logicalId, tableName, state: 'held' });
          continue;
        }
      } catch (error) {
        if (!isMissing(error, /does not exist/i)) throw error;
      }
    }
    try {
      await clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
      found.push({ logicalId, tableName, state: 'retained' });
    } catch (error) {
      if (error?.name !== 'ResourceNotFoundException') throw error;
      found.push({ logicalId, tableName, state: 'create' });
    }
  }
  return { stackExists, tables: found };
}

/**
 * The template of the IMPORT change set: the stack's current template (or an empty one when there is no stack)
 * plus the retained tables exactly as the deploy declares them. CloudFormation imports only what the template
 * adds, each with a DeletionPolicy (Retain, here).
 */
function importTemplate(current, tables) {
  const template = current
    ? JSON.parse(JSON.stringify(current))
    : { AWSTemplateFormatVersion: '2010-09-09', Resources: {} };
  template.Resources ??= {};
  for (const { logicalId, resource } of tables) template.Resources[logicalId] = resource;
  if (!current) template.Description = 'ecr-sentinel: retained tables, imported before the next deploy';
  return template;
}

/** `'…'` for a POSIX shell. */
function shellQuote(text) {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${String(text).replace(/'/g, `'\\''`)}'`;
}

/**
 * The message that stops the deploy: which tables, why, and the exact commands of both ways on.
 * @param context { stackName, stage, region, profile?, templateFile, tables: [{ logicalId, tableName }] }
 */
function advice({ stackName, stage, region, profile, templateFile, tables }) {
  const aws = (args) =>
    ['aws', ...args, '--region', region, ...(profile ? ['--profile', profile] : [])]
      .map(shellQuote)
      .join(' ');
  const changeSet = 'ecr-sentinel-import-retained-tables';
  const deploy = ['npx', 'serverless', 'deploy', '--stage', stage, '--region', region]
    .concat(profile ? ['--aws-profile', profile] : [])
    .map(shellQuote)
    .join(' ');
  const names = tables.map((t) => `"${t.tableName}"`).join(', ');
  const toImport = JSON.stringify(
    tables.map((t) => ({
      ResourceType: 'AWS::DynamoDB::Table',
      LogicalResourceId: t.logicalId,
      ResourceIdentifier: { TableName: t.tableName },
    })),
  );
  return [
    `ecr-sentinel: DynamoDB table ${names} already exists in ${region} outside stack "${stackName}": it was kept`,
    '(DeletionPolicy: Retain) when the stack was removed, with the verdicts, promotions and cleanup records it',
    'holds. CloudFormation would fail creating it again, so nothing has been deployed. Either',
    '',
    '1. keep its data: import it into the stack (the template is written at',
    `   ${templateFile}), then deploy:`,
    `   ${aws(['cloudformation', 'create-change-set', '--stack-name', stackName, '--change-set-name', changeSet, '--change-set-type', 'IMPORT', '--resources-to-import', toImport, '--template-body', `file://${templateFile}`])}`,
    `   ${aws(['cloudformation', 'wait', 'change-set-create-complete', '--stack-name', stackName, '--change-set-name', changeSet])}`,
    `   ${aws(['cloudformation', 'execute-change-set', '--stack-name', stackName, '--change-set-name', changeSet])}`,
    `   ${aws(['cloudformation', 'wait', 'stack-import-complete', '--stack-name', stackName])}`,
    `   ${deploy}`,
    '',
    '2. or start with an empty table: back it up if it may be wanted, delete it, then deploy:',
    ...tables.flatMap((t) => [
      `   ${aws(['dynamodb', 'create-backup', '--table-name', t.tableName, '--backup-name', `${t.tableName}-before-redeploy`])}`,
      `   ${aws(['dynamodb', 'delete-table', '--table-name', t.tableName])}`,
      `   ${aws(['dynamodb', 'wait', 'table-not-exists', '--table-name', t.tableName])}`,
    ]),
    `   ${deploy}`,
  ].join('\n');
}

/**
 * The whole check: inspect, and when a retained table is in the way, write the import template and return the
 * advice (undefined when the deploy may go on).
 */
async function check({ clients, stackName, stage, region, profile, template, serviceDir }) {
  const tables = retainedTables(template);
  if (tables.length === 0) return undefined;
  const { stackExists, tables: states } = await inspect(clients, stackName, tables);
  const inTheWay = tables.filter((t) =>
    states.some((s) => s.logicalId === t.logicalId && s.state === 'retained'),
  );
  if (inTheWay.length === 0) return undefined;
  let current;
  if (stackExists) {
    const { GetTemplateCommand } = require('@aws-sdk/client-cloudformation');
    const { TemplateBody } = await clients.cloudFormation.send(
      new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }),
    );
    current = JSON.parse(TemplateBody ?? '{}');
  }
  const templateFile = path.join(serviceDir, IMPORT_TEMPLATE_DIR, `${stackName}-import-retained-tables.json`);
  mkdirSync(path.dirname(templateFile), { recursive: true });
  writeFileSync(templateFile, `${JSON.stringify(importTemplate(current, inTheWay), null, 2)}\n`);
  return advice({ stackName, stage, region, profile, templateFile, tables: inTheWay });
}

class RetainedTablePlugin {
  constructor(serverless, options = {}) {
    this.serverless = serverless;
    this.options = options;
    this.hooks = { 'before:aws:deploy:deploy:createStack': () => this.beforeDeploy() };
  }

  async beforeDeploy() {
    const provider = this.serverless.getProvider('aws');
    const config = await provider.getAwsSdkV3Config();
    const { CloudFormationClient } = require('@aws-sdk/client-cloudformation');
    const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
    const clients = {
      cloudFormation: new CloudFormationClient(config),
      dynamodb: new DynamoDBClient(config),
    };
    try {
      const message = await check({
        clients,
        stackName: provider.naming.getStackName(),
        stage: provider.getStage(),
        region: provider.getRegion(),
        profile: this.options['aws-profile'] ?? this.serverless.service.provider.profile,
        template: this.serverless.service.provider.compiledCloudFormationTemplate,
        serviceDir: this.serverless.serviceDir || this.serverless.config.servicePath,
      });
      if (message) {
        const ServerlessError = this.serverless.classes?.Error ?? Error;
        throw new ServerlessError(message, 'ECR_SENTINEL_RETAINED_TABLE');
      }
    } finally {
      clients.cloudFormation.destroy();
      clients.dynamodb.destroy();
    }
  }
}

module.exports = RetainedTablePlugin;
module.exports.retainedTables = retainedTables;
module.exports.inspect = inspect;
module.exports.importTemplate = importTemplate;
module.exports.advice = advice;
module.exports.check = check;
