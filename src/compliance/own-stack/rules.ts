import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { DeclaredAlarm, DeclaredRole, DeclaredStack, PolicyStatement } from './declared.ts';

/**
 * ecr-sentinel's own stack judged against its declaration (pure: what was read comes in): every declared alarm
 * present as generated (metric, threshold, both notifications to the alerts topic), every function's role
 * granting exactly the actions serverless.yml declares (and on `"*"` only those declared on `"*"`), with no
 * managed policy attached. What could not be read is `unknown`, never drift.
 */

/** `pass`, `drift`, or `unknown` (not judged: what the check needs could not be read, `error` says why). */
export type OwnStackStatus = 'pass' | 'drift' | 'unknown';

export interface OwnStackFinding {
  readonly check: 'alarm' | 'role';
  /** The alarm's name, or the role's logical id and its functions. */
  readonly item: string;
  readonly status: OwnStackStatus;
  readonly expected: string;
  readonly actual: string;
  readonly fix?: string;
  /** Each difference. */
  readonly details?: readonly string[];
  readonly error?: string;
}

export interface OwnStackReport {
  readonly generatedAt: string;
  readonly stackName: string;
  readonly findings: readonly OwnStackFinding[];
  readonly summary: {
    readonly items: number;
    readonly pass: number;
    readonly drift: number;
    readonly unknown: number;
  };
}

/** A read that may have failed: the value, or why it could not be read. */
export type Read<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/** A role as IAM answers for it: its inline policies (documents as GetRolePolicy returns them) and attachments. */
export interface ObservedRole {
  readonly roleName: string;
  readonly inlinePolicies: readonly { readonly policyName: string; readonly document: string }[];
  readonly attachedPolicyArns: readonly string[];
}

/** What was read of the deployed stack. */
export interface ObservedStack {
  /** The stack's resources: logical id → physical id (a queue's URL, a topic's ARN, a role's name). */
  readonly resources: Read<Readonly<Record<string, string>>>;
  /** The account's alarms whose names start with the stack's name. */
  readonly alarms: Read<readonly MetricAlarm[]>;
  /** By the role's logical id. */
  readonly roles: Readonly<Record<string, Read<ObservedRole>>>;
}

class Unresolvable extends Error {}

/** A generated value with the stack's intrinsics resolved from what was deployed. */
function resolve(
  value: unknown,
  declared: DeclaredStack,
  resources: Readonly<Record<string, string>>,
): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  const intrinsic = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown; 'Fn::Sub'?: unknown };
  if (typeof intrinsic.Ref === 'string') {
    const fn = Object.values(declared.functions).find((f) => f.logicalId === intrinsic.Ref);
    if (fn) return fn.functionName;
    const physical = resources[intrinsic.Ref];
    if (physical !== undefined) return physical;
    throw new Unresolvable(`the stack has no resource ${intrinsic.Ref}`);
  }
  const getAtt = intrinsic['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'QueueName') {
    const url = resources[String(getAtt[0])];
    if (url === undefined) throw new Unresolvable(`the stack has no resource ${String(getAtt[0])}`);
    // A queue's physical id is its URL, which ends with its name.
    return url.slice(url.lastIndexOf('/') + 1);
  }
  if (typeof intrinsic['Fn::Sub'] === 'string') {
    const text = intrinsic['Fn::Sub'].replaceAll(`\${AWS::StackName}`, declared.stackName);
    if (!text.includes('${')) return text;
  }
  throw new Unresolvable(`cannot resolve ${JSON.stringify(value)}`);
}

const same = (a: readonly string[], b: readonly string[]) =>
  JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

