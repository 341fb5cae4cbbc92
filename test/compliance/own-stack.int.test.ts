import {
  CloudFormationClient,
  CreateStackCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DeleteAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DeclaredAlarm,
  type DeclaredStack,
  declaredStack,
} from '../../src/compliance/own-stack/declared.ts';
import type { OwnStackReport } from '../../src/compliance/own-stack/rules.ts';
import { runCli } from '../support/cli.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';

/**
 * `ecr-sentinel audit --stack STAGE` against the sandbox (moto answers CloudFormation, CloudWatch and IAM): a
 * stack holding serverless.yml's roles, queues and topic as declared, with deploy/alarms.cjs's alarms, passes;
 * then what needs the stack is unknown while its resources can't be read; an alarm deleted, an alarm without its
 * OK action, a role granted an action nothing declares and a role with a managed policy attached are each drift;
 * a stage with no stack is a usage error naming it.
 */

const env = { AWS_ACCESS_KEY_ID: 'ci', AWS_SECRET_ACCESS_KEY: 'ci', AWS_REGION: 'us-east-1' };
const stage = uniqueName('own')
  .replace(/[^a-zA-Z0-9-]/g, '')
  .slice(0, 20);
let declared: DeclaredStack;
let cloudFormation: CloudFormationClient;
let cloudWatch: CloudWatchClient;
let iam: IAMClient;
let resources: Record<string, string> = {};

/** serverless.yml's values with every intrinsic replaced by a plain ARN-shaped string (the stack is a stand-in). */
function plain(value: unknown): unknown {
  // A Serverless variable (`${file(…)}`) left unresolved: as good as any other stand-in.
  if (typeof value === 'string' && value.includes('${'))
    return `arn:aws:iam::123456789012:role/${stage}-stand-in`;
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) {
      return `arn:aws:sqs:us-east-1:123456789012:${stage}-stand-in`;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function policyOf(logicalId: string): { Version: string; Statement: unknown[] } {
  const role = declared.roles.find((r) => r.logicalId === logicalId);
  return { Version: '2012-10-17', Statement: plain(role?.statements ?? []) as unknown[] };
}

/** The queues and topic the alarms name (by Ref or GetAtt). */
function referenced(alarms: readonly DeclaredAlarm[]): Set<string> {
  const ids = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
      if (typeof v.Ref === 'string') ids.add(v.Ref);
      if (Array.isArray(v['Fn::GetAtt'])) ids.add(String(v['Fn::GetAtt'][0]));
      Object.values(value).forEach(visit);
    }
  };
  visit(alarms);
  return ids;
}

function resolved(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Sub'?: string };
  if (v.Ref) {
    const fn = Object.values(declared.functions).find((f) => f.logicalId === v.Ref);
    return fn?.functionName ?? resources[v.Ref] ?? '?';
  }
  if (v['Fn::GetAtt']) return (resources[v['Fn::GetAtt'][0]] ?? '').split('/').pop() ?? '?';
  return String(v['Fn::Sub']).replace(`\${AWS::StackName}`, declared.stackName);
}

async function putAlarm(alarm: DeclaredAlarm, change: { OKActions?: string[] } = {}) {
  await cloudWatch.send(
    new PutMetricAlarmCommand({
      AlarmName: resolved(alarm.AlarmName),
      Namespace: alarm.Namespace,
      MetricName: alarm.MetricName,
      Dimensions: alarm.Dimensions.map((d) => ({ Name: d.Name, Value: resolved(d.Value) })),
      Statistic: alarm.Statistic as 'Sum',
      Period: alarm.Period,
      EvaluationPeriods: alarm.EvaluationPeriods,
      Threshold: alarm.Threshold,
      ComparisonOperator: alarm.ComparisonOperator as 'GreaterThanThreshold',
      TreatMissingData: alarm.TreatMissingData,
      ActionsEnabled: alarm.ActionsEnabled,
      AlarmActions: alarm.AlarmActions.map(resolved),
      OKActions: change.OKActions ?? alarm.OKActions.map(resolved),
    }),
  );
}

async function auditJson(forStage: string) {
  const result = await runCli(['audit', '--stack', forStage, '--endpoint-url', sandboxUrl(), '--json'], {
    env,
  });
  return { code: result.code, stderr: result.stderr, report: JSON.parse(result.stdout) as OwnStackReport };
}

