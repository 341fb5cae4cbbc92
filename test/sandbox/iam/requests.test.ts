import { describe, expect, it } from 'vitest';
import type { AuthorizationRequest } from '../../../src/sandbox/iam/policy.ts';
import { authorizationRequests, type RequestFacts } from '../../../src/sandbox/iam/requests.ts';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** Facts of a json-protocol request with `body` serialised, in ACCOUNT and REGION. */
function json(
  service: string,
  action: string,
  body: unknown,
  extra: Partial<RequestFacts> = {},
): RequestFacts {
  return {
    service,
    action,
    protocol: 'json',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    query: '',
    region: REGION,
    accountId: ACCOUNT,
    ...extra,
  };
}

/** Facts of a query-protocol request whose form body holds `Action` and `params`. */
function query(service: string, action: string, params: Record<string, string>): RequestFacts {
  return {
    service,
    action,
    protocol: 'query',
    body: new URLSearchParams({ Action: action, Version: '2010-03-31', ...params }).toString(),
    query: '',
    region: REGION,
    accountId: ACCOUNT,
  };
}

function on(action: string, ...resources: string[]): AuthorizationRequest[] {
  return resources.map((resource) => ({ action, resource }));
}

describe('ECR', () => {
  const repo = (name: string, account = ACCOUNT) => `arn:aws:ecr:${REGION}:${account}:repository/${name}`;

  it.each<[string, unknown, AuthorizationRequest[]]>([
    ['PutImage', { repositoryName: 'team/app', imageManifest: '{}' }, on('ecr:PutImage', repo('team/app'))],
    ['BatchDeleteImage', { repositoryName: 'app', imageIds: [] }, on('ecr:BatchDeleteImage', repo('app'))],
    ['CreateRepository', { repositoryName: 'new' }, on('ecr:CreateRepository', repo('new'))],
    [
      'DescribeImageScanFindings',
      { repositoryName: 'app' },
      on('ecr:DescribeImageScanFindings', repo('app')),
    ],
    // registryId names the account whose repository is acted on.
    [
      'GetDownloadUrlForLayer',
      { registryId: '210987654321', repositoryName: 'base' },
      on('ecr:GetDownloadUrlForLayer', repo('base', '210987654321')),
    ],
    ['GetAuthorizationToken', {}, on('ecr:GetAuthorizationToken', '*')],
    ['DescribeRegistry', {}, on('ecr:DescribeRegistry', '*')],
    ['GetRegistryPolicy', {}, on('ecr:GetRegistryPolicy', '*')],
    ['GetRegistryScanningConfiguration', {}, on('ecr:GetRegistryScanningConfiguration', '*')],
    [
      'PutRegistryScanningConfiguration',
      { scanType: 'ENHANCED' },
      on('ecr:PutRegistryScanningConfiguration', '*'),
    ],
    [
      'PutReplicationConfiguration',
      { replicationConfiguration: {} },
      on('ecr:PutReplicationConfiguration', '*'),
    ],
    ['DescribePullThroughCacheRules', {}, on('ecr:DescribePullThroughCacheRules', '*')],
    ['GetAccountSetting', { name: 'BASIC_SCAN_TYPE_VERSION' }, on('ecr:GetAccountSetting', '*')],
    [
      'PutAccountSetting',
      { name: 'BASIC_SCAN_TYPE_VERSION', value: 'AWS_NATIVE' },
      on('ecr:PutAccountSetting', '*'),
    ],
    // A registry-wide action stays on `*` even if its body names a repository.
    ['GetAuthorizationToken', { repositoryName: 'app' }, on('ecr:GetAuthorizationToken', '*')],
    ['DescribeRepositories', {}, on('ecr:DescribeRepositories', repo('*'))],
    [
      'DescribeRepositories',
      { repositoryNames: ['a', 'b', 'a'] },
      on('ecr:DescribeRepositories', repo('a'), repo('b')),
    ],
    [
      'DescribeRepositories',
      { registryId: '210987654321' },
      on('ecr:DescribeRepositories', repo('*', '210987654321')),
    ],
    [
      'BatchGetRepositoryScanningConfiguration',
      { repositoryNames: ['a', 'b'] },
      on('ecr:BatchGetRepositoryScanningConfiguration', repo('a'), repo('b')),
    ],
    ['TagResource', { resourceArn: repo('app'), tags: [] }, on('ecr:TagResource', repo('app'))],
    // No IAM action of its own: API_ListImageReferrers.html says the caller needs ecr:BatchGetImage.
    [
      'ListImageReferrers',
      { repositoryName: 'app', subjectId: { imageDigest: 'sha256:abc' }, registryId: '210987654321' },
      on('ecr:BatchGetImage', repo('app', '210987654321')),
    ],
    // Archive and the lifecycle preview act on the repository the body names, like every repository action.
    [
      'UpdateImageStorageClass',
      { repositoryName: 'app', imageId: { imageTag: 'v1' }, targetStorageClass: 'ARCHIVE' },
      on('ecr:UpdateImageStorageClass', repo('app')),
    ],
    [
      'StartLifecyclePolicyPreview',
      { repositoryName: 'app' },
      on('ecr:StartLifecyclePolicyPreview', repo('app')),
    ],
    [
      'GetLifecyclePolicyPreview',
      { repositoryName: 'app' },
      on('ecr:GetLifecyclePolicyPreview', repo('app')),
    ],
  ])('%s %j', (action, body, expected) => {
    expect(authorizationRequests(json('ecr', action, body))).toEqual(expected);
  });

  it('asks for inspector2:ListFindings too when the registry scans with Amazon Inspector', () => {
    const facts = json(
      'ecr',
      'DescribeImageScanFindings',
      { repositoryName: 'app' },
      { ecrScanType: 'ENHANCED' },
    );

    expect(authorizationRequests(facts)).toEqual([
      { action: 'ecr:DescribeImageScanFindings', resource: repo('app') },
      { action: 'inspector2:ListFindings', resource: '*' },
    ]);
  });

  it('asks only for ecr:DescribeImageScanFindings with basic scanning', () => {
    const facts = json(
      'ecr',
      'DescribeImageScanFindings',
      { repositoryName: 'app' },
      { ecrScanType: 'BASIC' },
    );

    expect(authorizationRequests(facts)).toEqual(on('ecr:DescribeImageScanFindings', repo('app')));
  });

  it('asks for inspector2:ListFindings only for reading findings', () => {
    const facts = json('ecr', 'StartImageScan', { repositoryName: 'app' }, { ecrScanType: 'ENHANCED' });

    expect(authorizationRequests(facts)).toEqual(on('ecr:StartImageScan', repo('app')));
  });

  it('uses the partition of China regions', () => {
    const facts = json('ecr', 'PutImage', { repositoryName: 'app' }, { region: 'cn-north-1' });

    expect(authorizationRequests(facts)).toEqual(
      on('ecr:PutImage', `arn:aws-cn:ecr:cn-north-1:${ACCOUNT}:repository/app`),
    );
  });
});

