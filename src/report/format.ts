/**
 * Reporter (pure): the number formats every renderer and command shares, so a count reads the same
 * in a table, a log line and a golden file.
 *
 * Locale-free on purpose: `toLocaleString` follows the machine's locale (and the ICU data Node was
 * built with), which would make golden files and CI logs differ between machines.
 */

/**
 * A whole number with en-US thousands separators: 12345.6 -> `12,346`, -1234 -> `-1,234`.
 * Non-finite values print as `Intl.NumberFormat('en-US')` prints them (`∞`, `-∞`, `NaN`): a rate
 * over a zero elapsed time (the first progress tick) then still reads as a number.
 */
export function formatInt(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '∞' : '-∞';
  const sign = n < 0 ? '-' : '';
  return sign + Math.round(Math.abs(n)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A count and its noun, agreeing: `counted(1, 'miss', 'misses')` -> `1 miss`, `counted(1234, 'hit')` -> `1,234 hits`.
 * The plural defaults to the noun plus "s"; irregular ones are passed.
 */
export function counted(n: number, noun: string, nouns = `${noun}s`): string {
  return `${formatInt(n)} ${n === 1 ? noun : nouns}`;
}

/** Human sizes for tables, in decimal (SI) units: 1,234,567 bytes -> `1.2 MB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
