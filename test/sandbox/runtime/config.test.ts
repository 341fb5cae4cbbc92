// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${…} variables.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildModel, loadServerless } from '../../../src/sandbox/runtime/config.ts';
import { nextFiring, parseSchedule } from '../../../src/sandbox/runtime/schedule.ts';
import { eventBridgeEvent, scheduledEvent, snsEvent } from '../../../src/sandbox/runtime/shapes.ts';
import { parseCloudFormationYaml, ServerlessConfigError } from '../../../src/sandbox/runtime/template.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = `${root}test/sandbox/runtime/fixtures/serverless.yml`;
const base = {
  stage: 'local',
  region: 'us-east-1',
  accountId: '123456789012',
  endpoint: 'http://127.0.0.1:4566',
};

function model(yaml: string, env: NodeJS.ProcessEnv = {}) {
  return buildModel(parseCloudFormationYaml(yaml), { ...base, env });
}

describe('CloudFormation short tags', () => {
  it('parse into their long forms', () => {
    const parsed = parseCloudFormationYaml(
      "a: !Ref X\nb: !GetAtt T.Arn\nc: !Sub 'x-${AWS::Region}'\nd: !Join [':', [a, !Ref Y]]\ne: !Select [0, [p, q]]\nf: !Sub\n  - '${V}'\n  - V: !Ref Z\n",
    );
    expect(parsed).toEqual({
      a: { Ref: 'X' },
      b: { 'Fn::GetAtt': ['T', 'Arn'] },
      c: { 'Fn::Sub': 'x-${AWS::Region}' },
      d: { 'Fn::Join': [':', ['a', { Ref: 'Y' }]] },
      e: { 'Fn::Select': [0, ['p', 'q']] },
      f: { 'Fn::Sub': ['${V}', { V: { Ref: 'Z' } }] },
    });
  });
});

describe('Serverless variables', () => {
  it('resolve opt, self, env, sls with fallbacks and leave CloudFormation placeholders alone', () => {
    const m = model(
      `service: svc
custom: { name: from-custom }
provider:
  name: aws
  stage: \${opt:stage, 'dev'}
  environment:
    A: \${self:provider.stage}
    B: \${env:MISSING_VAR, 'fallback'}
    C: \${env:PRESENT_VAR}
    D: \${sls:stage}-\${self:custom.name}
    E: \${opt:region, 'eu-west-1'}
    F: !Sub 'arn:\${AWS::Partition}:x:\${AWS::Region}:\${AWS::AccountId}:\${AWS::StackName}'
    G: \${env:MISSING_VAR, \${self:custom.name}}
functions:
  f: { handler: h.handler }
`,
      { PRESENT_VAR: 'present' },
    );
    expect(m.functions[0]?.environment).toEqual({
      A: 'local',
      B: 'fallback',
      C: 'present',
      D: 'local-from-custom',
      E: 'us-east-1',
      F: 'arn:aws:x:us-east-1:123456789012:svc-local',
      G: 'from-custom',
    });
  });

  it.each([
    ['${ssm:/a/b}', /variable source "ssm"/],
    ['${cf:stack.output}', /variable source "cf"/],
    ['${env:NOPE_NOT_SET}', /value not found/],
  ])('reject %s with an error naming it', (variable, message) => {
    expect(() => model(`service: s\nprovider: { name: aws, environment: { X: '${variable}' } }\n`)).toThrow(
      message,
    );
  });
});

