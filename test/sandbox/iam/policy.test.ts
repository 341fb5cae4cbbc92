import { describe, expect, it } from 'vitest';
import {
  type AuthorizationRequest,
  type Decision,
  denialMessage,
  evaluate,
  type PolicyStatement,
  parsePolicyDocument,
} from '../../../src/sandbox/iam/policy.ts';

/** The policy variable `${aws:username}`, spelt so that no linter takes it for a template placeholder. */
const USERNAME = ['$', '{aws:username}'].join('');

const REPO = 'arn:aws:ecr:us-east-1:123456789012:repository/app';

/** Statements of a one-statement 2012-10-17 policy. */
function policy(...statements: Record<string, unknown>[]): PolicyStatement[] {
  return parsePolicyDocument({ Version: '2012-10-17', Statement: statements }, 'TestRole.Policies[0]');
}

function allow(action: unknown, resource: unknown = '*', extra: Record<string, unknown> = {}) {
  return { Effect: 'Allow', Action: action, Resource: resource, ...extra };
}

function decide(statements: PolicyStatement[], request: AuthorizationRequest): Decision['effect'] {
  return evaluate(statements, request).effect;
}

function parseError(document: unknown): string {
  try {
    parsePolicyDocument(document, 'OnScanCompletedRole.Policies[0].PolicyDocument');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected parsePolicyDocument to throw');
}

describe('parsePolicyDocument', () => {
  it('normalises a single statement and single strings to arrays', () => {
    // Prepare
    const document = {
      Version: '2012-10-17',
      Statement: {
        Sid: 'Push',
        Effect: 'Allow',
        Action: 'ecr:PutImage',
        Resource: REPO,
        Condition: { Bool: { 'aws:SecureTransport': true }, NumericLessThan: { 's3:max-keys': 10 } },
      },
    };

    // Act
    const statements = parsePolicyDocument(document, 'Role');

    // Assess
    expect(statements).toEqual([
      {
        Sid: 'Push',
        Effect: 'Allow',
        Action: ['ecr:PutImage'],
        Resource: [REPO],
        Condition: { Bool: { 'aws:SecureTransport': ['true'] }, NumericLessThan: { 's3:max-keys': ['10'] } },
      },
    ]);
  });

  it('accepts the policy as JSON text', () => {
    const text = JSON.stringify({ Statement: [{ Effect: 'Deny', NotAction: ['ecr:*'], NotResource: '*' }] });

    expect(parsePolicyDocument(text, 'Role')).toEqual([
      { Effect: 'Deny', NotAction: ['ecr:*'], NotResource: ['*'] },
    ]);
  });

  it.each<[string, unknown, string]>([
    [
      'an Action of the wrong type',
      { Statement: [allow('ecr:A'), allow('ecr:B'), allow(42)] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[2].Action: expected a string or a non-empty array of strings',
    ],
    [
      'an empty Action list',
      { Statement: [allow([])] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Action: must list at least one value',
    ],
    [
      'a statement with neither Action nor NotAction',
      { Statement: [{ Effect: 'Allow', Resource: '*' }] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Action: a statement needs exactly one of Action or NotAction',
    ],
    [
      'a statement with both Action and NotAction',
      { Statement: [{ Effect: 'Allow', Action: 'a:b', NotAction: 'a:c', Resource: '*' }] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].NotAction: a statement needs exactly one of Action or NotAction',
    ],
    [
      'a statement with both Resource and NotResource',
      { Statement: [{ Effect: 'Allow', Action: 'a:b', Resource: '*', NotResource: REPO }] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].NotResource: a statement needs exactly one of Resource or NotResource',
    ],
    [
      'a statement with neither Resource nor NotResource',
      { Statement: { Effect: 'Allow', Action: 'a:b' } },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement.Resource: a statement needs exactly one of Resource or NotResource',
    ],
    [
      'an unknown element of a single statement',
      { Statement: { Effect: 'Allow', Action: 'a:b', Resource: '*', Resources: '*' } },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement.Resources: not a policy element',
    ],
    [
      'an action without a service prefix',
      { Statement: [allow(['ecr:PutImage', 'PutImage'])] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Action[1]: expected "service:Action" or "*", got PutImage',
    ],
    [
      'a resource that is not an ARN',
      { Statement: [allow('ecr:PutImage', 'repository/app')] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Resource: expected an ARN or "*", got repository/app',
    ],
    [
      'an empty Statement list',
      { Statement: [] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement: must list at least one statement',
    ],
    [
      'an unknown top-level element',
      { Statement: [allow('a:b')], Statements: [] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statements: not a policy element',
    ],
    [
      'a bad Effect',
      { Statement: [{ Effect: 'allow', Action: 'a:b', Resource: '*' }] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Effect: expected "Allow" or "Deny"',
    ],
    [
      'a Principal (resource-based policies only)',
      { Statement: [{ Effect: 'Allow', Principal: '*', Action: 'a:b', Resource: '*' }] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Principal: identity-based policies have no principal: it is implied by the role the policy is attached to',
    ],
    [
      'an unknown Version',
      { Version: '2012-10-18', Statement: [allow('a:b')] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Version: expected "2012-10-17" or "2008-10-17"',
    ],
    [
      'no Statement',
      { Version: '2012-10-17' },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement: expected a statement or a non-empty array of statements',
    ],
    [
      'an unsupported condition operator',
      {
        Statement: [
          allow('a:b', '*', { Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' } } }),
        ],
      },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Condition.DateGreaterThan: the sandbox cannot evaluate condition operator DateGreaterThan',
    ],
    [
      'IfExists on Null',
      { Statement: [allow('a:b', '*', { Condition: { NullIfExists: { 'aws:TagKeys': 'true' } } })] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Condition.NullIfExists: the sandbox cannot evaluate condition operator NullIfExists',
    ],
    [
      'a set operator on an unsupported operator',
      {
        Statement: [
          allow('a:b', '*', { Condition: { 'ForAnyValue:IpAddress': { 'aws:SourceIp': '10.0.0.0/8' } } }),
        ],
      },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Condition.ForAnyValue:IpAddress: the sandbox cannot evaluate condition operator ForAnyValue:IpAddress',
    ],
    [
      'a Bool value that is not a boolean',
      { Statement: [allow('a:b', '*', { Condition: { Bool: { 'aws:SecureTransport': 'yes' } } })] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Condition.Bool.aws:SecureTransport: expected true or false, got yes',
    ],
    [
      'a numeric value that is not a number',
      { Statement: [allow('a:b', '*', { Condition: { NumericEquals: { 'x:n': ['1', 'two'] } } })] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Condition.NumericEquals.x:n[1]: expected a number, got two',
    ],
    [
      'a condition key whose value is an object',
      { Statement: [allow('a:b', '*', { Condition: { StringEquals: { 'x:k': { nested: 1 } } } })] },
      'OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Condition.StringEquals.x:k: expected a string, boolean, number or a non-empty array of them',
    ],
    [
      'a policy variable in a Resource',
      { Statement: [allow('a:b', ['arn:aws:s3:::home', `arn:aws:s3:::home/${USERNAME}/*`])] },
      `OnScanCompletedRole.Policies[0].PolicyDocument.Statement[0].Resource[1]: the sandbox cannot evaluate policy variables (arn:aws:s3:::home/${USERNAME}/*)`,
    ],
  ])('names the path of %s', (_case, document, message) => {
    expect(parseError(document)).toBe(message);
  });

  it('names the document when the text is not JSON', () => {
    expect(parseError('{"Statement": ')).toMatch(
      /^OnScanCompletedRole\.Policies\[0\]\.PolicyDocument: not JSON \(/,
    );
  });

  it.each([
    'StringEquals',
    'StringNotEquals',
    'StringEqualsIgnoreCase',
    'StringNotEqualsIgnoreCase',
    'StringLike',
    'StringNotLike',
    'ArnEquals',
    'ArnLike',
    'ArnNotEquals',
    'ArnNotLike',
    'StringLikeIfExists',
    'ArnNotLikeIfExists',
    'ForAnyValue:StringLike',
    'ForAllValues:StringEquals',
    'ForAnyValue:StringNotEqualsIfExists',
  ])('accepts the condition operator %s', (operator) => {
    expect(() => policy(allow('a:b', '*', { Condition: { [operator]: { 'x:k': ['v'] } } }))).not.toThrow();
  });

  it.each(['Bool', 'BoolIfExists', 'Null'])('accepts the boolean condition operator %s', (operator) => {
    expect(() => policy(allow('a:b', '*', { Condition: { [operator]: { 'x:k': 'false' } } }))).not.toThrow();
  });

  it.each([
    'NumericEquals',
    'NumericNotEquals',
    'NumericLessThan',
    'NumericLessThanEquals',
    'NumericGreaterThan',
    'NumericGreaterThanEquals',
    'NumericEqualsIfExists',
  ])('accepts the numeric condition operator %s', (operator) => {
    expect(() => policy(allow('a:b', '*', { Condition: { [operator]: { 'x:k': 3 } } }))).not.toThrow();
  });
});

describe('evaluate: actions', () => {
  it.each<[string, string, Decision['effect']]>([
    ['ecr:PutImage', 'ecr:PutImage', 'allow'],
    ['ecr:*', 'ecr:PutImage', 'allow'],
    ['ecr:*', 'ecrpublic:PutImage', 'implicit-deny'],
    ['ecr:Describe*', 'ecr:DescribeImages', 'allow'],
    ['ecr:Describe*', 'ecr:DescribeImageScanFindings', 'allow'],
    ['ecr:Describe*', 'ecr:ListImages', 'implicit-deny'],
    ['ecr:*Image', 'ecr:PutImage', 'allow'],
    ['ecr:*Image', 'ecr:PutImages', 'implicit-deny'],
    ['ecr:Get?', 'ecr:GetX', 'allow'],
    ['ecr:Get?', 'ecr:Get', 'implicit-deny'],
    ['ecr:Get?', 'ecr:GetXY', 'implicit-deny'],
    ['ECR:putimage', 'ecr:PutImage', 'allow'],
    ['ecr:PUT*', 'ecr:PutImage', 'allow'],
    ['*', 'sqs:SendMessage', 'allow'],
    ['ecr:Put.Image', 'ecr:PutxImage', 'implicit-deny'],
    ['ecr:Put+Image', 'ecr:PutImage', 'implicit-deny'],
  ])('Action %s, request %s → %s', (pattern, action, effect) => {
    expect(decide(policy(allow(pattern)), { action, resource: '*' })).toBe(effect);
  });

  it('matches any of several actions', () => {
    const statements = policy(allow(['sqs:SendMessage', 'ecr:PutImage']));

    expect(decide(statements, { action: 'ecr:PutImage', resource: '*' })).toBe('allow');
    expect(decide(statements, { action: 'ecr:GetImage', resource: '*' })).toBe('implicit-deny');
  });

  it('NotAction allows every action except the listed ones', () => {
    const statements = policy({ Effect: 'Allow', NotAction: ['iam:*', 'ecr:Delete*'], Resource: '*' });

    expect(decide(statements, { action: 'ecr:PutImage', resource: REPO })).toBe('allow');
    expect(decide(statements, { action: 'ecr:DeleteRepository', resource: REPO })).toBe('implicit-deny');
    expect(decide(statements, { action: 'IAM:CreateUser', resource: '*' })).toBe('implicit-deny');
  });
});

describe('evaluate: resources', () => {
  it.each<[string, string, Decision['effect']]>([
    [REPO, REPO, 'allow'],
    ['*', REPO, 'allow'],
    ['*', '*', 'allow'],
    ['arn:aws:ecr:us-east-1:123456789012:repository/*', REPO, 'allow'],
    ['arn:aws:ecr:*:*:repository/app', REPO, 'allow'],
    ['arn:aws:ecr:us-east-1:123456789012:repository/ap?', REPO, 'allow'],
    ['arn:aws:ecr:us-east-1:123456789012:repository/a?', REPO, 'implicit-deny'],
    ['arn:aws:ecr:us-east-1:123456789012:repository/App', REPO, 'implicit-deny'],
    ['arn:aws:ecr:US-EAST-1:123456789012:repository/app', REPO, 'implicit-deny'],
    ['arn:aws:ecr:us-east-1:123456789012:repository/app', `${REPO}-2`, 'implicit-deny'],
    // An action without resource-level permissions is granted only by a pattern that covers `*`.
    ['arn:aws:ecr:*', '*', 'implicit-deny'],
  ])('Resource %s, request %s → %s', (pattern, resource, effect) => {
    expect(decide(policy(allow('ecr:*', pattern)), { action: 'ecr:GetImage', resource })).toBe(effect);
  });

  it('NotResource applies to every resource except the listed ones', () => {
    const statements = policy({
      Effect: 'Allow',
      Action: 'ecr:*',
      NotResource: 'arn:aws:ecr:us-east-1:123456789012:repository/prod-*',
    });

    expect(decide(statements, { action: 'ecr:PutImage', resource: REPO })).toBe('allow');
    expect(
      decide(statements, {
        action: 'ecr:PutImage',
        resource: 'arn:aws:ecr:us-east-1:123456789012:repository/prod-api',
      }),
    ).toBe('implicit-deny');
  });
});

describe('evaluate: decisions', () => {
  it('denies implicitly when nothing matches, including an empty policy set', () => {
    expect(evaluate([], { action: 'ecr:PutImage', resource: REPO })).toEqual({ effect: 'implicit-deny' });
    expect(evaluate(policy(allow('sqs:*')), { action: 'ecr:PutImage', resource: REPO })).toEqual({
      effect: 'implicit-deny',
    });
  });

  it('names the first allowing statement', () => {
    const statements = policy(allow('sqs:*'), allow('ecr:Put*'), allow('ecr:*'));

    expect(evaluate(statements, { action: 'ecr:PutImage', resource: REPO })).toEqual({
      effect: 'allow',
      statement: 1,
    });
  });

  it('lets an explicit deny win over an allow that comes first', () => {
    const statements = policy(allow('ecr:*'), {
      Sid: 'NoDeletes',
      Effect: 'Deny',
      Action: 'ecr:Delete*',
      Resource: '*',
    });

    expect(evaluate(statements, { action: 'ecr:DeleteRepository', resource: REPO })).toEqual({
      effect: 'explicit-deny',
      statement: 1,
      sid: 'NoDeletes',
    });
    expect(evaluate(statements, { action: 'ecr:PutImage', resource: REPO })).toEqual({
      effect: 'allow',
      statement: 0,
    });
  });

  it('reports an explicit deny without a Sid without the sid key', () => {
    const statements = policy({ Effect: 'Deny', Action: '*', Resource: '*' }, allow('*'));

    expect(evaluate(statements, { action: 'ecr:PutImage', resource: REPO })).toStrictEqual({
      effect: 'explicit-deny',
      statement: 0,
    });
  });

  it('ignores a deny whose condition does not hold', () => {
    const statements = policy(allow('ecr:*'), {
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });

    expect(
      decide(statements, {
        action: 'ecr:PutImage',
        resource: REPO,
        context: { 'aws:SecureTransport': 'true' },
      }),
    ).toBe('allow');
    expect(
      decide(statements, {
        action: 'ecr:PutImage',
        resource: REPO,
        context: { 'aws:SecureTransport': 'false' },
      }),
    ).toBe('explicit-deny');
  });
});

/** Decide a request whose only statement allows everything under `condition`. */
function conditionHolds(
  condition: Record<string, Record<string, unknown>>,
  context?: Record<string, string | string[]>,
): boolean {
  const statements = policy(allow('*', '*', { Condition: condition }));
  const request: AuthorizationRequest =
    context === undefined ? { action: 'a:b', resource: '*' } : { action: 'a:b', resource: '*', context };
  return decide(statements, request) === 'allow';
}

describe('evaluate: conditions', () => {
  const SOURCE = 'arn:aws:events:us-east-1:123456789012:rule/sentinel-dev-scan';

  it.each<
    [string, Record<string, Record<string, unknown>>, Record<string, string | string[]> | undefined, boolean]
  >([
    // StringEquals: exact, case-sensitive values; values OR.
    [
      'StringEquals equal',
      { StringEquals: { 'kms:ViaService': 'ssm.us-east-1.amazonaws.com' } },
      { 'kms:ViaService': 'ssm.us-east-1.amazonaws.com' },
      true,
    ],
    ['StringEquals other case', { StringEquals: { 'k:v': 'Prod' } }, { 'k:v': 'prod' }, false],
    ['StringEquals one of several', { StringEquals: { 'k:v': ['a', 'b'] } }, { 'k:v': 'b' }, true],
    ['StringEquals none of several', { StringEquals: { 'k:v': ['a', 'b'] } }, { 'k:v': 'c' }, false],
    ['StringEquals no wildcards', { StringEquals: { 'k:v': 'a*' } }, { 'k:v': 'ab' }, false],
    ['StringEquals missing key', { StringEquals: { 'k:v': 'a' } }, undefined, false],
    // Keys are case-insensitive, values are not.
    [
      'StringEquals key in other case',
      { StringEquals: { 'AWS:SourceAccount': '123' } },
      { 'aws:sourceaccount': '123' },
      true,
    ],
    // StringNotEquals: NOR over values; a missing key makes a negated operator true.
    ['StringNotEquals different', { StringNotEquals: { 'k:v': 'a' } }, { 'k:v': 'b' }, true],
    ['StringNotEquals equal', { StringNotEquals: { 'k:v': 'a' } }, { 'k:v': 'a' }, false],
    ['StringNotEquals one of several', { StringNotEquals: { 'k:v': ['a', 'b'] } }, { 'k:v': 'b' }, false],
    ['StringNotEquals missing key', { StringNotEquals: { 'k:v': 'a' } }, undefined, true],
    [
      'StringEqualsIgnoreCase other case',
      { StringEqualsIgnoreCase: { 'k:v': 'PROD' } },
      { 'k:v': 'prod' },
      true,
    ],
    [
      'StringEqualsIgnoreCase different',
      { StringEqualsIgnoreCase: { 'k:v': 'PROD' } },
      { 'k:v': 'dev' },
      false,
    ],
    ['StringEqualsIgnoreCase missing key', { StringEqualsIgnoreCase: { 'k:v': 'PROD' } }, undefined, false],
    [
      'StringNotEqualsIgnoreCase other case',
      { StringNotEqualsIgnoreCase: { 'k:v': 'PROD' } },
      { 'k:v': 'prod' },
      false,
    ],
    // StringLike: * and ?, case-sensitive.
    ['StringLike *', { StringLike: { 'k:v': 'team-*' } }, { 'k:v': 'team-a' }, true],
    ['StringLike ?', { StringLike: { 'k:v': 'team-?' } }, { 'k:v': 'team-ab' }, false],
    ['StringLike case', { StringLike: { 'k:v': 'team-*' } }, { 'k:v': 'TEAM-a' }, false],
    ['StringLike missing key', { StringLike: { 'k:v': '*' } }, undefined, false],
    ['StringNotLike matching', { StringNotLike: { 'k:v': 'team-*' } }, { 'k:v': 'team-a' }, false],
    ['StringNotLike not matching', { StringNotLike: { 'k:v': 'team-*' } }, { 'k:v': 'ops' }, true],
    ['StringNotLike missing key', { StringNotLike: { 'k:v': 'team-*' } }, undefined, true],
    // Arn operators: segment by segment.
    ['ArnEquals equal', { ArnEquals: { 'aws:SourceArn': SOURCE } }, { 'aws:SourceArn': SOURCE }, true],
    [
      'ArnEquals wildcard',
      { ArnEquals: { 'aws:SourceArn': 'arn:aws:events:*:123456789012:rule/*' } },
      { 'aws:SourceArn': SOURCE },
      true,
    ],
    [
      'ArnLike rule prefix',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:events:us-east-1:123456789012:rule/sentinel-dev-*' } },
      { 'aws:SourceArn': SOURCE },
      true,
    ],
    [
      'ArnLike other account',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:events:us-east-1:999999999999:rule/*' } },
      { 'aws:SourceArn': SOURCE },
      false,
    ],
    // A * in one segment does not reach across the colon into the next.
    [
      'ArnLike * within a segment',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:rule/*' } },
      { 'aws:SourceArn': SOURCE },
      false,
    ],
    [
      'ArnLike resource part keeps colons',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:123456789012:topic:*' } },
      { 'aws:SourceArn': 'arn:aws:sns:us-east-1:123456789012:topic:sub-1' },
      true,
    ],
    [
      'ArnLike case-sensitive',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:events:us-east-1:123456789012:rule/Sentinel-*' } },
      { 'aws:SourceArn': SOURCE },
      false,
    ],
    [
      'ArnLike a value that is not an ARN',
      { ArnLike: { 'aws:SourceArn': '*' } },
      { 'aws:SourceArn': 'not-an-arn' },
      false,
    ],
    ['ArnLike * with an ARN', { ArnLike: { 'aws:SourceArn': '*' } }, { 'aws:SourceArn': SOURCE }, true],
    ['ArnLike missing key', { ArnLike: { 'aws:SourceArn': '*' } }, undefined, false],
    [
      'ArnNotEquals different',
      { ArnNotEquals: { 'aws:SourceArn': 'arn:aws:events:us-east-1:123456789012:rule/other' } },
      { 'aws:SourceArn': SOURCE },
      true,
    ],
    [
      'ArnNotLike matching',
      { ArnNotLike: { 'aws:SourceArn': 'arn:aws:events:*:*:rule/*' } },
      { 'aws:SourceArn': SOURCE },
      false,
    ],
    [
      'ArnNotLike missing key',
      { ArnNotLike: { 'aws:SourceArn': 'arn:aws:events:*:*:rule/*' } },
      undefined,
      true,
    ],
    // Bool compares the text true/false.
    ['Bool true', { Bool: { 'aws:SecureTransport': true } }, { 'aws:SecureTransport': 'true' }, true],
    [
      'Bool false vs true',
      { Bool: { 'aws:SecureTransport': 'false' } },
      { 'aws:SecureTransport': 'true' },
      false,
    ],
    [
      'Bool request in other case',
      { Bool: { 'aws:SecureTransport': 'true' } },
      { 'aws:SecureTransport': 'TRUE' },
      true,
    ],
    ['Bool missing key', { Bool: { 'aws:SecureTransport': 'false' } }, undefined, false],
    // Numeric operators.
    ['NumericEquals equal', { NumericEquals: { 'x:n': 10 } }, { 'x:n': '10.0' }, true],
    ['NumericEquals different', { NumericEquals: { 'x:n': '10' } }, { 'x:n': '11' }, false],
    ['NumericEquals request not a number', { NumericEquals: { 'x:n': '10' } }, { 'x:n': 'ten' }, false],
    ['NumericNotEquals different', { NumericNotEquals: { 'x:n': '10' } }, { 'x:n': '11' }, true],
    ['NumericLessThan below', { NumericLessThan: { 'x:n': 10 } }, { 'x:n': '9' }, true],
    ['NumericLessThan equal', { NumericLessThan: { 'x:n': 10 } }, { 'x:n': '10' }, false],
    ['NumericLessThanEquals equal', { NumericLessThanEquals: { 'x:n': 10 } }, { 'x:n': '10' }, true],
    ['NumericLessThanEquals above', { NumericLessThanEquals: { 'x:n': 10 } }, { 'x:n': '11' }, false],
    ['NumericGreaterThan above', { NumericGreaterThan: { 'x:n': 10 } }, { 'x:n': '11' }, true],
    ['NumericGreaterThan equal', { NumericGreaterThan: { 'x:n': 10 } }, { 'x:n': '10' }, false],
    ['NumericGreaterThanEquals equal', { NumericGreaterThanEquals: { 'x:n': 10 } }, { 'x:n': '10' }, true],
    ['NumericGreaterThanEquals below', { NumericGreaterThanEquals: { 'x:n': 10 } }, { 'x:n': '9' }, false],
    ['NumericLessThan missing key', { NumericLessThan: { 'x:n': 10 } }, undefined, false],
    // Null tests presence: true = absent, false = present.
    ['Null true, absent', { Null: { 'aws:TagKeys': 'true' } }, undefined, true],
    ['Null true, present', { Null: { 'aws:TagKeys': 'true' } }, { 'aws:TagKeys': ['env'] }, false],
    ['Null false, present', { Null: { 'aws:TagKeys': false } }, { 'aws:TagKeys': 'env' }, true],
    ['Null false, absent', { Null: { 'aws:TagKeys': false } }, undefined, false],
    ['Null true, empty set', { Null: { 'aws:TagKeys': 'true' } }, { 'aws:TagKeys': [] }, true],
    // IfExists: a missing key makes the condition true; a present key is compared as usual.
    ['StringEqualsIfExists missing', { StringEqualsIfExists: { 'k:v': 'a' } }, undefined, true],
    [
      'StringEqualsIfExists present, different',
      { StringEqualsIfExists: { 'k:v': 'a' } },
      { 'k:v': 'b' },
      false,
    ],
    ['StringEqualsIfExists present, equal', { StringEqualsIfExists: { 'k:v': 'a' } }, { 'k:v': 'a' }, true],
    [
      'ArnLikeIfExists missing',
      { ArnLikeIfExists: { 'aws:SourceArn': 'arn:aws:events:*:*:rule/x' } },
      undefined,
      true,
    ],
    [
      'NumericLessThanIfExists present, above',
      { NumericLessThanIfExists: { 'x:n': 5 } },
      { 'x:n': '6' },
      false,
    ],
    ['BoolIfExists missing', { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } }, undefined, true],
    [
      'StringNotEqualsIfExists present, equal',
      { StringNotEqualsIfExists: { 'k:v': 'a' } },
      { 'k:v': 'a' },
      false,
    ],
    // ForAnyValue: some request value matches some policy value; a missing key is false.
    [
      'ForAnyValue:StringEquals one matches',
      { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'team'] } },
      { 'aws:TagKeys': ['cost', 'team'] },
      true,
    ],
    [
      'ForAnyValue:StringEquals none matches',
      { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } },
      { 'aws:TagKeys': ['cost', 'team'] },
      false,
    ],
    [
      'ForAnyValue:StringEquals missing key',
      { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } },
      undefined,
      false,
    ],
    [
      'ForAnyValue:StringEquals empty set',
      { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } },
      { 'aws:TagKeys': [] },
      false,
    ],
    [
      'ForAnyValue:StringLike single value',
      { 'ForAnyValue:StringLike': { 'dynamodb:EnclosingOperation': 'Transact*' } },
      { 'dynamodb:EnclosingOperation': 'TransactWriteItems' },
      true,
    ],
    [
      'ForAnyValue:StringNotEquals one differs',
      { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env'] } },
      { 'aws:TagKeys': ['env', 'team'] },
      true,
    ],
    [
      'ForAnyValue:StringNotEquals all listed',
      { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env', 'team'] } },
      { 'aws:TagKeys': ['env', 'team'] },
      false,
    ],
    [
      'ForAnyValue:StringEqualsIfExists missing',
      { 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': ['env'] } },
      undefined,
      true,
    ],
    // ForAllValues: every request value matches some policy value; a missing key is (vacuously) true.
    [
      'ForAllValues:StringEquals subset',
      { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team'] } },
      { 'aws:TagKeys': ['team'] },
      true,
    ],
    [
      'ForAllValues:StringEquals not a subset',
      { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team'] } },
      { 'aws:TagKeys': ['team', 'cost'] },
      false,
    ],
    [
      'ForAllValues:StringEquals missing key',
      { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } },
      undefined,
      true,
    ],
    [
      'ForAllValues:StringLike all match',
      { 'ForAllValues:StringLike': { 'aws:TagKeys': 'team-*' } },
      { 'aws:TagKeys': ['team-a', 'team-b'] },
      true,
    ],
    [
      'ForAllValues:StringNotEquals none listed',
      { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } },
      { 'aws:TagKeys': ['env', 'team'] },
      true,
    ],
    [
      'ForAllValues:StringNotEquals one listed',
      { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } },
      { 'aws:TagKeys': ['env', 'secret'] },
      false,
    ],
    // Without a set operator, a multivalued request key: positive → any value matches, negated → none does.
    [
      'StringEquals over a multivalued key',
      { StringEquals: { 'aws:TagKeys': 'env' } },
      { 'aws:TagKeys': ['team', 'env'] },
      true,
    ],
    [
      'StringNotEquals over a multivalued key',
      { StringNotEquals: { 'aws:TagKeys': 'env' } },
      { 'aws:TagKeys': ['team', 'env'] },
      false,
    ],
  ])('%s', (_case, condition, context, holds) => {
    expect(conditionHolds(condition, context)).toBe(holds);
  });

  it('ANDs the keys of one operator', () => {
    const condition = {
      StringEquals: {
        'kms:ViaService': 'ssm.us-east-1.amazonaws.com',
        'kms:EncryptionContext:PARAMETER_ARN': 'arn:aws:ssm:us-east-1:123456789012:parameter/slack',
      },
    };

    expect(
      conditionHolds(condition, {
        'kms:ViaService': 'ssm.us-east-1.amazonaws.com',
        'kms:EncryptionContext:PARAMETER_ARN': 'arn:aws:ssm:us-east-1:123456789012:parameter/slack',
      }),
    ).toBe(true);
    expect(conditionHolds(condition, { 'kms:ViaService': 'ssm.us-east-1.amazonaws.com' })).toBe(false);
  });

  it('ANDs the operators of one statement', () => {
    const condition = { StringEquals: { 'k:a': 'x' }, StringLike: { 'k:b': 'y*' } };

    expect(conditionHolds(condition, { 'k:a': 'x', 'k:b': 'yes' })).toBe(true);
    expect(conditionHolds(condition, { 'k:a': 'x', 'k:b': 'no' })).toBe(false);
    expect(conditionHolds(condition, { 'k:a': 'z', 'k:b': 'yes' })).toBe(false);
  });

  it('treats a condition-less statement as unconditional', () => {
    expect(conditionHolds({}, undefined)).toBe(true);
  });
});

describe('denialMessage', () => {
  const principal = 'arn:aws:sts::123456789012:assumed-role/sentinel-dev-on-scan-completed/local';
  const request = { action: 'ecr:PutImage', resource: REPO };

  it('words an implicit deny as AWS does', () => {
    expect(denialMessage(principal, request, { effect: 'implicit-deny' })).toBe(
      'User: arn:aws:sts::123456789012:assumed-role/sentinel-dev-on-scan-completed/local is not authorized to ' +
        'perform: ecr:PutImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/app because no ' +
        'identity-based policy allows the ecr:PutImage action',
    );
  });

  it('words an explicit deny as AWS does', () => {
    expect(denialMessage(principal, request, { effect: 'explicit-deny', statement: 1, sid: 'NoPush' })).toBe(
      'User: arn:aws:sts::123456789012:assumed-role/sentinel-dev-on-scan-completed/local is not authorized to ' +
        'perform: ecr:PutImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/app with an explicit ' +
        'deny in an identity-based policy',
    );
  });

  it('names resource * for an action without resource-level permissions', () => {
    expect(
      denialMessage(
        principal,
        { action: 'ecr:GetAuthorizationToken', resource: '*' },
        { effect: 'implicit-deny' },
      ),
    ).toBe(
      `User: ${principal} is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no ` +
        'identity-based policy allows the ecr:GetAuthorizationToken action',
    );
  });

  it('refuses to describe an allowed request', () => {
    expect(() => denialMessage(principal, request, { effect: 'allow', statement: 0 })).toThrow(
      'denialMessage: ecr:PutImage on arn:aws:ecr:us-east-1:123456789012:repository/app is allowed',
    );
  });
});
