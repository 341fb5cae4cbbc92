/**
 * Which IAM (action, resource) pairs an AWS API request needs allowed, read from the request as the edge sees it
 * (signing name, API action, protocol, body). Pure: no SDK, no environment, no I/O.
 *
 * The resource of each action comes from the service's "Actions, resources, and condition keys" page of the
 * Service Authorization Reference; an action listed there without a resource type is authorised on `*`.
 * A request the mapping does not know (another service, another action) is judged the same way, as an action
 * without resource-level permissions: `service:Action` on `*`. A body that cannot be read (bad JSON, a missing
 * field) never throws: the request is judged on `*`, and the service answers with its own validation error.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */
import type { AuthorizationRequest } from './policy.ts';
import {
  arn,
  distinct,
  isArn,
  isRecord,
  lookup,
  nonEmpty,
  paramsOf,
  partitionOf,
  type RequestFacts,
  type RequestRule,
  type ResourceRule,
  type Scope,
  stringList,
} from './request-scope.ts';
import { ecsResources, lambdaResources } from './requests-compute.ts';

export type { RequestFacts };

// ---------------------------------------------------------------------------------------------------------------
// Amazon ECR
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html

/**
 * `registryId` names the registry (the account) a request acts on; it defaults to the caller's account. The
 * repository ARN carries that account, so a cross-account request is judged on the other account's repository.
 */
function ecrRepositoryArn(scope: Scope, name: string): string {
  return arn(scope, 'ecr', `repository/${name}`, scope.params.string('registryId') ?? scope.facts.accountId);
}

/**
 * ECR actions without a resource type in the Service Authorization Reference (registry-wide settings, pull
 * through cache, repository creation templates, account settings, signing configuration, pull time update
 * exclusions): authorised on `*` whatever the body says.
 */
const ECR_ACTIONS_ON_ANY_RESOURCE = new Set([
  'GetAuthorizationToken',
  'DescribeRegistry',
  'GetRegistryPolicy',
  'PutRegistryPolicy',
  'DeleteRegistryPolicy',
  'GetRegistryScanningConfiguration',
  'PutRegistryScanningConfiguration',
  'PutReplicationConfiguration',
  'CreatePullThroughCacheRule',
  'DeletePullThroughCacheRule',
  'DescribePullThroughCacheRules',
  'UpdatePullThroughCacheRule',
  'ValidatePullThroughCacheRule',
  'CreateRepositoryCreationTemplate',
  'DeleteRepositoryCreationTemplate',
  'DescribeRepositoryCreationTemplates',
  'UpdateRepositoryCreationTemplate',
  'GetAccountSetting',
  'PutAccountSetting',
  'PutSigningConfiguration',
  'GetSigningConfiguration',
  'DeleteSigningConfiguration',
  'RegisterPullTimeUpdateExclusion',
  'DeregisterPullTimeUpdateExclusion',
  'ListPullTimeUpdateExclusions',
]);

/** ECR actions whose resources are not the single `repositoryName` of the body. */
const ECR_RESOURCES: Readonly<Record<string, ResourceRule>> = {
  // Without `repositoryNames`, DescribeRepositories lists every repository of the registry.
  DescribeRepositories: (scope) => {
    if (scope.params.raw('repositoryNames') === undefined) return [ecrRepositoryArn(scope, '*')];
    return stringList(scope.params.raw('repositoryNames'))?.map((name) => ecrRepositoryArn(scope, name));
  },
  BatchGetRepositoryScanningConfiguration: (scope) =>
    stringList(scope.params.raw('repositoryNames'))?.map((name) => ecrRepositoryArn(scope, name)),
  // Tagging names the repository by ARN.
  ListTagsForResource: (scope) => arnParam(scope, 'resourceArn'),
  TagResource: (scope) => arnParam(scope, 'resourceArn'),
  UntagResource: (scope) => arnParam(scope, 'resourceArn'),
};

function arnParam(scope: Scope, name: string): string[] | undefined {
  const value = scope.params.string(name);
  return value === undefined ? undefined : [value];
}

/**
 * ListImageReferrers has no IAM action of its own: "The IAM principal invoking this operation must have the
 * `ecr:BatchGetImage` permission."
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListImageReferrers.html
 */