describe('intrinsics and resources', () => {
  it('resolve Ref, GetAtt and Sub against deterministic physical names', () => {
    const m = loadServerless({ serverlessFile: fixture, ...base });
    const env = m.functions.find((f) => f.key === 'recorder')?.environment;
    expect(env).toMatchObject({
      RECORD_TABLE: 'rt-fixture-local-RecordTable',
      STAGE_NAME: 'local',
      GREETING: 'hello',
      WORK_QUEUE_URL: 'http://127.0.0.1:4566/123456789012/rt-fixture-local-WorkQueue',
      STACK_TOPIC: 'rt-fixture-local:rt-fixture-local-AlertsTopic:us-east-1',
    });
    expect(m.registry.physical('WorkDeadLetterQueue').name).toBe('rt-fixture-local-work-dlq');
    expect(m.registry.physical('QueueUrlParameter').ref).toBe('/rt-fixture-local/work-queue');
    const thrower = m.functions.find((f) => f.key === 'thrower');
    expect(thrower?.onFailure).toEqual({
      type: 'sqs',
      arn: 'arn:aws:sqs:us-east-1:123456789012:rt-fixture-local-FailureQueue',
    });
    expect(m.registry.resolvedProperties('WorkQueue').RedrivePolicy).toEqual({
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:rt-fixture-local-work-dlq',
      maxReceiveCount: 2,
    });
  });

  it('models every event type of the fixture', () => {
    const m = loadServerless({ serverlessFile: fixture, ...base });
    const kinds = Object.fromEntries(m.functions.map((f) => [f.key, f.events.map((e) => e.kind)]));
    expect(kinds).toEqual({
      recorder: ['eventBridge'],
      thrower: ['eventBridge'],
      snsRecorder: ['sns'],
      batcher: ['sqs'],
      ticker: ['schedule'],
      slow: [],
    });
    const recorder = m.functions[0]?.events[0];
    expect(recorder).toMatchObject({
      kind: 'eventBridge',
      ruleName: 'rt-fixture-local-recorder-rule-1',
      pattern: { source: ['rt.fixture'], 'detail-type': ['Recorded'] },
    });
    expect(m.functions.find((f) => f.key === 'batcher')?.events[0]).toMatchObject({
      queueLogicalId: 'WorkQueue',
      batchSize: 5,
      reportBatchItemFailures: true,
    });
  });

  it('names the function and key of an invalid event', () => {
    expect(() =>
      model(
        'service: s\nprovider: { name: aws }\nfunctions:\n  f:\n    handler: h.x\n    events:\n      - eventBridge: { pattern: 3 }\n',
      ),
    ).toThrow(/functions\.f\.events\[0\]\.eventBridge\.pattern/);
    expect(() =>
      model(
        'service: s\nprovider: { name: aws }\nfunctions:\n  f:\n    handler: h.x\n    events:\n      - http: { path: / }\n',
      ),
    ).toThrow(/functions\.f\.events\[0\]: event type "http"/);
    expect(() => model('service: s\nprovider: { name: aws, environment: { X: !Ref Nope } }\n')).toThrow(
      ServerlessConfigError,
    );
  });

  it("parses the repository's serverless.yml and resolves its functions and resources", () => {
    const m = loadServerless({ serverlessFile: `${root}serverless.yml`, ...base });
    expect(m.service).toBe('ecr-sentinel');
    const pushed = m.functions.find((f) => f.key === 'onImagePushed');
    expect(pushed?.name).toBe('ecr-sentinel-local-onImagePushed');
    expect(pushed?.environment).toMatchObject({
      SENTINEL_TABLE: 'ecr-sentinel-local', // TableName: ${self:service}-${sls:stage}
      IDEMPOTENCY_TABLE: 'ecr-sentinel-local-IdempotencyTable',
      SENTINEL_STAGE: 'local',
    });
    expect(pushed?.onFailure?.arn).toBe(
      'arn:aws:sqs:us-east-1:123456789012:ecr-sentinel-local-OnFailureQueue',
    );
    expect(pushed?.events[0]).toMatchObject({ kind: 'eventBridge', pattern: { source: ['aws.ecr'] } });
    const kinds = Object.fromEntries([...m.registry.declarations].map(([id, d]) => [id, d.kind]));
    expect(kinds).toMatchObject({
      SentinelTable: 'table',
      IdempotencyTable: 'table',
      OnFailureQueue: 'queue',
      EventsDeadLetterQueue: 'queue',
    });
    for (const id of m.registry.declarations.keys())
      expect(() => m.registry.resolvedProperties(id)).not.toThrow();
  });
});

