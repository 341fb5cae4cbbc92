/**
 * IAM identity-based policy evaluation for the sandbox, following AWS's documented logic: an explicit deny in any
 * statement wins, else an allow in any statement, else the request is implicitly denied.
 * Pure: no SDK, no environment, no I/O. What it cannot evaluate faithfully (an unknown condition operator, a
 * policy variable) is refused when the policy is parsed, so a policy is never silently judged more or less
 * permissively than AWS would judge it.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
import * as z from 'zod';

/** One request to authorise: an IAM action on one resource, with the request context condition keys. */
export interface AuthorizationRequest {
  /** `service:Action`, e.g. `ecr:PutImage`. */
  action: string;
  /** The resource ARN, or `*` for an action without resource-level permissions. */
  resource: string;
  /** Condition keys of the request context (`aws:SourceArn`, `kms:ViaService`, …); names are case-insensitive. */
  context?: Record<string, string | string[]>;
}

/** The outcome of {@link evaluate}; `statement` is the index of the deciding statement. */
export type Decision =
  | { effect: 'allow'; statement: number }
  | { effect: 'implicit-deny' }
  | { effect: 'explicit-deny'; statement: number; sid?: string };

// ---------------------------------------------------------------------------------------------------------------
// Condition operators

/** How the policy values of an operator compare with one request value. */
type Comparison = 'string' | 'string-ignore-case' | 'string-like' | 'arn-like' | 'bool' | 'numeric';

interface BaseOperator {
  comparison: Comparison;
  /** Negated operators (`StringNotEquals`, …) match when the request value matches none of the policy values. */
  negated: boolean;
  /** For numeric operators: how the request value relates to the policy value. */
  numeric?: (request: number, policy: number) => boolean;
}

/**
 * The operators the sandbox evaluates. `ArnEquals` and `ArnLike` are the same operator in AWS (both accept
 * wildcards, segment by segment); Date, IpAddress and Binary operators are not modelled and are refused.
 */
const BASE_OPERATORS: Readonly<Record<string, BaseOperator>> = {
  StringEquals: { comparison: 'string', negated: false },
  StringNotEquals: { comparison: 'string', negated: true },
  StringEqualsIgnoreCase: { comparison: 'string-ignore-case', negated: false },
  StringNotEqualsIgnoreCase: { comparison: 'string-ignore-case', negated: true },
  StringLike: { comparison: 'string-like', negated: false },
  StringNotLike: { comparison: 'string-like', negated: true },
  ArnEquals: { comparison: 'arn-like', negated: false },
  ArnLike: { comparison: 'arn-like', negated: false },
  ArnNotEquals: { comparison: 'arn-like', negated: true },
  ArnNotLike: { comparison: 'arn-like', negated: true },
  Bool: { comparison: 'bool', negated: false },
  NumericEquals: { comparison: 'numeric', negated: false, numeric: (r, p) => r === p },
  NumericNotEquals: { comparison: 'numeric', negated: true, numeric: (r, p) => r === p },
  NumericLessThan: { comparison: 'numeric', negated: false, numeric: (r, p) => r < p },
  NumericLessThanEquals: { comparison: 'numeric', negated: false, numeric: (r, p) => r <= p },
  NumericGreaterThan: { comparison: 'numeric', negated: false, numeric: (r, p) => r > p },
  NumericGreaterThanEquals: { comparison: 'numeric', negated: false, numeric: (r, p) => r >= p },
};

/** A condition operator name taken apart: `ForAnyValue:StringLikeIfExists` → set, base, ifExists. */
type ParsedOperator =
  | { kind: 'null' }
  | { kind: 'compare'; set?: 'any' | 'all'; base: BaseOperator; ifExists: boolean };

function parseOperator(name: string): ParsedOperator | undefined {
  // `Null` tests presence itself: AWS allows neither `IfExists` nor a set operator on it.
  if (name === 'Null') return { kind: 'null' };
  let rest = name;
  let set: 'any' | 'all' | undefined;
  if (rest.startsWith('ForAnyValue:')) {
    set = 'any';
    rest = rest.slice('ForAnyValue:'.length);
  } else if (rest.startsWith('ForAllValues:')) {
    set = 'all';
    rest = rest.slice('ForAllValues:'.length);
  }
  const ifExists = rest.endsWith('IfExists');
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  const base = Object.hasOwn(BASE_OPERATORS, rest) ? BASE_OPERATORS[rest] : undefined;
  if (base === undefined) return undefined;
  return set === undefined ? { kind: 'compare', base, ifExists } : { kind: 'compare', set, base, ifExists };
}

// ---------------------------------------------------------------------------------------------------------------
// Schema

const nonEmptyString = z.string().min(1, 'must not be empty');