const ECR_IAM_ACTIONS: Readonly<Record<string, string>> = { ListImageReferrers: 'BatchGetImage' };

const ecrResources: ResourceRule = (scope) => {
  const { action } = scope.facts;
  if (ECR_ACTIONS_ON_ANY_RESOURCE.has(action)) return ['*'];
  const rule = lookup(ECR_RESOURCES, action);
  if (rule !== undefined) return rule(scope);
  const name = scope.params.string('repositoryName');
  return name === undefined ? undefined : [ecrRepositoryArn(scope, name)];
};

// ---------------------------------------------------------------------------------------------------------------
// Amazon DynamoDB
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html

/** A table named by name or by ARN (DynamoDB accepts both wherever it takes a table name). */
function tableArn(scope: Scope, table: string): string {
  return isArn(table) ? table : arn(scope, 'dynamodb', `table/${table}`);
}

/** The operation of each transaction item, and the IAM action that governs it. */
const TRANSACTION_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

/**
 * Transactions are authorised item by item with the underlying actions (PutItem, UpdateItem, DeleteItem,
 * ConditionCheckItem, GetItem), each in the context `dynamodb:EnclosingOperation` = the transaction.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
 */
const dynamodbTransaction: RequestRule = (scope) => {
  const items = scope.params.raw('TransactItems');
  if (!Array.isArray(items) || items.length === 0) return undefined;
  const requests: AuthorizationRequest[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    if (!isRecord(item)) return undefined;
    const operations = Object.keys(item).filter((key) => Object.hasOwn(TRANSACTION_ITEM_ACTIONS, key));
    if (operations.length !== 1) return undefined;
    const operation = operations[0] as string;
    const detail = item[operation];
    const table = isRecord(detail) ? nonEmpty(detail.TableName) : undefined;
    if (table === undefined) return undefined;
    const action = lookup(TRANSACTION_ITEM_ACTIONS, operation) as string;
    const resource = tableArn(scope, table);
    if (seen.has(`${action} ${resource}`)) continue;
    seen.add(`${action} ${resource}`);
    requests.push({ action, resource, context: { 'dynamodb:EnclosingOperation': scope.facts.action } });
  }
  return requests;
};

const DYNAMODB_REQUESTS: Readonly<Record<string, RequestRule>> = {
  TransactWriteItems: dynamodbTransaction,
  TransactGetItems: dynamodbTransaction,
};

/** Batch actions: one resource per table named in `RequestItems` (names or ARNs). */
const dynamodbBatch: ResourceRule = (scope) => {
  const items = scope.params.raw('RequestItems');
  if (!isRecord(items)) return undefined;
  const tables = Object.keys(items);
  return tables.length === 0 ? undefined : tables.map((table) => tableArn(scope, table));
};

/** Query and Scan of an index act on the index resource. */
const dynamodbIndexed: ResourceRule = (scope) => {
  const table = scope.params.string('TableName');
  if (table === undefined) return undefined;
  const index = scope.params.string('IndexName');
  return [index === undefined ? tableArn(scope, table) : `${tableArn(scope, table)}/index/${index}`];
};

const DYNAMODB_RESOURCES: Readonly<Record<string, ResourceRule>> = {
  BatchWriteItem: dynamodbBatch,
  BatchGetItem: dynamodbBatch,
  Query: dynamodbIndexed,
  Scan: dynamodbIndexed,
  ListTables: () => ['*'],
  // Tagging names the table by ARN.
  ListTagsOfResource: (scope) => arnParam(scope, 'ResourceArn'),
  TagResource: (scope) => arnParam(scope, 'ResourceArn'),
  UntagResource: (scope) => arnParam(scope, 'ResourceArn'),
};

const dynamodbResources: ResourceRule = (scope) => {
  const rule = lookup(DYNAMODB_RESOURCES, scope.facts.action);
  if (rule !== undefined) return rule(scope);
  const table = scope.params.string('TableName');
  return table === undefined ? undefined : [tableArn(scope, table)];
};

// ---------------------------------------------------------------------------------------------------------------
// Amazon SNS
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html

