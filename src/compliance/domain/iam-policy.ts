/**
 * Reading a resource policy (the JSON of SetRepositoryPolicy) for two questions: does an Allow statement open the
 * repository to everyone, and does it name accounts outside an allowlist. Deny statements only take access away,
 * so they are ignored.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
 */

/**
 * Global condition keys that pin a request to a known caller or network: with one of them compared to concrete
 * values, `Principal: "*"` no longer means "anyone". Lower case: condition keys are case-insensitive.
 */
const RESTRICTING_KEYS: ReadonlySet<string> = new Set([
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:sourceowner',
  'aws:sourceorgid',
  'aws:sourceorgpaths',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:sourceip',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:userid',
]);

/** Keys whose values are account ids, checked against the allowlist too. */
const ACCOUNT_KEYS: ReadonlySet<string> = new Set([
  'aws:sourceaccount',
  'aws:principalaccount',
  'aws:sourceowner',
]);

/**
 * Operators that hold only for the values listed. Negations (StringNotEquals…), `…IfExists` (true when the key is
 * absent) and `Null` don't restrict; neither does ForAllValues (true for an empty set of values).
 */
const RESTRICTING_OPERATORS: ReadonlySet<string> = new Set([
  'stringequals',
  'stringequalsignorecase',
  'stringlike',
  'arnequals',
  'arnlike',
  'ipaddress',
]);

const ACCOUNT_ID = /^\d{12}$/;
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/;
const OPEN_NETWORKS: ReadonlySet<string> = new Set(['0.0.0.0/0', '::/0']);

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** A statement that breaks the rules, and why. */
export interface OffendingStatement {
  /** Position in `Statement` (0 when Statement is a single object). */
  readonly index: number;
  readonly sid?: string;
  /** `Sid "PublicPull"` or `Statement[2]`. */
  readonly label: string;
  readonly reasons: readonly string[];
}

export type PolicyAnalysis =
  | {
      readonly ok: true;
      readonly offending: readonly OffendingStatement[];
      /** The policy without the offending statements, or undefined when none would remain. */
      readonly remainingText: string | undefined;
    }
  | { readonly ok: false; readonly problem: string };

/** The account a principal string names (a bare id or an IAM/STS ARN), or undefined (services, `*`). */
export function principalAccount(principal: string): string | undefined {
  if (ACCOUNT_ID.test(principal)) return principal;
  return PRINCIPAL_ARN.exec(principal)?.[1];
}

interface ConditionView {
  readonly restricts: boolean;
  /** Account ids that conditions on account keys admit. */
  readonly accounts: readonly string[];
}

function isWildcardOnly(value: string): boolean {
  return /^[*?]+$/.test(value);
}

function readCondition(condition: unknown): ConditionView {
  if (!isRecord(condition)) return { restricts: false, accounts: [] };
  let restricts = false;
  const accounts: string[] = [];
  for (const [rawOperator, block] of Object.entries(condition)) {
    if (!isRecord(block)) continue;
    const operator = rawOperator.toLowerCase();
    if (operator.startsWith('forallvalues:') || operator.endsWith('ifexists')) continue;
    const base = operator.replace(/^foranyvalue:/, '');
    if (!RESTRICTING_OPERATORS.has(base)) continue;
    for (const [rawKey, rawValues] of Object.entries(block)) {
      const key = rawKey.toLowerCase();
      if (!RESTRICTING_KEYS.has(key)) continue;
      const values = strings(rawValues);
      const concrete =
        values.length > 0 &&
        values.every((v) => !isWildcardOnly(v) && !(base === 'ipaddress' && OPEN_NETWORKS.has(v)));
      if (!concrete) continue;
      restricts = true;
      if (ACCOUNT_KEYS.has(key)) accounts.push(...values.filter((v) => ACCOUNT_ID.test(v)));
    }
  }
  return { restricts, accounts };
}

/** Why one Allow statement breaks the rules (empty when it doesn't). */
function statementReasons(statement: Json, ownAccount: string, allowed: ReadonlySet<string>): string[] {
  const reasons: string[] = [];
  const condition = readCondition(statement.Condition);
  const principal = statement.Principal;
  const awsPrincipals =
    principal === '*' ? ['*'] : isRecord(principal) ? strings(principal.AWS) : strings(principal);

  if (statement.NotPrincipal !== undefined && !condition.restricts)
    reasons.push(
      'Allow with NotPrincipal grants everyone but the listed principals, with no restricting condition',
    );
  if (awsPrincipals.includes('*') && !condition.restricts)
    reasons.push(
      'Principal "*" with no condition restricting the caller (such as aws:PrincipalOrgID or aws:SourceAccount)',
    );

  const foreign = new Set<string>();
  for (const p of awsPrincipals) {
    const account = principalAccount(p);
    if (account !== undefined && account !== ownAccount && !allowed.has(account)) foreign.add(account);
  }
  for (const account of condition.accounts)
    if (account !== ownAccount && !allowed.has(account)) foreign.add(account);
  if (foreign.size > 0)
    reasons.push(
      `grants account${foreign.size === 1 ? '' : 's'} ${[...foreign].join(', ')}, not in the allowlist`,
    );
  return reasons;
}

/**
 * Finds the Allow statements that open the repository to everyone or to accounts outside `allowedAccounts`
 * (the repository's own account is always allowed), and the policy without them.
 */
export function analyseResourcePolicy(
  text: string,
  options: { readonly ownAccount: string; readonly allowedAccounts: readonly string[] },
): PolicyAnalysis {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not valid JSON (${(error as Error).message})` };
  }
  if (!isRecord(document)) return { ok: false, problem: 'not a JSON object' };
  const raw = document.Statement;
  const statements: unknown[] = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const allowed = new Set(options.allowedAccounts);
  const offending: OffendingStatement[] = [];
  statements.forEach((statement, index) => {
    if (!isRecord(statement) || statement.Effect !== 'Allow') return;
    const reasons = statementReasons(statement, options.ownAccount, allowed);
    if (reasons.length === 0) return;
    const sid = typeof statement.Sid === 'string' && statement.Sid !== '' ? statement.Sid : undefined;
    offending.push({
      index,
      ...(sid ? { sid } : {}),
      label: sid ? `Sid "${sid}"` : `Statement[${index}]`,
      reasons,
    });
  });
  const dropped = new Set(offending.map((o) => o.index));
  const kept = statements.filter((_, index) => !dropped.has(index));
  const remainingText =
    kept.length === 0
      ? undefined
      : JSON.stringify({ ...document, Statement: Array.isArray(raw) ? kept : kept[0] }, null, 2);
  return { ok: true, offending, remainingText };
}
