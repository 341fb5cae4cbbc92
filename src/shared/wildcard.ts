/**
 * ECR wildcard filters (tag mutability exclusions, registry scanning repository filters) know one
 * metacharacter, `*`, matching any run of characters (including none). Everything else is literal.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html
 */
export function wildcardToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

const cache = new Map<string, RegExp>();

/** True when `value` matches the ECR wildcard `pattern`. */
export function wildcardMatch(pattern: string, value: string): boolean {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = wildcardToRegExp(pattern);
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(value);
}