/** SNS actions and the parameter that holds the ARN they act on. */
const SNS_ARN_PARAMS: Readonly<Record<string, string>> = {
  PublishBatch: 'TopicArn',
  Subscribe: 'TopicArn',
  ConfirmSubscription: 'TopicArn',
  GetTopicAttributes: 'TopicArn',
  SetTopicAttributes: 'TopicArn',
  DeleteTopic: 'TopicArn',
  ListSubscriptionsByTopic: 'TopicArn',
  AddPermission: 'TopicArn',
  RemovePermission: 'TopicArn',
  GetDataProtectionPolicy: 'ResourceArn',
  PutDataProtectionPolicy: 'ResourceArn',
  Unsubscribe: 'SubscriptionArn',
  GetSubscriptionAttributes: 'SubscriptionArn',
  SetSubscriptionAttributes: 'SubscriptionArn',
  ListTagsForResource: 'ResourceArn',
  TagResource: 'ResourceArn',
  UntagResource: 'ResourceArn',
};

const SNS_RESOURCES: Readonly<Record<string, ResourceRule>> = {
  // Publish names a topic (`TopicArn`) or a mobile endpoint (`TargetArn`); a direct SMS (`PhoneNumber`) has no
  // resource, which the fallback to `*` covers.
  Publish: (scope) => arnParam(scope, 'TopicArn') ?? arnParam(scope, 'TargetArn'),
  CreateTopic: (scope) => {
    const name = scope.params.string('Name');
    return name === undefined ? undefined : [arn(scope, 'sns', name)];
  },
  ListTopics: () => ['*'],
  ListSubscriptions: () => ['*'],
};

const snsResources: ResourceRule = (scope) => {
  const rule = lookup(SNS_RESOURCES, scope.facts.action);
  if (rule !== undefined) return rule(scope);
  const param = lookup(SNS_ARN_PARAMS, scope.facts.action);
  return param === undefined ? undefined : arnParam(scope, param);
};

// ---------------------------------------------------------------------------------------------------------------
// Amazon SQS
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html

/**
 * A queue URL's last two path segments are the owner account and the queue name, on AWS
 * (`https://sqs.us-east-1.amazonaws.com/123456789012/name`) and locally (`http://localhost:4566/123…/name`).
 * The region is the request's (the credential scope's), where the queue must live.
 */
function queueArnFromUrl(scope: Scope, url: string): string | undefined {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const segments = path.split('/').filter((segment) => segment !== '');
  const account = segments.at(-2);
  const name = segments.at(-1);
  if (account === undefined || name === undefined) return undefined;
  return arn(scope, 'sqs', name, decodeURIComponent(account));
}

/** Batch actions are authorised with the single-message action. */
const SQS_IAM_ACTIONS: Readonly<Record<string, string>> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

const SQS_RESOURCES: Readonly<Record<string, ResourceRule>> = {
  GetQueueUrl: (scope) => {
    const name = scope.params.string('QueueName');
    if (name === undefined) return undefined;
    return [arn(scope, 'sqs', name, scope.params.string('QueueOwnerAWSAccountId') ?? scope.facts.accountId)];
  },
  CreateQueue: (scope) => {
    const name = scope.params.string('QueueName');
    return name === undefined ? undefined : [arn(scope, 'sqs', name)];
  },
  ListQueues: () => ['*'],
  // Message move tasks name queues by ARN.
  StartMessageMoveTask: (scope) => arnParam(scope, 'SourceArn'),
  ListMessageMoveTasks: (scope) => arnParam(scope, 'SourceArn'),
};

const sqsResources: ResourceRule = (scope) => {
  const rule = lookup(SQS_RESOURCES, scope.facts.action);
  if (rule !== undefined) return rule(scope);
  const url = scope.params.string('QueueUrl');
  const queue = url === undefined ? undefined : queueArnFromUrl(scope, url);
  return queue === undefined ? undefined : [queue];
};

// ---------------------------------------------------------------------------------------------------------------
// AWS Systems Manager (Parameter Store)
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html

/**
 * A parameter named by name (`/a/b`, `b`) or ARN, possibly with a version or label selector (`/a/b:3`,
 * `/a/b:prod`) which is not part of the resource: `arn:…:parameter/a/b`.
 */