describe('DynamoDB', () => {
  const table = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
  const otherTable = 'arn:aws:dynamodb:eu-west-1:210987654321:table/shared';

  it.each<[string, unknown, AuthorizationRequest[]]>([
    ['GetItem', { TableName: 'sentinel', Key: {} }, on('dynamodb:GetItem', table('sentinel'))],
    ['UpdateItem', { TableName: 'sentinel', Key: {} }, on('dynamodb:UpdateItem', table('sentinel'))],
    ['PutItem', { TableName: otherTable, Item: {} }, on('dynamodb:PutItem', otherTable)],
    ['Query', { TableName: 'sentinel' }, on('dynamodb:Query', table('sentinel'))],
    [
      'Query',
      { TableName: 'sentinel', IndexName: 'GSI1' },
      on('dynamodb:Query', `${table('sentinel')}/index/GSI1`),
    ],
    [
      'Scan',
      { TableName: 'sentinel', IndexName: 'GSI1' },
      on('dynamodb:Scan', `${table('sentinel')}/index/GSI1`),
    ],
    [
      'BatchWriteItem',
      { RequestItems: { sentinel: [], idempotency: [] } },
      on('dynamodb:BatchWriteItem', table('sentinel'), table('idempotency')),
    ],
    [
      'BatchGetItem',
      { RequestItems: { sentinel: {}, [otherTable]: {} } },
      on('dynamodb:BatchGetItem', table('sentinel'), otherTable),
    ],
    ['ListTables', {}, on('dynamodb:ListTables', '*')],
    ['DescribeTable', { TableName: 'sentinel' }, on('dynamodb:DescribeTable', table('sentinel'))],
  ])('%s %j', (action, body, expected) => {
    expect(authorizationRequests(json('dynamodb', action, body))).toEqual(expected);
  });

  it('authorises TransactWriteItems item by item with the underlying actions, deduplicated', () => {
    // Prepare
    const body = {
      TransactItems: [
        { Put: { TableName: 'sentinel', Item: {} } },
        { Put: { TableName: 'sentinel', Item: {} } },
        { Update: { TableName: 'sentinel', Key: {} } },
        { Delete: { TableName: 'audit', Key: {} } },
        { ConditionCheck: { TableName: otherTable, Key: {} } },
      ],
    };

    // Act
    const requests = authorizationRequests(json('dynamodb', 'TransactWriteItems', body));

    // Assess
    const context = { 'dynamodb:EnclosingOperation': 'TransactWriteItems' };
    expect(requests).toEqual([
      { action: 'dynamodb:PutItem', resource: table('sentinel'), context },
      { action: 'dynamodb:UpdateItem', resource: table('sentinel'), context },
      { action: 'dynamodb:DeleteItem', resource: table('audit'), context },
      { action: 'dynamodb:ConditionCheckItem', resource: otherTable, context },
    ]);
  });

  it('authorises TransactGetItems with GetItem per table', () => {
    const body = {
      TransactItems: [
        { Get: { TableName: 'sentinel', Key: {} } },
        { Get: { TableName: 'audit', Key: {} } },
        { Get: { TableName: 'sentinel', Key: {} } },
      ],
    };

    const context = { 'dynamodb:EnclosingOperation': 'TransactGetItems' };
    expect(authorizationRequests(json('dynamodb', 'TransactGetItems', body))).toEqual([
      { action: 'dynamodb:GetItem', resource: table('sentinel'), context },
      { action: 'dynamodb:GetItem', resource: table('audit'), context },
    ]);
  });

  it.each<[string, unknown]>([
    ['TransactWriteItems', { TransactItems: [{ Put: { Item: {} } }] }],
    ['TransactWriteItems', { TransactItems: 'x' }],
    ['TransactWriteItems', { TransactItems: [{ Put: { TableName: 'a' }, Delete: { TableName: 'b' } }] }],
    ['BatchWriteItem', { RequestItems: {} }],
    ['BatchWriteItem', { RequestItems: [] }],
    ['GetItem', { TableName: 7 }],
    ['GetItem', { TableName: '' }],
  ])('judges %s with an unreadable body %j on *', (action, body) => {
    expect(authorizationRequests(json('dynamodb', action, body))).toEqual(on(`dynamodb:${action}`, '*'));
  });
});

