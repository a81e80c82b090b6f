/**
 * Use case (bench, prepare phase): describe the dataset a run measures (rows, distinct filter
 * values, rows per value, fingerprint, whether perfbench seeded it) for the result, and warn when
 * the user asked for the defaults but the default table holds something else.
 */
import type pg from 'pg';
import { countRows } from '../db/catalog.js';
import { readDataset, tableInfo } from '../db/products.js';
import { formatInt } from '../report/format.js';
import { isDefaultDataset, type DatasetDescription } from '../workload/dataset.js';
import { REPORT_DEFAULTS } from '../workload/report.js';
import type { FilterTarget } from '../workload/workload.js';

export async function describeDataset(client: pg.ClientBase, filter: FilterTarget, facts: { fingerprint: string; distinctValues: number; valuesCap: number }): Promise<DatasetDescription> {
  const seeded = await readDataset(client, filter.table);
  const info = await tableInfo(client, filter.table);
  const estimated = info?.estimatedRows ?? 0;
  // reltuples is -1 (read as 0) before the first ANALYZE: then count, once, outside any measurement.
  const rows = seeded ? seeded.rowCount : estimated > 0 ? estimated : await countRows(client, filter.table);
  const distinct = Math.max(facts.distinctValues, 1);
  return {
    table: filter.table.text,
    column: filter.column.text,
    rows,
    rowsExact: Boolean(seeded) || estimated <= 0,
    distinctValues: facts.distinctValues,
    valuesCapped: !seeded && facts.distinctValues >= facts.valuesCap,
    rowsPerValue: Math.round(rows / distinct),
    fingerprint: facts.fingerprint,
    seededByPerfbench: Boolean(seeded),
    isDefaultDataset: Boolean(seeded) && isDefaultDataset(facts.fingerprint),
  };
}

/**
 * The warning for a run with the default --table and --column on something other than the default
 * dataset: its figures are not comparable with the README's, and the user did not choose the data.
 */
export function notDefaultDatasetWarning(dataset: DatasetDescription, askedForDefaults: boolean): string | undefined {
  if (!askedForDefaults || dataset.isDefaultDataset || dataset.table !== REPORT_DEFAULTS.table) return undefined;
  const what = dataset.seededByPerfbench ? 'a dataset perfbench seeded with other flags' : 'a table perfbench did not seed';
  return `${dataset.table} is not the default dataset: it holds ${formatInt(dataset.rows)} rows in ${formatInt(dataset.distinctValues)} ${dataset.column} values ` +
    `(${what}); the figures are not comparable with the default run's (\`perfbench seed --reset\` restores the default dataset)`;
}
