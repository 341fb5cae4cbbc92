/**
 * SNS subscription filter policies (the commonly used subset). moto sends no email, so the email tap works out
 * itself which email subscriptions a message reaches, and applies their filter policies as SNS would.
 */
import type { SnsMessageAttribute, SnsPublishedMessage } from './sns-publish.ts';

type Scalar = string | number | boolean | null;

function attributeValues(attribute: SnsMessageAttribute): Scalar[] {
  const value = attribute.StringValue ?? attribute.BinaryValue ?? '';
  if (attribute.DataType.startsWith('String.Array')) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed))
        return parsed.filter((v): v is Scalar => typeof v !== 'object' || v === null);
    } catch {
      return [];
    }
  }
  if (attribute.DataType.startsWith('Number')) return [Number(value)];
  return [value];
}

function numericMatches(value: Scalar, spec: unknown[]): boolean {
  if (typeof value !== 'number' && typeof value !== 'string') return false;
  const n = Number(value);
  if (Number.isNaN(n)) return false;
  for (let i = 0; i + 1 < spec.length; i += 2) {
    const op = spec[i];
    const bound = Number(spec[i + 1]);
    const ok =
      op === '='
        ? n === bound
        : op === '<'
          ? n < bound
          : op === '<='
            ? n <= bound
            : op === '>'
              ? n > bound
              : op === '>='
                ? n >= bound
                : false;
    if (!ok) return false;
  }
  return true;
}

function conditionMatches(condition: unknown, values: Scalar[] | undefined): boolean {
  if (condition === null || typeof condition !== 'object') {
    if (values === undefined) return false;
    if (typeof condition === 'number') return values.some((v) => Number(v) === condition);
    return values.some((v) => v === condition);
  }
  const spec = condition as Record<string, unknown>;
  if ('exists' in spec) return spec.exists === (values !== undefined);
  if (values === undefined) return false;
  if (typeof spec.prefix === 'string') {
    const prefix = spec.prefix;
    return values.some((v) => typeof v === 'string' && v.startsWith(prefix));
  }
  if (typeof spec.suffix === 'string') {
    const suffix = spec.suffix;
    return values.some((v) => typeof v === 'string' && v.endsWith(suffix));
  }
  if (typeof spec['equals-ignore-case'] === 'string') {
    const expected = spec['equals-ignore-case'].toLowerCase();
    return values.some((v) => typeof v === 'string' && v.toLowerCase() === expected);
  }
  if (Array.isArray(spec.numeric)) {
    const numeric = spec.numeric;
    return values.some((v) => numericMatches(v, numeric));
  }
  if ('anything-but' in spec) {
    const excluded = spec['anything-but'];
    if (excluded !== null && typeof excluded === 'object' && !Array.isArray(excluded)) {
      const prefix = (excluded as Record<string, unknown>).prefix;
      return values.some(
        (v) => !(typeof v === 'string' && typeof prefix === 'string' && v.startsWith(prefix)),
      );
    }
    const list = Array.isArray(excluded) ? excluded : [excluded];
    return values.some((v) => !list.some((x) => x === v || (typeof x === 'number' && Number(v) === x)));
  }
  // An operator this stand-in does not model: let the message through rather than hide it.
  return true;
}

function matchesAll(policy: Record<string, unknown>, lookup: (key: string) => unknown): boolean {
  for (const [key, rule] of Object.entries(policy)) {
    if (key === '$or' && Array.isArray(rule)) {
      if (
        !rule.some(
          (sub) =>
            typeof sub === 'object' && sub !== null && matchesAll(sub as Record<string, unknown>, lookup),
        )
      )
        return false;
      continue;
    }
    const value = lookup(key);
    if (rule !== null && typeof rule === 'object' && !Array.isArray(rule)) {
      // Nested policy (MessageBody scope).
      const nested = value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
      if (!matchesAll(rule as Record<string, unknown>, (k) => (nested as Record<string, unknown>)[k]))
        return false;
      continue;
    }
    const conditions = Array.isArray(rule) ? rule : [rule];
    const values =
      value === undefined ? undefined : Array.isArray(value) ? (value as Scalar[]) : [value as Scalar];
    if (!conditions.some((condition) => conditionMatches(condition, values))) return false;
  }
  return true;
}

/**
 * Whether a message passes a subscription's filter policy (scope `MessageAttributes`, the default, or
 * `MessageBody`). Supports exact strings/numbers, prefix, suffix, equals-ignore-case, anything-but, exists,
 * numeric and `$or`; other operators let the message through.
 */
export function passesFilterPolicy(
  policyJson: string | undefined,
  scope: string | undefined,
  message: SnsPublishedMessage,
): boolean {
  if (!policyJson) return true;
  let policy: unknown;
  try {
    policy = JSON.parse(policyJson);
  } catch {
    return true;
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return true;
  if (scope === 'MessageBody') {
    let body: unknown;
    try {
      body = JSON.parse(message.message);
    } catch {
      return false;
    }
    if (typeof body !== 'object' || body === null) return false;
    return matchesAll(policy as Record<string, unknown>, (k) => (body as Record<string, unknown>)[k]);
  }
  return matchesAll(policy as Record<string, unknown>, (key) => {
    const attribute = message.messageAttributes[key];
    if (!attribute) return undefined;
    return attributeValues(attribute);
  });
}