describe('SNS', () => {
  const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:sentinel-alerts`;
  const subscription = `${topic}:0f0e3c1a-1111-2222-3333-444455556666`;
  const endpoint = `arn:aws:sns:${REGION}:${ACCOUNT}:endpoint/GCM/app/abc`;

  it.each<[string, Record<string, string>, AuthorizationRequest[]]>([
    ['Publish', { TopicArn: topic, Message: 'a&b=c' }, on('sns:Publish', topic)],
    ['Publish', { TargetArn: endpoint, Message: 'hi' }, on('sns:Publish', endpoint)],
    ['Publish', { PhoneNumber: '+15555550100', Message: 'hi' }, on('sns:Publish', '*')],
    ['PublishBatch', { TopicArn: topic }, on('sns:PublishBatch', topic)],
    [
      'Subscribe',
      { TopicArn: topic, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:x' },
      on('sns:Subscribe', topic),
    ],
    ['GetTopicAttributes', { TopicArn: topic }, on('sns:GetTopicAttributes', topic)],
    [
      'SetTopicAttributes',
      { TopicArn: topic, AttributeName: 'DisplayName' },
      on('sns:SetTopicAttributes', topic),
    ],
    ['DeleteTopic', { TopicArn: topic }, on('sns:DeleteTopic', topic)],
    ['ListSubscriptionsByTopic', { TopicArn: topic }, on('sns:ListSubscriptionsByTopic', topic)],
    ['CreateTopic', { Name: 'sentinel-alerts' }, on('sns:CreateTopic', topic)],
    ['ListTopics', {}, on('sns:ListTopics', '*')],
    ['Unsubscribe', { SubscriptionArn: subscription }, on('sns:Unsubscribe', subscription)],
    [
      'GetSubscriptionAttributes',
      { SubscriptionArn: subscription },
      on('sns:GetSubscriptionAttributes', subscription),
    ],
    ['Publish', { Message: 'no target' }, on('sns:Publish', '*')],
  ])('%s %j (query protocol)', (action, params, expected) => {
    expect(authorizationRequests(query('sns', action, params))).toEqual(expected);
  });

  it('reads the topic of a json-protocol request', () => {
    const facts = json('sns', 'Publish', { TopicArn: topic, Message: 'hi' });

    expect(authorizationRequests(facts)).toEqual(on('sns:Publish', topic));
  });

  it('reads query parameters from the URL of a GET request', () => {
    const facts: RequestFacts = {
      ...query('sns', 'GetTopicAttributes', {}),
      body: '',
      query: `Action=GetTopicAttributes&TopicArn=${encodeURIComponent(topic)}`,
    };

    expect(authorizationRequests(facts)).toEqual(on('sns:GetTopicAttributes', topic));
  });

  it('decodes a form body as the SDK sends it', () => {
    const facts: RequestFacts = {
      ...query('sns', 'Publish', {}),
      body: 'Action=Publish&Message=a+b%26c&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Asentinel-alerts&Version=2010-03-31',
    };

    expect(authorizationRequests(facts)).toEqual(on('sns:Publish', topic));
  });
});

describe('SQS', () => {
  const queue = (name: string, account = ACCOUNT) => `arn:aws:sqs:${REGION}:${account}:${name}`;

  it.each<[string, unknown, AuthorizationRequest[]]>([
    [
      'SendMessage',
      { QueueUrl: `http://127.0.0.1:4566/${ACCOUNT}/cleanup`, MessageBody: 'x' },
      on('sqs:SendMessage', queue('cleanup')),
    ],
    [
      'ReceiveMessage',
      { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/210987654321/shared.fifo' },
      on('sqs:ReceiveMessage', queue('shared.fifo', '210987654321')),
    ],
    [
      'SendMessageBatch',
      { QueueUrl: `http://localhost:4566/${ACCOUNT}/cleanup`, Entries: [] },
      on('sqs:SendMessage', queue('cleanup')),
    ],
    [
      'DeleteMessageBatch',
      { QueueUrl: `http://localhost:4566/${ACCOUNT}/cleanup`, Entries: [] },
      on('sqs:DeleteMessage', queue('cleanup')),
    ],
    [
      'ChangeMessageVisibilityBatch',
      { QueueUrl: `http://localhost:4566/${ACCOUNT}/cleanup`, Entries: [] },
      on('sqs:ChangeMessageVisibility', queue('cleanup')),
    ],
    ['GetQueueUrl', { QueueName: 'cleanup' }, on('sqs:GetQueueUrl', queue('cleanup'))],
    [
      'GetQueueUrl',
      { QueueName: 'shared', QueueOwnerAWSAccountId: '210987654321' },
      on('sqs:GetQueueUrl', queue('shared', '210987654321')),
    ],
    ['CreateQueue', { QueueName: 'new', Attributes: {} }, on('sqs:CreateQueue', queue('new'))],
    ['ListQueues', {}, on('sqs:ListQueues', '*')],
    ['SendMessage', { QueueUrl: 'not a url' }, on('sqs:SendMessage', '*')],
    ['SendMessage', { QueueUrl: 'http://localhost:4566/' }, on('sqs:SendMessage', '*')],
    ['SendMessageBatch', '{"QueueUrl": ', on('sqs:SendMessage', '*')],
  ])('%s %j (json protocol)', (action, body, expected) => {
    expect(authorizationRequests(json('sqs', action, body))).toEqual(expected);
  });

  it('reads the queue of a query-protocol request', () => {
    const facts = query('sqs', 'SendMessageBatch', { QueueUrl: `http://localhost:4566/${ACCOUNT}/cleanup` });

    expect(authorizationRequests(facts)).toEqual(on('sqs:SendMessage', queue('cleanup')));
  });
});

