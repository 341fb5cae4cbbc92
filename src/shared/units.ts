/**
 * Sizes and money as people read them, in every capability's text (alerts, the CLI): one home, so an alert
 * and a command print a size the same way, and printing one loads nothing else.
 */

/** `0 B`, `512 B`, `1.5 KiB`, `12.3 MiB`, `2.0 GiB`: binary units, one decimal above bytes. */
export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * `$1,234.56`: US dollars with two decimals (the producer rounds to the cent; this never shows more). Grouped by
 * hand rather than with `toLocaleString`, whose first call loads ICU's number formatting (~20 ms of a CLI run
 * that prints one amount).
 */
export function usd(amount: number): string {
  const value = Number.isFinite(amount) ? Math.max(0, amount) : 0;
  const [whole = '0', cents = '00'] = value.toFixed(2).split('.');
  // toFixed writes exponents from 1e21 on: no registry costs that much, but print it rather than garble it.
  if (whole.includes('e')) return `$${whole}.${cents}`;
  let grouped = whole;
  for (let at = whole.length - 3; at > 0; at -= 3) grouped = `${grouped.slice(0, at)},${grouped.slice(at)}`;
  return `$${grouped}.${cents}`;
}
