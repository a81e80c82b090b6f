/** Reporter: what `perfbench seed` prints. */
import { formatBytes, formatInt } from './format.js';
import type { SeedResult } from '../workload/dataset.js';
import type { Identifier } from '../workload/identifiers.js';

export function describeSeed(result: SeedResult): string {
  if (result.unchanged) {
    return `${result.table} already holds this dataset (${formatInt(result.rows)} rows, ${formatBytes(result.totalBytes)}, fingerprint ${result.fingerprint}); nothing to do`;
  }
  return [
    `seeded ${result.table}: ${formatInt(result.rows)} rows, ${formatBytes(result.totalBytes)}, fingerprint ${result.fingerprint}`,
    `load ${(result.loadMs / 1000).toFixed(2)} s (${formatInt(result.rowsPerSecond)} rows/s), total ${(result.totalMs / 1000).toFixed(2)} s with primary key and ANALYZE`,
  ].join('\n');
}

/** The spinner text while seeding. */
export function seedProgressText(table: Identifier, rows: number, totalRows: number, elapsedMs: number): string {
  return `seeding ${table.text}: ${formatInt(rows)} / ${formatInt(totalRows)} rows (${formatInt(rows / (elapsedMs / 1000))} rows/s)`;
}
