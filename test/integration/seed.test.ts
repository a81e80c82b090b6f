import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { describeSeed } from '../../src/report/seed-text.js';
import { tableIdentifier } from '../../src/workload/identifiers.js';
import { datasetFingerprint } from '../../src/workload/dataset.js';
import { ExitCode, UserError } from '../../src/errors.js';
import { TEST_DATABASE_URL, dropSeededTable, testRuntime, uniqueTable, withRuntime } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const created: string[] = [];

function options(table: string, extra: Record<string, unknown> = {}) {
  const parsed = seedOptions({ table, rows: '20000', categories: '50', distribution: 'uniform', seed: '7', ...extra });
  created.push(table);
  return parsed;
}

/** A content checksum independent of physical order. */
async function checksum(table: string): Promise<string> {
  const result = await admin.query(`SELECT count(*)::int AS n, md5(string_agg(id || name || category || price || created_at, ',' ORDER BY id)) AS sum FROM ${table}`);
  return `${result.rows[0].n}:${result.rows[0].sum}`;
}

beforeAll(() => admin.connect());
afterAll(async () => {
  for (const table of created) await dropSeededTable(admin, table, { ignoreRecordError: true });
  await admin.end();
});

describe('perfbench seed against PostgreSQL', () => {
  it('loads the rows, the primary key and the metadata, and runs ANALYZE', async () => {
    const table = uniqueTable('seed');
    const result = await withRuntime((runtime) => seed(runtime, options(table)));
    expect(result).toMatchObject({ table, rows: 20000, unchanged: false });
    expect(result.rowsPerSecond).toBeGreaterThan(0);
    expect(describeSeed(result)).toContain(`seeded ${table}: 20,000 rows`);

    const count = await admin.query(`SELECT count(*)::int AS n, count(DISTINCT category)::int AS c, min(id)::int AS lo, max(id)::int AS hi FROM ${table}`);
    expect(count.rows[0]).toEqual({ n: 20000, c: 50, lo: 1, hi: 20000 });
    const pk = await admin.query(`SELECT indexdef FROM pg_indexes WHERE tablename = $1`, [table]);
    expect(pk.rows.map((row) => row.indexdef)).toEqual([expect.stringContaining('UNIQUE INDEX') as unknown as string]);
    const stats = await admin.query('SELECT reltuples::int AS n FROM pg_class WHERE relname = $1', [table]);
    expect(stats.rows[0].n).toBe(20000);
    const meta = await admin.query('SELECT fingerprint, row_count::int AS n FROM perfbench_datasets WHERE table_name = $1', [table]);
    expect(meta.rows[0]).toEqual({ fingerprint: datasetFingerprint({ rows: 20000, categories: 50, distribution: 'uniform', skew: 0, seed: 7 }), n: 20000 });
  });

  it('gives byte-identical data for the same flags, and decodes binary numerics and timestamps', async () => {
    const a = uniqueTable('same');
    const b = uniqueTable('same');
    await withRuntime(async (runtime) => {
      await seed(runtime, options(a));
      await seed(runtime, options(b));
    });
    expect(await checksum(a)).toBe(await checksum(b));
    const row = await admin.query(`SELECT price::text AS price, created_at >= '2024-01-01' AND created_at < '2026-01-01' AS in_range FROM ${a} WHERE id = 1`);
    expect(row.rows[0].price).toMatch(/^\d{1,3}\.\d{2}$/);
    expect(row.rows[0].in_range).toBe(true);
  });

  it('seeds the same rows whether they are generated in a worker thread or on the main thread', async () => {
    // Quoted, mixed-case names; enough rows for several COPY chunks through the worker.
    const viaWorker = `"Worker Rows ${process.pid}"`;
    const inline = `"Inline Rows ${process.pid}"`;
    const progress: number[] = [];
    const results = await withRuntime(async (runtime) => [
      await seed(runtime, { ...options(viaWorker, { rows: '80000', distribution: 'zipf' }), rowGeneration: 'worker' }, (rows) => progress.push(rows)),
      await seed(runtime, { ...options(inline, { rows: '80000', distribution: 'zipf' }), rowGeneration: 'inline' }),
    ]);
    expect(results[0]!.fingerprint).toBe(results[1]!.fingerprint);
    expect(await checksum(viaWorker)).toBe(await checksum(inline));
    expect(progress.at(-1)).toBe(80000);
    const phases = results[0]!.phases!;
    const sum = phases.loadMs + phases.primaryKeyMs + phases.indexMs + phases.analyzeMs + phases.commitMs;
    expect(sum).toBeCloseTo(results[0]!.totalMs, 0);
  });

  it('is idempotent for the same dataset, and refuses another one without --reset', async () => {
    const table = uniqueTable('reset');
    await withRuntime(async (runtime) => {
      await seed(runtime, options(table));
      const again = await seed(runtime, options(table));
      expect(again.unchanged).toBe(true);
      expect(describeSeed(again)).toContain('already holds this dataset');

      const refusal = await seed(runtime, options(table, { rows: '1000' })).catch((error) => error);
      expect(refusal).toBeInstanceOf(UserError);
      expect(refusal.exitCode).toBe(ExitCode.usage);
      expect(refusal.line).toContain('pass --reset to replace it');

      const replaced = await seed(runtime, options(table, { rows: '1000', reset: true }));
      expect(replaced.rows).toBe(1000);
    });
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(1000);
  });

  it('never replaces a table it did not seed, even with --reset', async () => {
    const table = uniqueTable('foreign');
    created.push(table);
    await admin.query(`CREATE TABLE ${table} (id int)`);
    await admin.query(`INSERT INTO ${table} VALUES (1)`);
    const refusal = await withRuntime((runtime) => seed(runtime, options(table, { reset: true }))).catch((error) => error);
    expect(refusal.line).toBe(`table ${table} exists and perfbench did not seed it; refusing to replace it — choose another --table`);
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(1);
  });

  it('never replaces an empty table it did not seed (a freshly migrated schema)', async () => {
    const table = uniqueTable('empty');
    created.push(table);
    await admin.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, category text NOT NULL CHECK (category <> ''))`);
    const refusal = await withRuntime((runtime) => seed(runtime, options(table))).catch((error) => error);
    expect(refusal).toBeInstanceOf(UserError);
    expect(refusal.exitCode).toBe(ExitCode.usage);
    const constraints = await admin.query('SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = $1::regclass', [table]);
    expect(constraints.rows[0].n).toBe(2);
  });

  it('does not take a table re-created under a seeded name for its own', async () => {
    const table = uniqueTable('recreated');
    await withRuntime((runtime) => seed(runtime, options(table)));
    // Someone drops the seeded table and creates their own under the same name.
    await admin.query(`DROP TABLE ${table}`);
    await admin.query(`CREATE TABLE ${table} (id int)`);
    await admin.query(`INSERT INTO ${table} VALUES (1), (2)`);
    const refusal = await withRuntime((runtime) => seed(runtime, options(table, { reset: true }))).catch((error) => error);
    expect(refusal.line).toContain('perfbench did not seed it');
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(2);
  });

  it('reads a perfbench_datasets table of the shape before table_oid, without writing to it', async () => {
    const schema = `pbt_legacy_${process.pid}`;
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`SET search_path = ${schema}`);
      await client.query(`CREATE TABLE perfbench_datasets (table_name text PRIMARY KEY, fingerprint text NOT NULL, parameters jsonb NOT NULL, row_count bigint NOT NULL, seeded_at timestamptz NOT NULL DEFAULT now())`);
      await client.query(`INSERT INTO perfbench_datasets VALUES ('old_products', 'abc', '{"rows": 5}', 5, now())`);
      const { readDataset } = await import('../../src/db/products.js');
      const found = await readDataset(client, tableIdentifier('old_products'));
      expect(found).toMatchObject({ fingerprint: 'abc', rowCount: 5 });
      const columns = await client.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'perfbench_datasets'`, [schema]);
      expect(columns.rows[0].n).toBe(5);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });

  it('reseeds its own table after the rows were deleted, without --reset', async () => {
    const table = uniqueTable('emptied');
    await withRuntime((runtime) => seed(runtime, options(table)));
    await admin.query(`TRUNCATE ${table}`);
    const again = await withRuntime((runtime) => seed(runtime, options(table, { rows: '500' })));
    expect(again).toMatchObject({ rows: 500, unchanged: false });
  });

  it('leaves the previous table intact when interrupted mid-load', async () => {
    const table = uniqueTable('interrupt');
    await withRuntime((runtime) => seed(runtime, options(table)));
    const before = await checksum(table);

    const controller = new AbortController();
    const runtime = testRuntime({}, controller.signal);
    let aborted = false;
    const outcome = await seed(runtime, options(table, { rows: '2000000', reset: true }), (rows) => {
      if (rows > 100_000 && !aborted) {
        aborted = true;
        controller.abort();
      }
    }).catch((error) => error).finally(() => runtime.close());
    expect(outcome).toBeInstanceOf(UserError);
    expect(outcome.exitCode).toBe(ExitCode.interrupted);
    expect(outcome.line).toContain(`table ${table} is unchanged`);
    expect(await checksum(table)).toBe(before);
  });

  it('leaves the category index in place with --with-index', async () => {
    const table = uniqueTable('withidx');
    await withRuntime((runtime) => seed(runtime, options(table, { withIndex: true })));
    const indexes = await admin.query('SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY 1', [table]);
    expect(indexes.rows.map((row) => row.indexname)).toEqual([`${table}_category_btree_pb`, `${table}_pkey`]);
  });

  it('validates its flags', () => {
    expect(() => options('t', { rows: '0' })).toThrow('--rows');
    expect(() => options('t', { distribution: 'gauss' })).toThrow('--distribution');
    expect(() => options('t', { skew: '2' })).toThrow('--skew applies only with --distribution zipf');
    expect(() => options('bad;name')).toThrow('not a valid table name');
    expect(options('t', { distribution: 'zipf' }).dataset.skew).toBe(1.1);
  });
});
