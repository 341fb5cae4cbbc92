import { describe, expect, it } from 'vitest';
import type { AuthorizationRequest } from '../../../src/sandbox/iam/policy.ts';
import { authorizationRequests, type RequestFacts } from '../../../src/sandbox/iam/requests.ts';

/** The IAM mapping of ECS, Lambda and Inspector requests (src/sandbox/iam/requests-compute.ts). */

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

function json(service: string, action: string, body: unknown): RequestFacts {
  return {
    service,
    action,
    protocol: 'json',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    query: '',
    region: REGION,
    accountId: ACCOUNT,
  };
}

function on(action: string, ...resources: string[]): AuthorizationRequest[] {
  return resources.map((resource) => ({ action, resource }));
}

describe('ECS and Lambda (what cleanup reads)', () => {
  const ecs = (resource: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:${resource}`;
  const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
  const rest = (service: string, action: string, path: string, query = ''): RequestFacts => ({
    ...json(service, action, ''),
    protocol: 'rest',
    path,
    query,
  });

  it.each<[string, unknown, AuthorizationRequest[]]>([
    [
      'DescribeTasks',
      { cluster: 'prod', tasks: ['abc', ecs('task/prod/def')] },
      on('ecs:DescribeTasks', ecs('task/prod/abc'), ecs('task/prod/def')),
    ],
    [
      'DescribeServices',
      { cluster: ecs('cluster/prod'), services: ['orders'] },
      on('ecs:DescribeServices', ecs('service/prod/orders')),
    ],
    // No cluster: ECS assumes `default`.
    ['DescribeServices', { services: ['web'] }, on('ecs:DescribeServices', ecs('service/default/web'))],
    // No resource type: `*`.
    ['ListTasks', { cluster: 'prod', desiredStatus: 'RUNNING' }, on('ecs:ListTasks', '*')],
    ['DescribeTaskDefinition', { taskDefinition: 'web:3' }, on('ecs:DescribeTaskDefinition', '*')],
  ])('ECS %s %j needs %j', (action, body, expected) => {
    expect(authorizationRequests(json('ecs', action, body))).toEqual(expected);
  });

  it.each<[string, string, string, AuthorizationRequest[]]>([
    ['GetFunction', '/2015-03-31/functions/api', 'Qualifier=3', on('lambda:GetFunction', `${fn('api')}:3`)],
    [
      'GetFunction',
      `/2015-03-31/functions/${encodeURIComponent(fn('api'))}`,
      '',
      on('lambda:GetFunction', fn('api')),
    ],
    [
      'ListVersionsByFunction',
      '/2015-03-31/functions/api/versions',
      'MaxItems=50',
      on('lambda:ListVersionsByFunction', fn('api')),
    ],
    ['ListFunctions', '/2015-03-31/functions/', 'MaxItems=50', on('lambda:ListFunctions', '*')],
  ])('Lambda %s %s?%s needs %j', (action, path, queryString, expected) => {
    expect(authorizationRequests(rest('lambda', action, path, queryString))).toEqual(expected);
  });

  it('judges Inspector ListCoverage, which has no resource type, on *', () => {
    expect(authorizationRequests(rest('inspector2', 'ListCoverage', '/coverage/list'))).toEqual(
      on('inspector2:ListCoverage', '*'),
    );
  });
});
