import { describe, expect, it } from 'vitest';
import { ownStackText } from '../../src/compliance/own-stack/command.ts';
import { declaredStack } from '../../src/compliance/own-stack/declared.ts';
import { auditOwnStack, type ObservedStack } from '../../src/compliance/own-stack/rules.ts';

/** The own-stack rule on what a read could return, without AWS: the declaration is serverless.yml's own. */

const declared = declaredStack('dev');
const NOW = new Date('2026-11-28T00:00:00Z');

function role(logicalId: string) {
  const found = declared.roles.find((r) => r.logicalId === logicalId);
  if (!found?.statements) throw new Error(`no declared role ${logicalId}`);
  return found;
}

describe('the declared stack', () => {
  it('has an alarm per function and per failure queue, and each function role, all named after the stage', () => {
    const names = declared.alarms.map((a) => JSON.stringify(a.AlarmName));

    expect(declared.stackName).toBe('ecr-sentinel-dev');
    expect(declared.alarms.filter((a) => a.MetricName === 'Errors')).toHaveLength(
      Object.keys(declared.functions).length,
    );
    expect(names).toContain(JSON.stringify({ 'Fn::Sub': `\${AWS::StackName}-OnFailureQueue-depth` }));
    expect(declared.functions.onImagePushed).toEqual({
      logicalId: 'OnImagePushedLambdaFunction',
      functionName: 'ecr-sentinel-dev-onImagePushed',
    });
    expect(role('OnImagePushedRole').functions).toEqual(['onImagePushed']);
  });
});

describe('auditOwnStack', () => {
  const unread = { ok: false as const, error: 'ListStackResources ecr-sentinel-dev: AccessDenied: no' };

  it('judges nothing it could not read: every item unknown with the read that failed', () => {
    const report = auditOwnStack(declared, { resources: unread, alarms: unread, roles: {} }, NOW);

    expect(report.summary).toMatchObject({ drift: 0, pass: 0, unknown: report.findings.length });
    expect(report.findings.every((f) => f.error?.includes('AccessDenied'))).toBe(true);
  });

  it('compares a role by its actions: an action dropped and one on "*" instead of its resource', () => {
    const declaredRole = role('OnScanCompletedRole');
    const statements = (declaredRole.statements ?? [])
      .map((s) => ({ ...s, Resource: s.Resource === '*' ? '*' : 'arn:aws:x:::y' }))
      .map((s) =>
        JSON.stringify(s.Action) === JSON.stringify(['sns:Publish'])
          ? { ...s, Action: ['sns:Publish'], Resource: '*' }
          : s,
      )
      .filter((s) => JSON.stringify(s.Action) !== JSON.stringify(['inspector2:ListFindings']));
    const observed: ObservedStack = {
      resources: { ok: true, value: { OnScanCompletedRole: 'stack-OnScanCompletedRole-1' } },
      alarms: { ok: true, value: [] },
      roles: {
        OnScanCompletedRole: {
          ok: true,
          value: {
            roleName: 'stack-OnScanCompletedRole-1',
            inlinePolicies: [
              {
                policyName: 'on-scan-completed',
                document: encodeURIComponent(
                  JSON.stringify({ Version: '2012-10-17', Statement: statements }),
                ),
              },
            ],
            attachedPolicyArns: [],
          },
        },
      },
    };

    const finding = auditOwnStack(declared, observed, NOW).findings.find((f) =>
      f.item.startsWith('OnScanCompletedRole'),
    );

    expect(finding?.status).toBe('drift');
    expect(finding?.details).toEqual([
      'missing: allow inspector2:listfindings',
      'on "*" but declared on specific resources: allow sns:publish',
    ]);
  });

  it('leaves a policy document that is not JSON unknown, naming the role', () => {
    const observed: ObservedStack = {
      resources: { ok: true, value: { NotifySlackRole: 'r' } },
      alarms: { ok: true, value: [] },
      roles: {
        NotifySlackRole: {
          ok: true,
          value: {
            roleName: 'r',
            inlinePolicies: [{ policyName: 'p', document: "{'Version': '2012-10-17'}" }],
            attachedPolicyArns: [],
          },
        },
      },
    };

    const finding = auditOwnStack(declared, observed, NOW).findings.find((f) =>
      f.item.startsWith('NotifySlack'),
    );

    expect(finding).toMatchObject({
      status: 'unknown',
      error: expect.stringMatching(/^r: an inline policy is not JSON/),
    });
  });

  it('prints a table, then each drift with its fix and each unknown with its error', () => {
    const report = auditOwnStack(
      declared,
      { resources: { ok: true, value: {} }, alarms: { ok: true, value: [] }, roles: {} },
      NOW,
    );

    const text = ownStackText(report);

    expect(text).toMatch(/^stack ecr-sentinel-dev: \d+ items: 0 pass, \d+ drift, \d+ unknown\n/);
    expect(text).toMatch(/\necr-sentinel-dev-onImagePushed-errors +alarm +DRIFT\n/);
    expect(text).toContain('fix:      deploy the stack (npx serverless deploy --stage dev)');
    expect(text).toContain('error:    the stack has no resource OnImagePushedRole');
  });
});