describe('execution roles', () => {
  const roleYaml = (fnExtra: string, provider = '', resources = '') => `service: svc
provider:
  name: aws
${provider}
functions:
  one:
    handler: h.handler
${fnExtra}
resources:
  Resources:
    Table:
      Type: AWS::DynamoDB::Table
${resources}
`;
  const declared = `    OwnRole:
      Type: AWS::IAM::Role
      Properties:
        Policies:
          - PolicyName: p
            PolicyDocument:
              Statement:
                - { Effect: Allow, Action: dynamodb:PutItem, Resource: !GetAtt Table.Arn }
        ManagedPolicyArns: [arn:aws:iam::aws:policy/ReadOnlyAccess]`;

  it('take a role of the template by logical id or GetAtt, with its policies resolved', () => {
    for (const role of ['OwnRole', '!GetAtt OwnRole.Arn']) {
      const fn = model(roleYaml(`    role: ${role}`, '', declared)).functions[0];
      expect(fn?.role).toEqual({
        kind: 'declared',
        where: 'resources.Resources.OwnRole',
        name: 'svc-local-OwnRole',
        arn: 'arn:aws:iam::123456789012:role/svc-local-OwnRole',
        documents: [
          {
            where: 'resources.Resources.OwnRole.Properties.Policies[0].PolicyDocument',
            document: {
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'dynamodb:PutItem',
                  Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/svc-local-Table',
                },
              ],
            },
          },
        ],
        managedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      });
    }
  });

  it("build Serverless's generated role from provider.iam.role.statements (or iamRoleStatements)", () => {
    const statements = `      - { Effect: Allow, Action: [sqs:SendMessage], Resource: "*" }`;
    const v3 = model(roleYaml('', `  iam:\n    role:\n      statements:\n${statements}`)).functions[0];
    const v2 = model(roleYaml('', `  iamRoleStatements:\n${statements}`)).functions[0];
    const none = model(roleYaml('')).functions[0];
    const document = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: '*' }],
    };
    expect(v3?.role).toMatchObject({
      kind: 'declared',
      name: 'svc-local-us-east-1-lambdaRole',
      documents: [{ where: 'provider.iam.role.statements', document }],
    });
    expect(v2?.role).toMatchObject({ documents: [{ where: 'provider.iamRoleStatements', document }] });
    expect(none?.role).toMatchObject({ kind: 'declared', documents: [] });
  });

  it('treat a role ARN as external, and name a role that is not one', () => {
    const external = model(roleYaml('    role: arn:aws:iam::123456789012:role/elsewhere')).functions[0];
    expect(external?.role).toEqual({ kind: 'external', arn: 'arn:aws:iam::123456789012:role/elsewhere' });
    expect(() => model(roleYaml('    role: Table'))).toThrow(
      'functions.one.role: "Table" is a AWS::DynamoDB::Table, not an AWS::IAM::Role',
    );
    expect(() => model(roleYaml('    role: Missing'))).toThrow(
      'functions.one.role: no resource "Missing" in resources.Resources',
    );
  });
});

describe('schedules', () => {
  it.each([
    ['rate(1 minute)', '2025-01-01T00:00:30Z', '2025-01-01T00:01:30.000Z'],
    ['rate(2 hours)', '2025-01-01T00:00:00Z', '2025-01-01T02:00:00.000Z'],
    ['cron(0 3 * * ? *)', '2025-01-01T04:00:00Z', '2025-01-02T03:00:00.000Z'],
    ['cron(15 10 ? * MON-FRI *)', '2025-01-03T11:00:00Z', '2025-01-06T10:15:00.000Z'],
    ['cron(0/30 * * * ? *)', '2025-01-01T00:10:00Z', '2025-01-01T00:30:00.000Z'],
  ])('%s after %s fires at %s', (expression, after, expected) => {
    expect(nextFiring(parseSchedule(expression, 'x'), new Date(after))?.toISOString()).toBe(expected);
  });

  it('rejects what it cannot run', () => {
    expect(() => parseSchedule('rate(5 seconds)', 'functions.f.events[0]')).toThrow(
      /functions\.f\.events\[0\]/,
    );
    expect(() => parseSchedule('cron(0 0 L * ? *)', 'x')).toThrow(/L, W or #/);
  });
});

describe('event shapes', () => {
  it('strips moto ingestion-time and keeps the EventBridge envelope keys in order', () => {
    const body = JSON.stringify({
      version: '0',
      id: 'i',
      'detail-type': 'D',
      source: 's',
      account: '1',
      time: 't',
      region: 'r',
      resources: [],
      detail: { a: 1 },
      'ingestion-time': 1.5,
    });
    expect(Object.keys(eventBridgeEvent(body))).toEqual([
      'version',
      'id',
      'detail-type',
      'source',
      'account',
      'time',
      'region',
      'resources',
      'detail',
    ]);
  });

  it('builds Records[].Sns from the SNS envelope', () => {
    const event = snsEvent(
      JSON.stringify({
        Type: 'Notification',
        MessageId: 'm',
        TopicArn: 'arn:aws:sns:us-east-1:1:t',
        Message: 'hi',
        Timestamp: 'ts',
        SignatureVersion: '1',
        Signature: 'sig',
        SigningCertURL: 'cert',
        UnsubscribeURL: 'unsub',
        MessageAttributes: { kind: { Type: 'String', Value: 'alert' } },
      }),
      'arn:aws:sns:us-east-1:1:t:sub',
    );
    expect(event.Records[0]).toEqual({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:us-east-1:1:t:sub',
      Sns: {
        Type: 'Notification',
        MessageId: 'm',
        TopicArn: 'arn:aws:sns:us-east-1:1:t',
        Subject: null,
        Message: 'hi',
        Timestamp: 'ts',
        SignatureVersion: '1',
        Signature: 'sig',
        SigningCertUrl: 'cert',
        UnsubscribeUrl: 'unsub',
        MessageAttributes: { kind: { Type: 'String', Value: 'alert' } },
      },
    });
  });

  it('builds the scheduled event like AWS', () => {
    const event = scheduledEvent({
      ruleArn: 'arn:aws:events:us-east-1:1:rule/r',
      account: '1',
      region: 'us-east-1',
      time: new Date('2025-03-01T01:23:45.678Z'),
    });
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2025-03-01T01:23:45Z',
      resources: ['arn:aws:events:us-east-1:1:rule/r'],
      detail: {},
    });
  });
});