/** `"x"` or `["x", …]`, normalised to an array. */
const stringOrStrings = z
  .union([nonEmptyString, z.array(nonEmptyString).min(1, 'must list at least one value')], {
    error: 'expected a string or a non-empty array of strings',
  })
  .transform((value) => (Array.isArray(value) ? value : [value]));

const conditionScalar = z.union([z.string(), z.boolean(), z.number()], {
  error: 'expected a string, boolean or number',
});

/** A condition value, normalised to strings: JSON booleans and numbers compare as their text, as in AWS. */
const conditionValues = z
  .union([conditionScalar, z.array(conditionScalar).min(1, 'must list at least one value')], {
    error: 'expected a string, boolean, number or a non-empty array of them',
  })
  .transform((value) => (Array.isArray(value) ? value : [value]).map(String));

const conditionBlock = z
  .record(
    z.string(),
    z.record(z.string(), conditionValues, { error: 'expected an object of condition keys' }),
    {
      error: 'expected an object of condition operators',
    },
  )
  .superRefine((block, ctx) => {
    for (const [operatorName, keys] of Object.entries(block)) {
      const operator = parseOperator(operatorName);
      if (operator === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [operatorName],
          message: `the sandbox cannot evaluate condition operator ${operatorName}`,
        });
        continue;
      }
      for (const [key, values] of Object.entries(keys)) {
        values.forEach((value, index) => {
          const problem = valueProblem(operator, value);
          if (problem !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: values.length > 1 ? [operatorName, key, index] : [operatorName, key],
              message: problem,
            });
          }
        });
      }
    }
  });

/** Why `value` cannot be a policy value of `operator`, if it cannot. */
function valueProblem(operator: ParsedOperator, value: string): string | undefined {
  if (operator.kind === 'null' || operator.base.comparison === 'bool') {
    return value === 'true' || value === 'false' ? undefined : `expected true or false, got ${value}`;
  }
  if (operator.base.comparison === 'numeric' && !isNumeric(value)) return `expected a number, got ${value}`;
  if (value.includes('${')) return policyVariableProblem(value);
  return undefined;
}

function policyVariableProblem(value: string): string {
  return `the sandbox cannot evaluate policy variables (${value})`;
}

/**
 * Action or Resource patterns, with the shape IAM demands (`service:Action` or `*`; an ARN or `*`) so that a
 * typo fails here rather than silently matching nothing. Policy variables (`${aws:username}`) are refused:
 * the sandbox does not substitute them.
 */
function patterns(shape: RegExp, expected: string) {
  return stringOrStrings.superRefine((values, ctx) => {
    values.forEach((value, index) => {
      const at = values.length > 1 ? [index] : [];
      if (value.includes('${')) {
        ctx.addIssue({ code: 'custom', path: at, message: policyVariableProblem(value) });
      } else if (!shape.test(value)) {
        ctx.addIssue({ code: 'custom', path: at, message: `expected ${expected}, got ${value}` });
      }
    });
  });
}

const actionPatterns = patterns(/^(\*|[^:\s]+:\S+)$/, '"service:Action" or "*"');
const resourcePatterns = patterns(/^(\*|arn:\S*)$/, 'an ARN or "*"');

/** One statement of an identity-based policy (no `Principal`: that belongs to resource-based policies). */
const statementSchema = z
  .strictObject({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny'], { error: 'expected "Allow" or "Deny"' }),
    Action: actionPatterns.optional(),
    NotAction: actionPatterns.optional(),
    Resource: resourcePatterns.optional(),
    NotResource: resourcePatterns.optional(),
    Condition: conditionBlock.optional(),
  })
  .superRefine((statement, ctx) => {
    for (const [positive, negative] of [
      ['Action', 'NotAction'],
      ['Resource', 'NotResource'],
    ] as const) {
      const has = statement[positive] !== undefined;
      const hasNot = statement[negative] !== undefined;
      if (has === hasNot) {
        ctx.addIssue({
          code: 'custom',
          path: [has ? negative : positive],
          message: `a statement needs exactly one of ${positive} or ${negative}`,
        });
      }
    }
  });

/** A statement as {@link evaluate} reads it: every list normalised to an array of strings. */
export type PolicyStatement = z.output<typeof statementSchema>;

const documentSchema = z.strictObject({
  Version: z
    .enum(['2012-10-17', '2008-10-17'], { error: 'expected "2012-10-17" or "2008-10-17"' })
    .optional(),
  Id: z.string().optional(),
  Statement: z
    .union([statementSchema, z.array(statementSchema).min(1, 'must list at least one statement')], {
      error: 'expected a statement or a non-empty array of statements',
    })
    .transform((value) => (Array.isArray(value) ? value : [value])),
});

