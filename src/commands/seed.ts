import type { Command } from 'commander';
import { DEFAULT_DATASET, DEFAULT_ZIPF_SKEW, datasetFingerprint, type DatasetParams } from '../workload/dataset.js';
import { DISTRIBUTIONS } from '../measure/random.js';
import { interruptedError, usageError } from '../errors.js';
import { columnIdentifier, tableIdentifier, type Identifier } from '../workload/identifiers.js';
import { addIndex } from '../db/indexes.js';
import { addPrimaryKey, createAndLoad, readDataset, recordDataset, tableInfo } from '../db/products.js';
import { sql } from '../db/sql.js';
import type { Runtime } from '../runtime.js';
import type { CommandContext } from '../flags/context.js';
import { choiceOption, formatBytes, formatCount, integerOption, numberOption } from '../flags/options.js';

export interface SeedOptions {
  table: Identifier;
  dataset: DatasetParams;
  /** Replace a table perfbench seeded earlier that holds other data. */
  reset: boolean;
  /** Leave the B-tree on category in place (the "after" state) instead of the slow state. */
  withIndex: boolean;
}

export interface SeedResult {
  table: string;
  fingerprint: string;
  rows: number;
  /** True when the table already held exactly this dataset: nothing was loaded. */
  unchanged: boolean;
  totalBytes: number;
  /** Create + COPY, the part comparable with `pgbench -i -I dtg`. */
  loadMs: number;
  /** Everything: load, primary key, optional index, ANALYZE, commit. */
  totalMs: number;
  rowsPerSecond: number;
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
      throw usageError(`table ${table.text} already holds another dataset (${formatCount(seeded.rowCount)} rows, fingerprint ${seeded.fingerprint})`, 'pass --reset to replace it');
    }
  }

  const started = performance.now();
  let loadMs = 0;
  await client.query('BEGIN');
  try {
    if (existing) await client.query(sql('products-drop', { table: table.sql }));
    await createAndLoad(client, table, dataset, (rows) => onProgress(rows, performance.now() - started), runtime.signal);
    loadMs = performance.now() - started;
    await addPrimaryKey(client, table);
    if (options.withIndex) {
      await addIndex(client, { table, column: columnIdentifier('category'), method: 'btree', concurrently: false, withinTransaction: true });
    }
    await recordDataset(client, table, dataset, fingerprint);
    await client.query(sql('products-analyze', { table: table.sql }));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (runtime.signal.aborted) throw interruptedError(`seed stopped; table ${table.text} is unchanged`);
    throw error;
  }
  const totalMs = performance.now() - started;
  const info = await tableInfo(client, table);
  return {
    table: table.text, fingerprint, rows: dataset.rows, unchanged: false, totalBytes: info?.totalBytes ?? 0,
    loadMs, totalMs, rowsPerSecond: dataset.rows / (loadMs / 1000),
  };
}

interface SeedFlags {
  table: string;
  rows: string;
  categories: string;
  distribution: string;
  skew?: string;
  seed: string;
  reset?: boolean;
  withIndex?: boolean;
}

export function seedOptions(flags: SeedFlags): SeedOptions {
  const distribution = choiceOption(flags.distribution, '--distribution', DISTRIBUTIONS);
  const rows = integerOption(flags.rows, '--rows', 1, 500_000_000);
  const categories = integerOption(flags.categories, '--categories', 1, 1_000_000);
  if (flags.skew !== undefined && distribution !== 'zipf') throw usageError('--skew applies only with --distribution zipf');
  const skew = distribution === 'zipf' ? numberOption(flags.skew ?? String(DEFAULT_ZIPF_SKEW), '--skew', 0.01, 10) : 0;
  return {
    table: tableIdentifier(flags.table),
    dataset: { rows, categories, distribution, skew, seed: integerOption(flags.seed, '--seed', 0, 2 ** 32 - 1) },
    reset: Boolean(flags.reset),
    withIndex: Boolean(flags.withIndex),
  };
}

export function describeSeed(result: SeedResult): string {
  if (result.unchanged) {
    return `${result.table} already holds this dataset (${formatCount(result.rows)} rows, ${formatBytes(result.totalBytes)}, fingerprint ${result.fingerprint}); nothing to do`;
  }
  return [
    `seeded ${result.table}: ${formatCount(result.rows)} rows, ${formatBytes(result.totalBytes)}, fingerprint ${result.fingerprint}`,
    `load ${(result.loadMs / 1000).toFixed(2)} s (${formatCount(result.rowsPerSecond)} rows/s), total ${(result.totalMs / 1000).toFixed(2)} s with primary key and ANALYZE`,
  ].join('\n');
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('seed')
    .description('create the synthetic products table (COPY, one transaction, ANALYZE)')
    .option('--table <name>', 'table to create', 'products')
    .option('--rows <n>', 'rows to generate', String(DEFAULT_DATASET.rows))
    .option('--categories <n>', 'distinct categories', String(DEFAULT_DATASET.categories))
    .option('--distribution <d>', `category distribution: ${DISTRIBUTIONS.join(' | ')}`, DEFAULT_DATASET.distribution)
    .option('--skew <s>', `Zipf exponent with --distribution zipf (default ${DEFAULT_ZIPF_SKEW})`)
    .option('--seed <n>', 'random seed: the same flags give the same data', String(DEFAULT_DATASET.seed))
    .option('--reset', 'replace a table perfbench seeded earlier with other data')
    .option('--with-index', 'also create the B-tree on category (default: leave the slow state)')
    .addHelpText('after', '\nExample:\n  perfbench seed --rows 1000000 --categories 1000 --distribution zipf --skew 1.1')
    .action((flags: SeedFlags) => context.run(async (runtime) => {
      const options = seedOptions(flags);
      const progress = runtime.out.interactive ? (await import('ora')).default({ text: 'seeding…', stream: process.stderr }).start() : undefined;
      let result: SeedResult;
      try {
        result = await seed(runtime, options, (rows, elapsedMs) => {
          if (progress) progress.text = `seeding ${options.table.text}: ${formatCount(rows)} / ${formatCount(options.dataset.rows)} rows (${formatCount(rows / (elapsedMs / 1000))} rows/s)`;
        });
      } finally {
        progress?.stop();
      }
      runtime.out.data(describeSeed(result));
    }));
}