function alarmFinding(
  declaredAlarm: DeclaredAlarm,
  declared: DeclaredStack,
  observed: ObservedStack,
): OwnStackFinding {
  const label = (() => {
    try {
      return resolve(declaredAlarm.AlarmName, declared, {});
    } catch {
      return declaredAlarm.logicalId;
    }
  })();
  const base = { check: 'alarm' as const, item: label };
  const expectedText = `${declaredAlarm.Namespace} ${declaredAlarm.MetricName} ${declaredAlarm.Statistic} ${declaredAlarm.ComparisonOperator} ${declaredAlarm.Threshold}, alarm and OK actions to the alerts topic`;
  if (!observed.alarms.ok) {
    return {
      ...base,
      status: 'unknown',
      expected: expectedText,
      actual: 'not read',
      error: observed.alarms.error,
    };
  }
  const alarm = observed.alarms.value.find((a) => a.AlarmName === label);
  if (!alarm) {
    return {
      ...base,
      status: 'drift',
      expected: expectedText,
      actual: 'no such alarm',
      fix: `deploy the stack (npx serverless deploy --stage ${declared.stage}): deploy/alarms.cjs generates it`,
    };
  }
  // Missing is drift whatever else was read; comparing its settings needs the stack's resources.
  if (!observed.resources.ok) {
    return {
      ...base,
      status: 'unknown',
      expected: expectedText,
      actual: 'present, not compared',
      error: observed.resources.error,
    };
  }
  const resources = observed.resources.value;
  let want: Record<string, string | string[]>;
  try {
    const r = (v: unknown) => resolve(v, declared, resources);
    want = {
      Namespace: declaredAlarm.Namespace,
      MetricName: declaredAlarm.MetricName,
      Dimensions: declaredAlarm.Dimensions.map((d) => `${d.Name}=${r(d.Value)}`),
      Statistic: declaredAlarm.Statistic,
      Period: String(declaredAlarm.Period),
      EvaluationPeriods: String(declaredAlarm.EvaluationPeriods),
      Threshold: String(declaredAlarm.Threshold),
      ComparisonOperator: declaredAlarm.ComparisonOperator,
      TreatMissingData: declaredAlarm.TreatMissingData,
      ActionsEnabled: String(declaredAlarm.ActionsEnabled),
      AlarmActions: declaredAlarm.AlarmActions.map(r),
      OKActions: declaredAlarm.OKActions.map(r),
    };
  } catch (error) {
    return {
      ...base,
      status: 'unknown',
      expected: expectedText,
      actual: 'not compared',
      error: (error as Error).message,
    };
  }
  const have: Record<string, string | string[]> = {
    Namespace: alarm.Namespace ?? '',
    MetricName: alarm.MetricName ?? '',
    Dimensions: (alarm.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`),
    Statistic: alarm.Statistic ?? '',
    Period: String(alarm.Period),
    EvaluationPeriods: String(alarm.EvaluationPeriods),
    Threshold: String(alarm.Threshold),
    ComparisonOperator: alarm.ComparisonOperator ?? '',
    TreatMissingData: alarm.TreatMissingData ?? 'missing',
    ActionsEnabled: String(alarm.ActionsEnabled),
    AlarmActions: alarm.AlarmActions ?? [],
    OKActions: alarm.OKActions ?? [],
  };
  const details = Object.keys(want).flatMap((key) => {
    const w = want[key] as string | string[];
    const h = have[key] as string | string[];
    const equal = Array.isArray(w) ? same(w, h as string[]) : w === h;
    const show = (v: string | string[]) => (Array.isArray(v) ? `[${v.join(', ')}]` : v);
    return equal ? [] : [`${key}: expected ${show(w)}, found ${show(h)}`];
  });
  return details.length === 0
    ? { ...base, status: 'pass', expected: expectedText, actual: 'as declared' }
    : {
        ...base,
        status: 'drift',
        expected: expectedText,
        actual: `${details.length} difference${details.length === 1 ? '' : 's'}`,
        details,
        fix: `deploy the stack (npx serverless deploy --stage ${declared.stage}) to put the alarm back as declared`,
      };
}

const asList = <T>(value: T | readonly T[] | undefined): readonly T[] =>
  value === undefined ? [] : Array.isArray(value) ? (value as readonly T[]) : [value as T];

/** `allow`/`deny` actions (lower case: IAM compares them so), and those granted on `"*"`. */
function grants(statements: readonly PolicyStatement[]): {
  actions: string[];
  onAny: string[];
  unusual: string[];
} {
  const actions = new Set<string>();
  const onAny = new Set<string>();
  const unusual: string[] = [];
  for (const statement of statements) {
    if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
      unusual.push(`a statement with NotAction or NotResource: ${JSON.stringify(statement)}`);
    }
    for (const action of asList(statement.Action)) {
      const key = `${statement.Effect.toLowerCase()} ${action.toLowerCase()}`;
      actions.add(key);
      if (asList(statement.Resource).includes('*')) onAny.add(key);
    }
  }
  return { actions: [...actions].sort(), onAny: [...onAny].sort(), unusual };
}

/** A policy document as IAM returns it: URL-encoded JSON. */
function parseDocument(text: string): readonly PolicyStatement[] {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // Already decoded (a '%' of its own): read it as it is.
  }
  const document = JSON.parse(decoded) as { Statement?: PolicyStatement | PolicyStatement[] };
  return asList(document.Statement);
}

function roleFinding(role: DeclaredRole, declared: DeclaredStack, observed: ObservedStack): OwnStackFinding {
  const base = { check: 'role' as const, item: `${role.logicalId} (${role.functions.join(', ')})` };
  if (!role.statements) {
    return {
      ...base,
      status: 'unknown',
      expected: 'a role declared in serverless.yml resources',
      actual: 'not compared',
      error: `serverless.yml declares no AWS::IAM::Role ${role.logicalId} (a role Serverless generates is not checked)`,
    };
  }
  const want = grants(role.statements);
  const expected = `${want.actions.length} actions as serverless.yml declares (${want.onAny.length} on "*"), no managed policy`;
  if (!observed.resources.ok) {
    return { ...base, status: 'unknown', expected, actual: 'not read', error: observed.resources.error };
  }
  const read = observed.roles[role.logicalId];
  if (!read) {
    return {
      ...base,
      status: 'unknown',
      expected,
      actual: 'not read',
      error: `the stack has no resource ${role.logicalId}`,
    };
  }
  if (!read.ok) return { ...base, status: 'unknown', expected, actual: 'not read', error: read.error };
  let statements: PolicyStatement[];
  try {
    statements = read.value.inlinePolicies.flatMap((p) => [...parseDocument(p.document)]);
  } catch (error) {
    return {
      ...base,
      status: 'unknown',
      expected,
      actual: 'not compared',
      error: `${read.value.roleName}: an inline policy is not JSON: ${(error as Error).message}`,
    };
  }
  const have = grants(statements);
  const details = [
    ...want.actions.filter((a) => !have.actions.includes(a)).map((a) => `missing: ${a}`),
    ...have.actions.filter((a) => !want.actions.includes(a)).map((a) => `not declared: ${a}`),
    ...have.onAny
      .filter((a) => !want.onAny.includes(a))
      .map((a) => `on "*" but declared on specific resources: ${a}`),
    ...want.onAny
      .filter((a) => have.actions.includes(a) && !have.onAny.includes(a))
      .map((a) => `declared on "*", granted narrower: ${a}`),
    ...have.unusual.filter((u) => !want.unusual.includes(u)),
    ...(role.managedPolicyArns.length === 0
      ? read.value.attachedPolicyArns.map((arn) => `managed policy attached: ${arn}`)
      : []),
  ];
  return details.length === 0
    ? { ...base, status: 'pass', expected, actual: `role ${read.value.roleName} as declared` }
    : {
        ...base,
        status: 'drift',
        expected,
        actual: `role ${read.value.roleName}: ${details.length} difference${details.length === 1 ? '' : 's'}`,
        details,
        fix: `deploy the stack (npx serverless deploy --stage ${declared.stage}) to put the role's inline policy back; detach a managed policy by hand (aws iam detach-role-policy --role-name ${read.value.roleName} --policy-arn …)`,
      };
}

/** The stack's report: one finding per declared alarm and per function role. */
export function auditOwnStack(declared: DeclaredStack, observed: ObservedStack, now: Date): OwnStackReport {
  const findings = [
    ...declared.alarms.map((a) => alarmFinding(a, declared, observed)),
    ...declared.roles.map((r) => roleFinding(r, declared, observed)),
  ];
  const count = (status: OwnStackStatus) => findings.filter((f) => f.status === status).length;
  return {
    generatedAt: now.toISOString(),
    stackName: declared.stackName,
    findings,
    summary: {
      items: findings.length,
      pass: count('pass'),
      drift: count('drift'),
      unknown: count('unknown'),
    },
  };
}