beforeAll(async () => {
  const config = awsClientConfig();
  cloudFormation = new CloudFormationClient(config);
  cloudWatch = new CloudWatchClient(config);
  iam = new IAMClient(config);
  declared = declaredStack(stage);
  const template: Record<string, unknown> = {};
  for (const role of declared.roles) {
    template[role.logicalId] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
      },
    };
  }
  for (const id of referenced(declared.alarms)) {
    if (declared.roles.some((r) => r.logicalId === id) || id.endsWith('LambdaFunction')) continue;
    template[id] =
      id === 'AlertsTopic'
        ? { Type: 'AWS::SNS::Topic', Properties: { TopicName: `${declared.stackName}-alerts` } }
        : { Type: 'AWS::SQS::Queue', Properties: {} };
  }
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: declared.stackName,
      TemplateBody: JSON.stringify({ Resources: template }),
    }),
  );
  const listed = await cloudFormation.send(new ListStackResourcesCommand({ StackName: declared.stackName }));
  resources = Object.fromEntries(
    (listed.StackResourceSummaries ?? []).map((r) => [r.LogicalResourceId ?? '', r.PhysicalResourceId ?? '']),
  );
  // The inline policies as serverless.yml declares them (put through IAM, as CloudFormation would).
  for (const role of declared.roles) {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: resources[role.logicalId],
        PolicyName: role.functions.join('-'),
        PolicyDocument: JSON.stringify(policyOf(role.logicalId)),
      }),
    );
  }
  for (const alarm of declared.alarms) await putAlarm(alarm);
}, 120_000);

afterAll(() => {
  cloudFormation?.destroy();
  cloudWatch?.destroy();
  iam?.destroy();
});

describe('audit --stack', () => {
  it('passes a stack whose alarms and roles are as declared, one item per alarm and per role', async () => {
    const { code, report, stderr } = await auditJson(stage);

    expect(
      report.findings.filter((f) => f.status !== 'pass'),
      stderr,
    ).toEqual([]);
    expect(code).toBe(0);
    expect(report.stackName).toBe(`ecr-sentinel-${stage}`);
    const items = report.findings.map((f) => f.item);
    expect(items).toEqual(
      expect.arrayContaining([
        `ecr-sentinel-${stage}-onImagePushed-errors`,
        `ecr-sentinel-${stage}-cleanupRepository-errors`,
        `ecr-sentinel-${stage}-OnFailureQueue-depth`,
        `ecr-sentinel-${stage}-EventsDeadLetterQueue-depth`,
        `ecr-sentinel-${stage}-CleanupDeadLetterQueue-depth`,
        'OnImagePushedRole (onImagePushed)',
      ]),
    );
    expect(report.findings.filter((f) => f.check === 'role')).toHaveLength(declared.roles.length);
  }, 90_000);

  it('says unknown, never drift, for what needs the stack when its resources cannot be read, and exits 2', async () => {
    // One refusal, on a call no other test makes: the sandbox is shared.
    await fetch(`${sandboxUrl()}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        service: 'cloudformation',
        action: 'ListStackResources',
        status: 403,
        error: 'AccessDenied',
        times: 1,
      }),
    });

    const { code, report } = await auditJson(stage);

    expect(code).toBe(2);
    expect(new Set(report.findings.map((f) => f.status))).toEqual(new Set(['unknown']));
    expect(report.findings[0]?.error).toMatch(/^ListStackResources ecr-sentinel-.*: AccessDenied/);
  }, 90_000);

  it('reports a deleted alarm, a missing OK action, an undeclared action and a managed policy as drift', async () => {
    const [first, second] = declared.alarms;
    if (!first || !second) throw new Error('expected alarms');
    await cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: [resolved(first.AlarmName)] }));
    await putAlarm(second, { OKActions: [] });
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: resources.OnImagePushedRole,
        PolicyName: 'added-by-hand',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ecr:DeleteRepository', Resource: '*' }],
        }),
      }),
    );
    const { Policy } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: `${stage}-broad`,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ecr:*', Resource: '*' }],
        }),
      }),
    );
    await iam.send(
      new AttachRolePolicyCommand({ RoleName: resources.NotifySlackRole, PolicyArn: Policy?.Arn }),
    );

    const { code, report } = await auditJson(stage);

    expect(code).toBe(1);
    const drift = Object.fromEntries(
      report.findings.filter((f) => f.status === 'drift').map((f) => [f.item, f.details ?? [f.actual]]),
    );
    expect(drift).toEqual({
      [resolved(first.AlarmName)]: ['no such alarm'],
      [resolved(second.AlarmName)]: [
        expect.stringMatching(/^OKActions: expected \[arn:aws:sns:.*\], found \[\]$/),
      ],
      'OnImagePushedRole (onImagePushed)': [
        'not declared: allow ecr:deleterepository',
        'on "*" but declared on specific resources: allow ecr:deleterepository',
      ],
      'NotifySlackRole (notifySlack)': [`managed policy attached: ${Policy?.Arn}`],
    });
    expect(report.findings.find((f) => f.item === resolved(first.AlarmName))?.fix).toMatch(
      /npx serverless deploy --stage/,
    );
  }, 90_000);

  it('names the stack it could not find, exit 2', async () => {
    const result = await runCli(['audit', '--stack', `${stage}-none`, '--endpoint-url', sandboxUrl()], {
      env,
    });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no stack ecr-sentinel-${stage}-none here`);
  }, 90_000);

  it('refuses --stack with --repository or --enforce, and a bad stage', async () => {
    const both = await runCli(['audit', '--stack', stage, '--enforce'], { env });
    const bad = await runCli(['audit', '--stack', 'no/such'], { env });

    expect([both.code, bad.code]).toEqual([2, 2]);
    expect(bad.stderr).toMatch(/--stack: "no\/such" is not a stage name/);
  });
});