describe('SSM', () => {
  const parameter = (path: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${path}`;

  it.each<[string, unknown, AuthorizationRequest[]]>([
    [
      'GetParameter',
      { Name: '/sentinel/slack-webhook', WithDecryption: true },
      on('ssm:GetParameter', parameter('sentinel/slack-webhook')),
    ],
    ['GetParameter', { Name: 'plain' }, on('ssm:GetParameter', parameter('plain'))],
    [
      'GetParameter',
      { Name: '/sentinel/slack-webhook:3' },
      on('ssm:GetParameter', parameter('sentinel/slack-webhook')),
    ],
    ['GetParameter', { Name: parameter('sentinel/x') }, on('ssm:GetParameter', parameter('sentinel/x'))],
    [
      'GetParameter',
      { Name: `${parameter('sentinel/x')}:prod` },
      on('ssm:GetParameter', parameter('sentinel/x')),
    ],
    ['PutParameter', { Name: '/a/b', Value: 'v', Type: 'String' }, on('ssm:PutParameter', parameter('a/b'))],
    ['DeleteParameter', { Name: '/a/b' }, on('ssm:DeleteParameter', parameter('a/b'))],
    [
      'GetParameters',
      { Names: ['/a', 'b', parameter('c/d')] },
      on('ssm:GetParameters', parameter('a'), parameter('b'), parameter('c/d')),
    ],
    ['DeleteParameters', { Names: ['/a', '/b'] }, on('ssm:DeleteParameters', parameter('a'), parameter('b'))],
    [
      'GetParametersByPath',
      { Path: '/sentinel', Recursive: true },
      on('ssm:GetParametersByPath', parameter('sentinel')),
    ],
    ['DescribeParameters', {}, on('ssm:DescribeParameters', '*')],
    [
      'AddTagsToResource',
      { ResourceType: 'Parameter', ResourceId: '/a/b', Tags: [] },
      on('ssm:AddTagsToResource', parameter('a/b')),
    ],
    ['GetParameters', { Names: [] }, on('ssm:GetParameters', '*')],
    ['GetParameters', { Names: ['/a', 3] }, on('ssm:GetParameters', '*')],
    ['GetParameter', {}, on('ssm:GetParameter', '*')],
  ])('%s %j', (action, body, expected) => {
    expect(authorizationRequests(json('ssm', action, body))).toEqual(expected);
  });
});

describe('EventBridge', () => {
  const bus = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
  const rule = (path: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${path}`;
  const otherBus = 'arn:aws:events:us-east-1:210987654321:event-bus/central';

  it.each<[string, unknown, AuthorizationRequest[]]>([
    [
      'PutEvents',
      { Entries: [{ Source: 'a' }, { Source: 'b', EventBusName: 'default' }] },
      on('events:PutEvents', bus('default')),
    ],
    [
      'PutEvents',
      { Entries: [{ EventBusName: 'audit' }, { EventBusName: otherBus }, {}, { EventBusName: 'audit' }] },
      on('events:PutEvents', bus('audit'), otherBus, bus('default')),
    ],
    ['PutRule', { Name: 'scan-done', EventPattern: '{}' }, on('events:PutRule', rule('scan-done'))],
    ['PutRule', { Name: 'scan-done', EventBusName: 'audit' }, on('events:PutRule', rule('audit/scan-done'))],
    ['PutRule', { Name: 'scan-done', EventBusName: 'default' }, on('events:PutRule', rule('scan-done'))],
    [
      'PutRule',
      { Name: 'scan-done', EventBusName: bus('audit') },
      on('events:PutRule', rule('audit/scan-done')),
    ],
    ['DeleteRule', { Name: 'scan-done' }, on('events:DeleteRule', rule('scan-done'))],
    ['DescribeRule', { Name: 'scan-done' }, on('events:DescribeRule', rule('scan-done'))],
    ['PutTargets', { Rule: 'scan-done', Targets: [] }, on('events:PutTargets', rule('scan-done'))],
    [
      'RemoveTargets',
      { Rule: 'scan-done', EventBusName: 'audit', Ids: [] },
      on('events:RemoveTargets', rule('audit/scan-done')),
    ],
    ['ListRules', {}, on('events:ListRules', '*')],
    ['PutEvents', { Entries: [] }, on('events:PutEvents', '*')],
    ['PutEvents', { Entries: ['x'] }, on('events:PutEvents', '*')],
    ['PutTargets', { Targets: [] }, on('events:PutTargets', '*')],
  ])('%s %j', (action, body, expected) => {
    expect(authorizationRequests(json('events', action, body))).toEqual(expected);
  });
});

describe('STS', () => {
  it('needs no permission for GetCallerIdentity', () => {
    expect(authorizationRequests(query('sts', 'GetCallerIdentity', {}))).toEqual([]);
  });

  it('needs no permission for GetCallerIdentity even with an unreadable body', () => {
    expect(authorizationRequests(json('sts', 'GetCallerIdentity', '{'))).toEqual([]);
  });

  it('authorises AssumeRole on the role', () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/sentinel-dev-promote`;

    expect(
      authorizationRequests(query('sts', 'AssumeRole', { RoleArn: role, RoleSessionName: 's' })),
    ).toEqual(on('sts:AssumeRole', role));
  });
});

describe('anything else', () => {
  it('judges an unmapped service as an action without resource-level permissions', () => {
    expect(authorizationRequests(json('logs', 'PutLogEvents', { logGroupName: '/aws/lambda/x' }))).toEqual(
      on('logs:PutLogEvents', '*'),
    );
  });

  it('judges an unmapped action of a mapped service on *', () => {
    expect(authorizationRequests(json('sqs', 'ListQueueTags', {}))).toEqual(on('sqs:ListQueueTags', '*'));
  });

  it.each<[string, string]>([
    ['ecr', 'PutImage'],
    ['dynamodb', 'BatchWriteItem'],
    ['ssm', 'GetParameters'],
    ['events', 'PutEvents'],
  ])('judges %s:%s with a body that is not JSON on *', (service, action) => {
    expect(authorizationRequests(json(service, action, '{"oops'))).toEqual(on(`${service}:${action}`, '*'));
  });

  it.each(['null', '[]', '"text"', '42'])('judges a JSON body %s that is not an object on *', (body) => {
    expect(authorizationRequests(json('ecr', 'PutImage', body))).toEqual(on('ecr:PutImage', '*'));
  });

  it('reads an empty json body as an empty input', () => {
    expect(authorizationRequests(json('ecr', 'DescribeRepositories', ''))).toEqual(
      on('ecr:DescribeRepositories', `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/*`),
    );
  });

  it('does not reach Object.prototype for an action named like one of its members', () => {
    expect(authorizationRequests(json('ecr', 'constructor', {}))).toEqual(on('ecr:constructor', '*'));
    expect(authorizationRequests(json('toString', 'hasOwnProperty', {}))).toEqual(
      on('toString:hasOwnProperty', '*'),
    );
  });

  it('judges a REST-protocol request of a mapped service on *', () => {
    const facts: RequestFacts = { ...json('sns', 'Publish', {}), protocol: 'rest', body: '' };

    expect(authorizationRequests(facts)).toEqual(on('sns:Publish', '*'));
  });
});