describe('${file(…)} variables and resource lists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rt-file-'));
  writeFileSync(
    join(dir, 'extra.yml'),
    'Resources:\n  Extra: { Type: AWS::SQS::Queue }\nname: ${sls:stage}-from-yml\n',
  );
  writeFileSync(join(dir, 'values.json'), '{"deep": {"value": "from-json"}}');
  writeFileSync(
    join(dir, 'fn.cjs'),
    "module.exports = ({ options }) => ({ stage: options.stage, fromEnv: process.env.RT_FILE_VAR ?? 'unset' });",
  );
  writeFileSync(join(dir, 'props.cjs'), "module.exports = { plain: 'p', computed: () => 'c' };");
  writeFileSync(join(dir, 'async.cjs'), 'module.exports = async () => ({ a: 1 });');
  const withFiles = (yaml: string, env: NodeJS.ProcessEnv = {}) =>
    buildModel(parseCloudFormationYaml(yaml), { ...base, env, serviceDir: dir });

  it('read yml, json and js files, with an address, relative to the service directory', () => {
    const m = withFiles(
      `service: s
provider:
  name: aws
  environment:
    A: \${file(./extra.yml):name}
    B: \${file(./values.json):deep.value}
    C: \${file(./fn.cjs):stage}
    D: \${file(./fn.cjs):fromEnv}
    E: \${file(./props.cjs):plain}-\${file(./props.cjs):computed}
    F: \${file(./missing.yml):x, 'fallback'}
functions:
  f: { handler: h.handler }
`,
      { RT_FILE_VAR: 'from-variables' },
    );
    expect(m.functions[0]?.environment).toEqual({
      A: 'local-from-yml',
      B: 'from-json',
      C: 'local',
      D: 'from-variables',
      E: 'p-c',
      F: 'fallback',
    });
    expect(process.env.RT_FILE_VAR).toBeUndefined();
  });

  it('merge a list of resource objects, as Serverless does', () => {
    const m = withFiles(`service: s
provider: { name: aws }
resources:
  - Resources:
      Table: { Type: AWS::DynamoDB::Table, Properties: { KeySchema: [] } }
  - \${file(./extra.yml)}
`);
    expect([...m.registry.declarations.keys()].sort()).toEqual(['Extra', 'Table']);
  });

  it('reject a file function that returns a promise, naming the file', () => {
    expect(() =>
      withFiles("service: s\nprovider: { name: aws, environment: { X: '${file(./async.cjs):a}' } }\n"),
    ).toThrow(/file\(\.\/async\.cjs\).*promise/);
  });

  it("subscribe the example config's email addresses to the alerts topic and scope the Slack parameter", () => {
    const m = loadServerless({ serverlessFile: `${root}serverless.yml`, ...base });
    const subscriptions = [...m.registry.declarations.values()].filter((d) => d.kind === 'subscription');
    expect(subscriptions.map((d) => m.registry.resolvedProperties(d.logicalId))).toEqual([
      {
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:ecr-sentinel-local-alerts',
        Protocol: 'email',
        Endpoint: 'platform-alerts@example.com',
      },
    ]);
    expect(m.functions.find((f) => f.key === 'notifySlack')?.environment.SLACK_WEBHOOK_PARAMETER).toBe(
      '/ecr-sentinel/slack-webhook',
    );
    expect(JSON.stringify(m.registry.resolvedProperties('NotifySlackRole'))).toContain(
      '"arn:aws:ssm:us-east-1:123456789012:parameter/ecr-sentinel/slack-webhook"',
    );
  });

  it('take the config from SENTINEL_CONFIG: no Slack, no email → nothing subscribed, empty parameter', () => {
    const config = join(dir, 'quiet.config.yml');
    writeFileSync(config, 'version: 1\nalerts: { email: [] }\n');
    const m = loadServerless({
      serverlessFile: `${root}serverless.yml`,
      ...base,
      env: { ...process.env, SENTINEL_CONFIG: config },
    });
    expect([...m.registry.declarations.values()].filter((d) => d.kind === 'subscription')).toEqual([]);
    expect(m.functions.find((f) => f.key === 'notifySlack')?.environment.SLACK_WEBHOOK_PARAMETER).toBe('');
  });
});
