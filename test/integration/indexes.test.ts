import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAdd, renderIndexList } from '../../src/report/index-text.js';
import { indexAdd } from '../../src/usecases/indexes.js';
import { seed } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { dropIndexes, listIndexes } from '../../src/db/indexes.js';
import { ExitCode, UserError } from '../../src/errors.js';
import { TEST_DATABASE_URL, dropSeededTable, testRuntime, uniqueTable, withRuntime, indexNamesOf } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const tableName = uniqueTable('idx');
const table = tableIdentifier(tableName);
const category = columnIdentifier('category');

const indexNames = (): Promise<string[]> => indexNamesOf(admin, tableName);

beforeAll(async () => {
  await admin.connect();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table: tableName, rows: '30000', categories: '30', distribution: 'uniform', seed: '1' })));
});
afterAll(async () => {
  await dropSeededTable(admin, tableName);
  await admin.end();
});

describe('perfbench index against PostgreSQL', () => {
  it('adds a B-tree once, marks it as perfbench\'s, and is idempotent', async () => {
    await withRuntime(async (runtime) => {
      const first = await indexAdd(runtime, { table: table, column: category, method: 'btree', concurrently: false });
      expect(first).toMatchObject({ created: true, name: `${tableName}_category_btree_pb`, replacedInvalid: false });
      expect(first.bytes).toBeGreaterThan(0);
      expect(describeAdd(first, table, category)).toMatch(/^created index .* in \d+\.\d\d s, /);
      const second = await indexAdd(runtime, { table: table, column: category, method: 'btree', concurrently: false });
      expect(second.created).toBe(false);
      expect(describeAdd(second, table, category)).toContain('already present');
    });
    expect(await indexNames()).toEqual([`${tableName}_category_btree_pb`, `${tableName}_pkey`]);
    const comment = await admin.query(`SELECT obj_description($1::regclass, 'pg_class') AS c`, [`${tableName}_category_btree_pb`]);
    expect(comment.rows[0].c).toMatch(/^perfbench:/);
  });

  it('lists every index with size, scans and owner', async () => {
    await admin.query(`SELECT * FROM ${tableName} WHERE category = 'cat-01'`);
    const indexes = await withRuntime(async (runtime) => listIndexes(await runtime.client(), table));
    const ours = indexes.find((index) => index.owned)!;
    expect(ours).toMatchObject({ method: 'btree', columns: ['category'], valid: true, primary: false });
    expect(indexes.find((index) => index.primary)).toMatchObject({ owned: false, columns: ['id'] });
    const text = renderIndexList(table, indexes);
    expect(text).toContain('perfbench');
    expect(text).toContain('primary key');
    expect(renderIndexList(table, [])).toBe(`${tableName} has no indexes`);
  });

  it('drops only its own indexes unless --force names another', async () => {
    await admin.query(`CREATE INDEX ${tableName}_manual ON ${tableName} (price)`);
    await withRuntime(async (runtime) => {
      const client = await runtime.client();
      const refusal = await dropIndexes(client, { table, column: category, name: `${tableName}_manual`, force: false, concurrently: false }).catch((error) => error);
      expect(refusal).toBeInstanceOf(UserError);
      expect(refusal.line).toContain('was not created by perfbench; not dropping it — pass --force');
      const primary = await dropIndexes(client, { table, column: category, name: `${tableName}_pkey`, force: true, concurrently: false }).catch((error) => error);
      expect(primary.line).toContain('backs the primary key');

      expect(await dropIndexes(client, { table, column: category, force: false, concurrently: false })).toEqual([`${tableName}_category_btree_pb`]);
      expect(await dropIndexes(client, { table, column: category, force: false, concurrently: false })).toEqual([]);
      expect(await dropIndexes(client, { table, column: category, name: 'no_such_index', force: false, concurrently: false })).toEqual([]);
      expect(await dropIndexes(client, { table, column: category, name: `${tableName}_manual`, force: true, concurrently: false })).toEqual([`${tableName}_manual`]);
    });
    expect(await indexNames()).toEqual([`${tableName}_pkey`]);
  });

  it('builds concurrently, with other methods, and replaces an invalid leftover', async () => {
    await withRuntime(async (runtime) => {
      const hash = await indexAdd(runtime, { table: table, column: category, method: 'hash', concurrently: true });
      expect(hash).toMatchObject({ created: true, name: `${tableName}_category_hash_pb` });
      const client = await runtime.client();
      await dropIndexes(client, { table, column: category, force: false, concurrently: true });

      // What an interrupted CREATE INDEX CONCURRENTLY leaves: an index marked invalid.
      await admin.query(`CREATE INDEX ${tableName}_category_brin_pb ON ${tableName} USING brin (category)`);
      await admin.query(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = '${tableName}_category_brin_pb'::regclass`);
      const brin = await indexAdd(runtime, { table: table, column: category, method: 'brin', concurrently: false });
      expect(brin).toMatchObject({ created: true, replacedInvalid: true });
      expect(describeAdd(brin, table, category)).toContain('replaced an invalid index');
      await dropIndexes(client, { table, column: category, force: false, concurrently: false });
    });
    expect(await indexNames()).toEqual([`${tableName}_pkey`]);
  });

  it('cancels a build on Ctrl-C and leaves no index behind', async () => {
    const controller = new AbortController();
    const runtime = testRuntime({}, controller.signal);
    // Hold a lock so the concurrent build waits, then interrupt it while it waits.
    const blocker = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE ${tableName} IN SHARE ROW EXCLUSIVE MODE`);
    const pending = indexAdd(runtime, { table: table, column: category, method: 'btree', concurrently: true }).catch((error) => error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    const outcome = await pending;
    await blocker.query('ROLLBACK');
    await blocker.end();
    await runtime.close();
    expect(outcome).toBeInstanceOf(UserError);
    expect(outcome.exitCode).toBe(ExitCode.interrupted);
    expect(await indexNames()).toEqual([`${tableName}_pkey`]);
  });

  it('does not take a partial index on the column for the index', async () => {
    await admin.query(`CREATE INDEX ${tableName}_partial ON ${tableName} (category) WHERE price > 500`);
    await withRuntime(async (runtime) => {
      const outcome = await indexAdd(runtime, { table: table, column: category, method: 'btree', concurrently: false });
      expect(outcome.created).toBe(true);
      const listed = await listIndexes(await runtime.client(), table);
      expect(listed.find((index) => index.name === `${tableName}_partial`)?.partial).toBe(true);
      await dropIndexes(await runtime.client(), { table, column: category, force: false, concurrently: false });
    });
    await admin.query(`DROP INDEX ${tableName}_partial`);
    expect(await indexNames()).toEqual([`${tableName}_pkey`]);
  });

  it('explains a missing table or column', async () => {
    await withRuntime(async (runtime) => {
      const noTable = await indexAdd(runtime, { table: tableIdentifier('pbt_missing_table'), column: category, method: 'btree', concurrently: false }).catch((error) => error);
      expect(noTable.line).toBe('table pbt_missing_table does not exist — run `perfbench seed` first, or pass --table with an existing table');
      expect(noTable.exitCode).toBe(ExitCode.usage);
      const noColumn = await indexAdd(runtime, { table: table, column: columnIdentifier('colour'), method: 'btree', concurrently: false }).catch((error) => error);
      expect(noColumn.line).toBe(`table ${tableName} has no column colour — pass --column with one of its columns`);
    });
  });
});
