/** Reporter: what `perfbench seed` prints. */
import { formatBytes, formatCount } from '../flags/options.js';
import type { SeedResult } from '../usecases/dataset.js';

export function describeSeed(result: SeedResult): string {
  if (result.unchanged) {
    return `${result.table} already holds this dataset (${formatCount(result.rows)} rows, ${formatBytes(result.totalBytes)}, fingerprint ${result.fingerprint}); nothing to do`;
  }
  return [
    `seeded ${result.table}: ${formatCount(result.rows)} rows, ${formatBytes(result.totalBytes)}, fingerprint ${result.fingerprint}`,
    `load ${(result.loadMs / 1000).toFixed(2)} s (${formatCount(result.rowsPerSecond)} rows/s), total ${(result.totalMs / 1000).toFixed(2)} s with primary key and ANALYZE`,
  ].join('\n');
}

