import type * as z from 'zod';

/**
 * The project's own words for what zod reports. zod's defaults ("Invalid input: expected string, received
 * number") speak of JavaScript types; a person editing YAML wants the path, what is expected there and what was
 * found. Schema fragments that set their own message keep it: zod lets a schema's message win over this map.
 */

/** What a YAML value is, as a person reading the file would call it. */
function describe(input: unknown): string {
  if (input === null) return 'an empty value (null)';
  if (Array.isArray(input)) return 'a list';
  switch (typeof input) {
    case 'string':
      return input.length > 40 ? `text "${input.slice(0, 40)}…"` : `text "${input}"`;
    case 'number':
      return `the number ${input}`;
    case 'boolean':
      return `${input}`;
    case 'object':
      return 'a mapping';
    default:
      return typeof input;
  }
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  date: 'a date',
  null: 'nothing (null)',
};

/** `1 item`, `2 items`. */
function count(n: number | bigint, noun: string): string {
  return `${n} ${noun}${Number(n) === 1 ? '' : 's'}`;
}

function sizeNoun(origin: string): string | undefined {
  if (origin === 'string') return 'character';
  if (origin === 'array' || origin === 'set') return 'item';
  return undefined;
}

/**
 * A per-parse zod error map: every issue code as a short sentence saying what is expected (and what was found
 * when that helps). Used with `schema.safeParse(input, { error: configErrorMap })`.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return `required: expected ${expected}`;
      return `expected ${expected}, found ${describe(issue.input)}`;
    }
    case 'too_small': {
      const noun = sizeNoun(issue.origin);
      const bound = issue.inclusive === false ? 'more than' : 'at least';
      if (noun) {
        if (Number(issue.minimum) === 1 && issue.inclusive !== false)
          return noun === 'item' ? 'expected at least one item' : 'must not be empty';
        return `expected ${bound} ${count(issue.minimum, noun)}`;
      }
      return `expected ${bound} ${issue.minimum}, found ${describe(issue.input)}`;
    }
    case 'too_big': {
      const noun = sizeNoun(issue.origin);
      const bound = issue.inclusive === false ? 'less than' : 'at most';
      if (noun) return `expected ${bound} ${count(issue.maximum, noun)}`;
      return `expected ${bound} ${issue.maximum}, found ${describe(issue.input)}`;
    }
    case 'invalid_format':
      if (issue.format === 'email') return `expected an email address, found ${describe(issue.input)}`;
      if (issue.format === 'regex' && issue.pattern)
        return `expected text matching ${issue.pattern}, found ${describe(issue.input)}`;
      return `expected ${issue.format} format, found ${describe(issue.input)}`;
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}`;
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      const suggestion =
        typeof issue.input === 'string'
          ? didYouMean(
              issue.input,
              issue.values.filter((v): v is string => typeof v === 'string'),
            )
          : '';
      const expected = values.length === 1 ? values[0] : `one of ${values.join(', ')}`;
      return `expected ${expected}, found ${describe(issue.input)}${suggestion}`;
    }
    case 'invalid_union':
      return `${describe(issue.input)} is none of the forms allowed here`;
    case 'invalid_key':
      return `invalid key ${JSON.stringify(issue.input)}`;
    case 'invalid_element':
      return 'invalid element';
    case 'unrecognized_keys':
      // Split into one problem per key by the loader, which adds "did you mean".
      return `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    default:
      return 'invalid value';
  }
};

/**
 * Edit distance counting a swap of neighbours as one edit (optimal string alignment), since `emial` for `email`
 * is one slip of the fingers, not two.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    const above = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = best;
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * `; did you mean "x"?` for the closest candidate, compared case-insensitively, when it is close enough to be a
 * typo (a third of the word, at least 1, at most 3 edits), else the empty string.
 */
export function didYouMean(given: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(given.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.min(3, Math.max(1, Math.floor(given.length / 3)));
  return best !== undefined && bestDistance <= allowed ? `; did you mean "${best}"?` : '';
}

type AnySchema = z.core.$ZodType;

/** The schemas a value at `path` may be checked by (several through unions), wrappers removed. */
export function schemasAt(root: AnySchema, path: readonly PropertyKey[]): AnySchema[] {
  let current = unwrap(root);
  for (const key of path) {
    const next: AnySchema[] = [];
    for (const schema of current) {
      // zod v4 keeps a schema's structure on `_zod.def`; only the kinds the configuration uses are followed.
      const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
      if (def.type === 'object' && typeof key === 'string') {
        const child = (def.shape as Record<string, AnySchema>)[key];
        if (child) next.push(...unwrap(child));
      } else if (def.type === 'array' && typeof key === 'number')
        next.push(...unwrap(def.element as AnySchema));
      else if (def.type === 'record') next.push(...unwrap(def.valueType as AnySchema));
      else if (def.type === 'tuple' && typeof key === 'number') {
        const item = (def.items as AnySchema[])[key];
        if (item) next.push(...unwrap(item));
      }
    }
    current = next;
  }
  return current;
}

/** The keys a mapping at `path` may have, by the schema (empty when it is not a fixed-key mapping). */
export function knownKeysAt(root: AnySchema, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const schema of schemasAt(root, path)) {
    const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'object') for (const key of Object.keys(def.shape as object)) keys.add(key);
  }
  return [...keys];
}

function unwrap(schema: AnySchema): AnySchema[] {
  const out: AnySchema[] = [];
  const stack = [schema];
  while (stack.length > 0) {
    const s = stack.pop() as AnySchema;
    const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
    if ('innerType' in def) stack.push(def.innerType as AnySchema);
    else if (def.type === 'pipe') stack.push(def.in as AnySchema);
    else if (def.type === 'lazy') stack.push((def.getter as () => AnySchema)());
    else if (def.type === 'union') stack.push(...(def.options as AnySchema[]));
    else if (def.type === 'intersection') stack.push(def.left as AnySchema, def.right as AnySchema);
    else out.push(s);
  }
  return out;
}
