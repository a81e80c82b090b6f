/**
 * Use case: make sure the dataset exists. `seed` creates the built-in products table (binary COPY in
 * one transaction); `ensureDataset` is what bench runs first: seed the default table when it is
 * missing or empty, and insist that any other table already has rows.
 */
import type pg from 'pg';
import { addIndex } from '../db/indexes.js';
import type { RowGeneration } from '../db/copy-source.js';
import { addPrimaryKey, createAndLoad, readDataset, recordDataset, tableInfo } from '../db/products.js';
import { sql } from '../db/sql.js';
import { interruptedError, usageError } from '../errors.js';
import { formatInt } from '../report/format.js';
import type { Runtime } from '../runtime.js';
import { DEFAULT_DATASET, datasetFingerprint, type DatasetParams, type SeedPhases, type SeedResult } from '../workload/dataset.js';

export type { SeedResult } from '../workload/dataset.js';
import { columnIdentifier, type Identifier } from '../workload/identifiers.js';
import { REPORT_DEFAULTS } from '../workload/report.js';

export interface SeedOptions {
  table: Identifier;
  dataset: DatasetParams;
  /** Replace a table perfbench seeded earlier that holds other data. */
  reset: boolean;
  /** Leave the B-tree on category in place (the "after" state) instead of the slow state. */
  withIndex: boolean;
  /** Where the rows are generated; `auto` (the default) uses a worker thread for big loads. Benches compare the two. */
  rowGeneration?: RowGeneration;
}

/** Seeds the products table in one transaction: an error or Ctrl-C leaves the previous table as it was. */
export async function seed(runtime: Runtime, options: SeedOptions, onProgress: (rows: number, elapsedMs: number) => void = () => undefined): Promise<SeedResult> {
  const { table, dataset } = options;
  const fingerprint = datasetFingerprint(dataset);
  const client = await runtime.client();
  const existing = await tableInfo(client, table);
  if (existing) {
    // Only a table perfbench created itself is ever replaced, even an empty one: an empty table may
    // be someone's freshly migrated schema, with its constraints and grants.
    const seeded = await readDataset(client, table);
    if (!seeded) {
      throw usageError(`table ${table.text} exists and perfbench did not seed it; refusing to replace it`, 'choose another --table');
    }
    if (existing.hasRows && seeded.fingerprint === fingerprint) {
      return { table: table.text, fingerprint, rows: seeded.rowCount, unchanged: true, totalBytes: existing.totalBytes, loadMs: 0, totalMs: 0, rowsPerSecond: 0 };
    }
    if (existing.hasRows && !options.reset) {
      throw usageError(`table ${table.text} already holds another dataset (${formatInt(seeded.rowCount)} rows, fingerprint ${seeded.fingerprint})`, 'pass --reset to replace it');
    }
  }

  const started = performance.now();
  const phases: SeedPhases = { loadMs: 0, primaryKeyMs: 0, indexMs: 0, analyzeMs: 0, commitMs: 0 };
  let mark = started;
  /** Time since the previous phase ended. */
  const lap = () => {
    const now = performance.now();
    const elapsed = now - mark;
    mark = now;
    return elapsed;
  };
  await client.query('BEGIN');
  try {
    if (existing) await client.query(sql('products-drop', { table: table.sql }));
    await createAndLoad(client, table, dataset, (rows) => onProgress(rows, performance.now() - started), runtime.signal, options.rowGeneration);
    phases.loadMs = lap();
    await addPrimaryKey(client, table);
    phases.primaryKeyMs = lap();
    if (options.withIndex) {
      await addIndex(client, { table, column: columnIdentifier(REPORT_DEFAULTS.column), method: 'btree', concurrently: false, withinTransaction: true });
    }
    await recordDataset(client, table, dataset, fingerprint);
    phases.indexMs = lap();
    await client.query(sql('products-analyze', { table: table.sql }));
    phases.analyzeMs = lap();
    await client.query('COMMIT');
    phases.commitMs = lap();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (runtime.signal.aborted) throw interruptedError(`seed stopped; table ${table.text} is unchanged`);
    throw error;
  }
  const totalMs = performance.now() - started;
  const info = await tableInfo(client, table);
  return {
    table: table.text, fingerprint, rows: dataset.rows, unchanged: false, totalBytes: info?.totalBytes ?? 0,
    loadMs: phases.loadMs, totalMs, rowsPerSecond: dataset.rows / (phases.loadMs / 1000), phases,
  };
}

/** What ensureDataset tells along the way: spinner status, and lines for the user. */
export interface DatasetHooks {
  status(text: string): void;
  say(line: string): void;
}

/** Seeds the default dataset when the default table is missing or empty; other tables must exist and have rows. */
export async function ensureDataset(runtime: Runtime, client: pg.ClientBase, table: Identifier, hooks: DatasetHooks): Promise<void> {
  const info = await tableInfo(client, table);
  if (info?.hasRows) return;
  if (table.text !== REPORT_DEFAULTS.table) {
    throw usageError(`table ${table.text} ${info ? 'is empty' : 'does not exist'}`,
      `create it with \`perfbench seed --table ${table.text}\`, or pass --table with a table that has data`);
  }
  const d = DEFAULT_DATASET;
  hooks.say(`table ${table.text} ${info ? 'is empty' : 'does not exist'}: seeding the default dataset first ` +
    `(${formatInt(d.rows)} rows in ${formatInt(d.categories)} categories; \`perfbench seed\` makes other sizes)`);
  try {
    const seeded = await seed(runtime, { table, dataset: d, reset: false, withIndex: false },
      (rows) => hooks.status(`seeding ${table.text}: ${formatInt(rows)} / ${formatInt(d.rows)} rows`));
    hooks.say(`seeded ${seeded.table}: ${formatInt(seeded.rows)} rows in ${(seeded.totalMs / 1000).toFixed(1)} s`);
  } catch (error) {
    if (runtime.signal.aborted) throw interruptedError('stopped while seeding; nothing was measured');
    throw error;
  }
}