function parameterArn(scope: Scope, name: string): string {
  if (isArn(name)) {
    const marker = ':parameter/';
    const at = name.indexOf(marker);
    if (at === -1) return name;
    const path = name.slice(at + marker.length);
    const selector = path.indexOf(':');
    return selector === -1 ? name : name.slice(0, at + marker.length + selector);
  }
  const selector = name.indexOf(':');
  const bare = selector === -1 ? name : name.slice(0, selector);
  return arn(scope, 'ssm', `parameter/${bare.replace(/^\//, '')}`);
}

const ssmNames: ResourceRule = (scope) =>
  stringList(scope.params.raw('Names'))?.map((name) => parameterArn(scope, name));

const SSM_RESOURCES: Readonly<Record<string, ResourceRule>> = {
  GetParameters: ssmNames,
  DeleteParameters: ssmNames,
  GetParametersByPath: (scope) => {
    const path = scope.params.string('Path');
    return path === undefined ? undefined : [parameterArn(scope, path)];
  },
  DescribeParameters: () => ['*'],
  // Tagging a parameter names it by type and id.
  AddTagsToResource: ssmTaggedParameter,
  RemoveTagsFromResource: ssmTaggedParameter,
  ListTagsForResource: ssmTaggedParameter,
};

function ssmTaggedParameter(scope: Scope): string[] | undefined {
  const id = scope.params.string('ResourceId');
  if (scope.params.string('ResourceType') !== 'Parameter' || id === undefined) return undefined;
  return [parameterArn(scope, id)];
}

const ssmResources: ResourceRule = (scope) => {
  const rule = lookup(SSM_RESOURCES, scope.facts.action);
  if (rule !== undefined) return rule(scope);
  const name = scope.params.string('Name');
  return name === undefined ? undefined : [parameterArn(scope, name)];
};

// ---------------------------------------------------------------------------------------------------------------
// Amazon EventBridge
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html

/** An event bus's name, from a name or an ARN (`arn:…:event-bus/name`). */
function busName(value: string): string {
  return isArn(value) ? value.slice(value.lastIndexOf('/') + 1) : value;
}

function busArn(scope: Scope, bus: string): string {
  return isArn(bus) ? bus : arn(scope, 'events', `event-bus/${bus}`);
}

/** A rule ARN: `rule/name` on the default bus, `rule/bus/name` on any other. */
function ruleArn(scope: Scope, nameParam: 'Name' | 'Rule'): string[] | undefined {
  const name = scope.params.string(nameParam);
  if (name === undefined) return undefined;
  if (isArn(name)) return [name];
  const bus = busName(scope.params.string('EventBusName') ?? 'default');
  return [arn(scope, 'events', bus === 'default' ? `rule/${name}` : `rule/${bus}/${name}`)];
}

const EVENTS_RESOURCES: Readonly<Record<string, ResourceRule>> = {
  // One resource per distinct bus of the entries; an entry without a bus goes to `default`.
  PutEvents: (scope) => {
    const entries = scope.params.raw('Entries');
    if (!Array.isArray(entries) || entries.length === 0 || !entries.every(isRecord)) return undefined;
    return distinct(entries.map((entry) => busArn(scope, nonEmpty(entry.EventBusName) ?? 'default')));
  },
  PutRule: (scope) => ruleArn(scope, 'Name'),
  DeleteRule: (scope) => ruleArn(scope, 'Name'),
  DescribeRule: (scope) => ruleArn(scope, 'Name'),
  EnableRule: (scope) => ruleArn(scope, 'Name'),
  DisableRule: (scope) => ruleArn(scope, 'Name'),
  PutTargets: (scope) => ruleArn(scope, 'Rule'),
  RemoveTargets: (scope) => ruleArn(scope, 'Rule'),
  ListTargetsByRule: (scope) => ruleArn(scope, 'Rule'),
  CreateEventBus: (scope) => busParam(scope, 'Name'),
  DescribeEventBus: (scope) => busParam(scope, 'Name') ?? [busArn(scope, 'default')],
  DeleteEventBus: (scope) => busParam(scope, 'Name'),
  ListTagsForResource: (scope) => arnParam(scope, 'ResourceARN'),
  TagResource: (scope) => arnParam(scope, 'ResourceARN'),
  UntagResource: (scope) => arnParam(scope, 'ResourceARN'),
};

