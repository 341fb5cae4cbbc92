/**
 * The IAM resources of the Amazon ECS and AWS Lambda requests the product makes (cleanup's protection signals
 * read what runs), for requests.ts. Pure.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
 */
import { arn, isArn, lookup, type ResourceRule, type Scope, stringList } from './request-scope.ts';

// ---------------------------------------------------------------------------------------------------------------
// Amazon ECS (AWS JSON 1.1: the body names the cluster and the tasks or services)

/** The cluster a request names (name or ARN), `default` when it names none, as ECS assumes. */
function clusterName(scope: Scope): string {
  const cluster = scope.params.string('cluster') ?? 'default';
  return isArn(cluster) ? cluster.slice(cluster.indexOf('cluster/') + 'cluster/'.length) : cluster;
}

/** Tasks and services are named by id/name or ARN; their ARNs carry the cluster's name. */
function inCluster(kind: 'task' | 'service', param: string): ResourceRule {
  return (scope) =>
    stringList(scope.params.raw(param))?.map((name) =>
      isArn(name) ? name : arn(scope, 'ecs', `${kind}/${clusterName(scope)}/${name}`),
    );
}

const ECS_RESOURCES: Readonly<Record<string, ResourceRule>> = {
  DescribeTasks: inCluster('task', 'tasks'),
  StopTask: (scope) => inCluster('task', 'tasks')({ ...scope, params: singleAsList(scope, 'task') }),
  DescribeServices: inCluster('service', 'services'),
  UpdateService: (scope) =>
    inCluster('service', 'services')({ ...scope, params: singleAsList(scope, 'service') }),
  DeleteService: (scope) =>
    inCluster('service', 'services')({ ...scope, params: singleAsList(scope, 'service') }),
  DescribeClusters: (scope) =>
    stringList(scope.params.raw('clusters'))?.map((name) =>
      isArn(name) ? name : arn(scope, 'ecs', `cluster/${name}`),
    ),
};

/** The parameters with `name` (one task or service) read as the list parameter of the describe calls. */
function singleAsList(scope: Scope, name: string): Scope['params'] {
  const value = scope.params.string(name);
  return {
    string: scope.params.string,
    raw: (param) =>
      param === 'tasks' || param === 'services'
        ? value === undefined
          ? undefined
          : [value]
        : scope.params.raw(param),
  };
}

/**
 * ECS actions on the resources the body names; every other action (ListClusters, ListServices, ListTasks,
 * ListTaskDefinitionFamilies, ListTaskDefinitions, DescribeTaskDefinition…) is judged on `*`.
 */
export const ecsResources: ResourceRule = (scope) => lookup(ECS_RESOURCES, scope.facts.action)?.(scope);

// ---------------------------------------------------------------------------------------------------------------
// AWS Lambda (REST-JSON: the path names the function, the query string its qualifier)

/** `/2015-03-31/functions/{FunctionName}[/…]`: the function name, ARN or partial ARN of the path. */
const FUNCTION_PATH = /^\/2015-03-31\/functions\/([^/]+)/;

/**
 * The function a request's path names, qualified with the `Qualifier` query parameter when given. A name is made
 * a full ARN in the caller's account and Region; an ARN is kept.
 */
const lambdaFunction: ResourceRule = (scope) => {
  const name = FUNCTION_PATH.exec(scope.facts.path ?? '')?.[1];
  if (name === undefined) return undefined;
  const decoded = decodeURIComponent(name);
  const qualifier = new URLSearchParams(scope.facts.query).get('Qualifier');
  const base = isArn(decoded) ? decoded : arn(scope, 'lambda', `function:${decoded}`);
  return [qualifier ? `${base}:${qualifier}` : base];
};

const LAMBDA_RESOURCES: Readonly<Record<string, ResourceRule>> = {
  GetFunction: lambdaFunction,
  ListVersionsByFunction: lambdaFunction,
  ListAliases: lambdaFunction,
  // ListFunctions has no resource type: `*`.
  ListFunctions: () => ['*'],
};

/** Lambda actions the edge names (identify.ts REST_ACTIONS) on the function of the path. */
export const lambdaResources: ResourceRule = (scope) => lookup(LAMBDA_RESOURCES, scope.facts.action)?.(scope);