/**
 * Validate an identity-based policy document (an object, or its JSON text) and return its statements.
 * @param where names the document in the error, e.g. `OnScanCompletedRole.Policies[0].PolicyDocument`.
 * @throws Error `<where><path>: <problem>`, e.g. `…PolicyDocument.Statement[2].Action: expected a string or …`;
 *   also for a condition operator or policy variable the sandbox cannot evaluate.
 */
export function parsePolicyDocument(document: unknown, where: string): PolicyStatement[] {
  let value = document;
  if (typeof document === 'string') {
    try {
      value = JSON.parse(document);
    } catch (error) {
      throw new Error(`${where}: not JSON (${(error as Error).message})`, { cause: error });
    }
  }
  const result = documentSchema.safeParse(value);
  if (result.success) return result.data.Statement;
  const first = result.error.issues[0];
  const issue = first === undefined ? { path: [], message: 'invalid' } : deepestIssue(first);
  const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`));
  throw new Error(`${where}${path.join('')}: ${issue.message}`);
}

type Issue = z.core.$ZodIssue;

/** Where a problem is in the document, and what it is. */
interface LocatedIssue {
  path: readonly PropertyKey[];
  message: string;
}

/**
 * Zod reports a union that no branch accepts (`Statement: {…} | […]`, `Action: "…" | […]`) at the union, which
 * hides what is wrong inside. The branch that got furthest into the value is the one the author meant: report
 * its first problem, with the full path; when no branch got past the value itself, keep the union's message.
 */
function deepestIssue(issue: Issue): LocatedIssue {
  if (issue.code === 'unrecognized_keys') {
    // Zod reports an unknown key on its object; name the key itself, which is what a reader must fix.
    const key = issue.keys[0] ?? '';
    const why = /^(Not)?Principal$/.test(key)
      ? 'identity-based policies have no principal: it is implied by the role the policy is attached to'
      : 'not a policy element';
    return { path: [...issue.path, key], message: why };
  }
  if (issue.code !== 'invalid_union') return { path: issue.path, message: issue.message };
  let best: LocatedIssue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first === undefined) continue;
    const candidate = deepestIssue(first);
    if (candidate.path.length > (best?.path.length ?? 0)) best = candidate;
  }
  return best === undefined
    ? { path: issue.path, message: issue.message }
    : { path: [...issue.path, ...best.path], message: best.message };
}

// ---------------------------------------------------------------------------------------------------------------
// Matching

const patternCache = new Map<string, RegExp>();

/**
 * IAM wildcards: `*` any run of characters, `?` any one character, everything else literal.
 * Actions compare case-insensitively, resources and condition values case-sensitively.
 */
function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  if (pattern === '*') return true;
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let re = patternCache.get(cacheKey);
  if (re === undefined) {
    const body = pattern.replace(/[.+^${}()|[\]\\*?]/g, (char) =>
      char === '*' ? '.*' : char === '?' ? '.' : `\\${char}`,
    );
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(cacheKey, re);
  }
  return re.test(value);
}

/** `arn:partition:service:region:account:resource`; the resource part keeps its own colons. */
function arnSegments(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/**
 * ArnEquals/ArnLike: each of the six ARN segments is matched separately, so a wildcard never spans a colon
 * between segments. A value that is not an ARN matches nothing; `*` matches any ARN, and any other policy value
 * with fewer than six segments (`arn:aws:*`) matches none, as its segments cannot line up.
 */
function arnMatch(pattern: string, value: string): boolean {
  const actual = arnSegments(value);
  if (actual === undefined) return false;
  if (pattern === '*') return true;
  const wanted = arnSegments(pattern);
  if (wanted === undefined) return false;
  return wanted.every((segment, index) => wildcardMatch(segment, actual[index] ?? '', false));
}

function isNumeric(value: string): boolean {
  return value.trim() !== '' && Number.isFinite(Number(value));
}

/** True when one request value matches one policy value under `base` (before negation). */
function valueMatches(base: BaseOperator, requestValue: string, policyValue: string): boolean {
  switch (base.comparison) {
    case 'string':
      return requestValue === policyValue;
    case 'string-ignore-case':
      return requestValue.toLowerCase() === policyValue.toLowerCase();
    case 'string-like':
      return wildcardMatch(policyValue, requestValue, false);
    case 'arn-like':
      return arnMatch(policyValue, requestValue);
    case 'bool':
      return requestValue.toLowerCase() === policyValue;
    case 'numeric':
      return isNumeric(requestValue) && base.numeric !== undefined
        ? base.numeric(Number(requestValue), Number(policyValue))
        : false;
  }
}

/**
 * One request value against the policy values: any of them (OR); for a negated operator, none of them (NOR).
 */
function singleMatches(base: BaseOperator, requestValue: string, policyValues: string[]): boolean {
  const some = policyValues.some((policyValue) => valueMatches(base, requestValue, policyValue));
  return base.negated ? !some : some;
}

/** Lower-cased context key → values; an empty array counts as an absent key. */
type Context = Map<string, string[]>;

function contextOf(request: AuthorizationRequest): Context {
  const context: Context = new Map();
  for (const [key, value] of Object.entries(request.context ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    if (values.length > 0) context.set(key.toLowerCase(), values);
  }
  return context;
}

function conditionKeyHolds(
  operator: ParsedOperator,
  requestValues: string[] | undefined,
  policy: string[],
): boolean {
  if (operator.kind === 'null') {
    // `true` asks for the key to be absent, `false` for it to be present.
    const absent = requestValues === undefined;
    return policy.some((value) => (value === 'true') === absent);
  }
  const { set, base, ifExists } = operator;
  if (requestValues === undefined) {
    if (ifExists) return true;
    // ForAllValues over an empty set is vacuously true; ForAnyValue finds nothing.
    if (set === 'all') return true;
    if (set === 'any') return false;
    // "If the policy condition requires that the key is not matched (StringNotLike, ArnNotLike…) and the key is
    // not present, the condition is true" (condition operators page); a positive operator is false.
    return base.negated;
  }
  if (set === 'all') return requestValues.every((value) => singleMatches(base, value, policy));
  if (set === 'any') return requestValues.some((value) => singleMatches(base, value, policy));
  // AWS requires a set operator for a multivalued key; without one, the sandbox reads a positive operator as
  // "some request value matches" and a negated one as "no request value matches any policy value".
  return base.negated
    ? requestValues.every((value) => singleMatches(base, value, policy))
    : requestValues.some((value) => singleMatches(base, value, policy));
}

function conditionsHold(condition: PolicyStatement['Condition'], context: Context): boolean {
  if (condition === undefined) return true;
  // Operators AND, keys within an operator AND, values of one key OR (NOR for negated operators).
  return Object.entries(condition).every(([operatorName, keys]) => {
    const operator = parseOperator(operatorName);
    // parsePolicyDocument refuses unknown operators; a statement built another way fails closed.
    if (operator === undefined) return false;
    return Object.entries(keys).every(([key, policyValues]) =>
      conditionKeyHolds(operator, context.get(key.toLowerCase()), policyValues),
    );
  });
}

function statementApplies(
  statement: PolicyStatement,
  request: AuthorizationRequest,
  context: Context,
): boolean {
  const actionMatches = (patterns: string[]) =>
    patterns.some((pattern) => wildcardMatch(pattern, request.action, true));
  const resourceMatches = (patterns: string[]) =>
    patterns.some((pattern) => wildcardMatch(pattern, request.resource, false));
  const action =
    statement.Action !== undefined
      ? actionMatches(statement.Action)
      : statement.NotAction !== undefined && !actionMatches(statement.NotAction);
  if (!action) return false;
  const resource =
    statement.Resource !== undefined
      ? resourceMatches(statement.Resource)
      : statement.NotResource !== undefined && !resourceMatches(statement.NotResource);
  return resource && conditionsHold(statement.Condition, context);
}

/**
 * Decide one request against the statements of every identity-based policy of the principal: an explicit deny
 * wins over any allow; with neither, the request is implicitly denied. A request for an action without
 * resource-level permissions (resource `*`) is matched only by a `Resource` pattern that matches the text `*`.
 */
export function evaluate(statements: PolicyStatement[], request: AuthorizationRequest): Decision {
  const context = contextOf(request);
  let allowedBy: number | undefined;
  for (const [index, statement] of statements.entries()) {
    if (!statementApplies(statement, request, context)) continue;
    if (statement.Effect === 'Deny') {
      return statement.Sid === undefined
        ? { effect: 'explicit-deny', statement: index }
        : { effect: 'explicit-deny', statement: index, sid: statement.Sid };
    }
    allowedBy ??= index;
  }
  return allowedBy === undefined ? { effect: 'implicit-deny' } : { effect: 'allow', statement: allowedBy };
}

/**
 * The message AWS returns with `AccessDeniedException` (or `AccessDenied`) for a denied request.
 * @throws Error when `decision` allows the request: there is no denial to describe.
 */
export function denialMessage(
  principalArn: string,
  request: AuthorizationRequest,
  decision: Decision,
): string {
  const head = `User: ${principalArn} is not authorized to perform: ${request.action} on resource: ${request.resource}`;
  switch (decision.effect) {
    case 'implicit-deny':
      return `${head} because no identity-based policy allows the ${request.action} action`;
    case 'explicit-deny':
      return `${head} with an explicit deny in an identity-based policy`;
    case 'allow':
      throw new Error(`denialMessage: ${request.action} on ${request.resource} is allowed`);
  }
}