function busParam(scope: Scope, name: string): string[] | undefined {
  const bus = scope.params.string(name);
  return bus === undefined ? undefined : [busArn(scope, bus)];
}

const eventsResources: ResourceRule = (scope) => lookup(EVENTS_RESOURCES, scope.facts.action)?.(scope);

// ---------------------------------------------------------------------------------------------------------------
// AWS STS
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html

const STS_REQUESTS: Readonly<Record<string, RequestRule>> = {
  // "No permissions are required to perform this operation" (GetCallerIdentity API reference).
  GetCallerIdentity: () => [],
};

const STS_RESOURCES: Readonly<Record<string, ResourceRule>> = {
  AssumeRole: (scope) => arnParam(scope, 'RoleArn'),
};

const stsResources: ResourceRule = (scope) => lookup(STS_RESOURCES, scope.facts.action)?.(scope);

// ---------------------------------------------------------------------------------------------------------------

interface ServiceMapping {
  /** The resources of the request's action (one authorisation each). */
  resources: ResourceRule;
  /** Actions that need something other than `prefix:Action` on those resources. */
  requests?: Readonly<Record<string, RequestRule>>;
  /** API action → IAM action name, where they differ. */
  iamActions?: Readonly<Record<string, string>>;
}

const SERVICES: Readonly<Record<string, ServiceMapping>> = {
  ecr: { resources: ecrResources, iamActions: ECR_IAM_ACTIONS },
  dynamodb: { resources: dynamodbResources, requests: DYNAMODB_REQUESTS },
  sns: { resources: snsResources },
  sqs: { resources: sqsResources, iamActions: SQS_IAM_ACTIONS },
  ssm: { resources: ssmResources },
  events: { resources: eventsResources },
  sts: { resources: stsResources, requests: STS_REQUESTS },
  ecs: { resources: ecsResources },
  lambda: { resources: lambdaResources },
};

/**
 * Reading enhanced (Amazon Inspector) findings through ECR also needs `inspector2:ListFindings`, which has no
 * resource type.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced-iam.html
 */
function extraRequests(facts: RequestFacts): AuthorizationRequest[] {
  if (
    facts.service === 'ecr' &&
    facts.action === 'DescribeImageScanFindings' &&
    facts.ecrScanType === 'ENHANCED'
  ) {
    return [{ action: 'inspector2:ListFindings', resource: '*' }];
  }
  return [];
}

/**
 * The authorisations one AWS API request needs: every returned request must be allowed for the call to be.
 * Empty for a call that needs no permission (sts:GetCallerIdentity). Never throws.
 */
export function authorizationRequests(facts: RequestFacts): AuthorizationRequest[] {
  // The IAM prefix of every service mapped here is its signing name (`events`, `ssm`, …).
  const mapping = lookup(SERVICES, facts.service);
  const iamName = mapping?.iamActions === undefined ? undefined : lookup(mapping.iamActions, facts.action);
  const iamAction = `${facts.service}:${iamName ?? facts.action}`;
  const anyResource: AuthorizationRequest[] = [{ action: iamAction, resource: '*' }];
  if (mapping === undefined) return anyResource;
  const params = paramsOf(facts);
  const scope: Scope | undefined =
    params === undefined ? undefined : { facts, params, partition: partitionOf(facts.region) };

  const requestRule = mapping.requests === undefined ? undefined : lookup(mapping.requests, facts.action);
  if (requestRule !== undefined) {
    // A rule that knows no body-independent answer needs the body; without one, judge on `*`.
    const requests = scope === undefined ? requestRule(emptyScope(facts)) : requestRule(scope);
    return requests ?? anyResource;
  }
  const resources = scope === undefined ? undefined : mapping.resources(scope);
  const own =
    resources === undefined || resources.length === 0
      ? anyResource
      : distinct(resources).map((resource) => ({ action: iamAction, resource }));
  return [...own, ...extraRequests(facts)];
}

/** A scope with no parameters, so body-independent rules (GetCallerIdentity) answer even for a bad body. */
function emptyScope(facts: RequestFacts): Scope {
  return {
    facts,
    params: { string: () => undefined, raw: () => undefined },
    partition: partitionOf(facts.region),
  };
}
