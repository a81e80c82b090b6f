import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli as runCli } from '../support/cli.js';
import { explainOptions, type ExplainFlags } from '../../src/flags/explain-flags.js';
import type { ExplainRequest } from '../../src/plan/explain.js';
import { explainCompareJson, explainJson, renderExplain, renderExplainCompare } from '../../src/report/explain-output.js';
import { explain } from '../../src/usecases/explain.js';
import { explainCompare } from '../../src/usecases/explain-compare.js';
import { indexAdd } from '../../src/usecases/indexes.js';
import { seed } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { dropIndexes } from '../../src/db/indexes.js';
import { ExitCode, UserError } from '../../src/errors.js';
import { TEST_DATABASE_URL, dropSeededTable, testRuntime, uniqueTable, withRuntime, indexNamesOf } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
/** 100,000 rows over 200 categories (cat-000 … cat-199): 0.5% per category, so an index pays. */
const tableName = uniqueTable('explain');
/** 20,000 rows over the default 1,000 categories (cat-000 …), and 2,000 over 10 (cat-0 … cat-9), for the default-category rule. */
const defaultsTable = uniqueTable('explain');
const fewTable = uniqueTable('explain');
const table = tableIdentifier(tableName);
const category = columnIdentifier('category');
const ROWS = 100_000;

const indexNames = (name = tableName): Promise<string[]> => indexNamesOf(admin, name);

async function rowCount(): Promise<number> {
  return Number((await admin.query(`SELECT count(*) AS n FROM ${tableName}`)).rows[0].n);
}

function request(extra: Partial<ExplainFlags>): ExplainRequest {
  const options = explainOptions({ param: [], format: 'text', timeout: '30000', table: tableName, ...extra });
  if (options.mode === 'file' || options.mode === 'advise' || options.mode === 'advise-workload') throw new Error('not a plain explain request');
  return options.request;
}

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

beforeAll(async () => {
  await admin.connect();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table: tableName, rows: String(ROWS), categories: '200', distribution: 'uniform', seed: '7' })));
  await withRuntime((runtime) => seed(runtime, seedOptions({ table: defaultsTable, rows: '20000', categories: '1000', distribution: 'uniform', seed: '7' })));
  await withRuntime((runtime) => seed(runtime, seedOptions({ table: fewTable, rows: '2000', categories: '10', distribution: 'uniform', seed: '7' })));
});
afterAll(async () => {
  for (const name of [tableName, defaultsTable, fewTable]) {
    await dropSeededTable(admin, name);
  }
  await admin.end();
});

describe('perfbench explain against PostgreSQL', () => {
  it('shows the Seq Scan with the index warning before `index add`, and the index scan without it after', async () => {
    expect(await indexNames()).toEqual([`${tableName}_pkey`]);
    const before = await withRuntime((runtime) => explain(runtime, request({ category: 'cat-007' })));
    expect(before.source).toMatchObject({ kind: 'report', table: tableName, column: 'category', category: 'cat-007' });
    const scan = before.plan.nodes.find((node) => node.relation === tableName)!;
    expect(scan.nodeType).toBe('Seq Scan');
    expect(scan.rowsRemovedByFilter).toBeGreaterThan(ROWS / 2);
    const warning = before.warnings.find((w) => w.kind === 'seq-scan-filter')!;
    // Schema-qualified (from the planning-only EXPLAIN VERBOSE), so the advice builds on this very table.
    expect(warning.index).toEqual({ table: `public.${tableName}`, column: 'category', command: `perfbench index add --table public.${tableName} --column category` });
    expect(before.indexCheck).toEqual({ table: tableName, column: 'category', indexes: [], scan: `Seq Scan on ${tableName}`, usesIndex: false });
    expect(before.writes).toEqual([]);
    const text = renderExplain(before, 'text');
    expect(text).toContain(`Report query on ${tableName}(category) for category = 'cat-007'`);
    expect(text).toContain('rolled back');
    expect(text).toContain(`perfbench index add --table public.${tableName} --column category`);
    expect(text).toContain(`Index check: ${tableName}(category) has no index.`);

    const indexName = `${tableName}_category_btree_pb`;
    await withRuntime((runtime) => indexAdd(runtime, { table: table, column: category, method: 'btree', concurrently: false }));
    try {
      const after = await withRuntime((runtime) => explain(runtime, request({ category: 'cat-007' })));
      const afterScan = after.plan.nodes.find((node) => node.relation === tableName)!;
      expect(['Bitmap Heap Scan', 'Index Scan']).toContain(afterScan.nodeType);
      expect(after.warnings.filter((w) => w.kind === 'seq-scan-filter')).toEqual([]);
      expect(after.indexCheck).toMatchObject({ indexes: [indexName], usesIndex: true });
      expect(renderExplain(after, 'text')).toContain(`has ${indexName}; this plan uses it (`);
      // The row counts agree: same query, different access path.
      expect(afterScan.actualRows).toBe(scan.actualRows);
    } finally {
      await withRuntime(async (runtime) => dropIndexes(await runtime.client(), { table, column: category, force: false, concurrently: false }));
    }
    expect(await indexNames()).toEqual([`${tableName}_pkey`]);
  });

  it('defaults to cat-000 when the table holds it, else to the first row\'s category', async () => {
    const withDefault = await withRuntime((runtime) => explain(runtime, request({ table: defaultsTable })));
    expect(withDefault.source.category).toBe('cat-000');
    const first = (await admin.query(`SELECT category FROM ${fewTable} LIMIT 1`)).rows[0].category;
    const other = await withRuntime((runtime) => explain(runtime, request({ table: fewTable })));
    expect(other.source.category).toBe(first);
    expect(other.source.category).not.toBe('cat-000');
    // An empty table: the report for cat-000, with a warning on stderr.
    const empty = uniqueTable('explain');
    await admin.query(`CREATE TABLE ${empty} (LIKE ${fewTable})`);
    try {
      await withRuntime(async (runtime) => {
        const result = await explain(runtime, request({ table: empty }));
        expect(result.source.category).toBe('cat-000');
        expect(runtime.out.stderr).toContain(`warning: ${empty} has no rows; explaining the report for 'cat-000'`);
      });
    } finally {
      await admin.query(`DROP TABLE ${empty}`);
    }
  });

  it('compares without and with the index in one transaction and leaves no index behind', async () => {
    const namesBefore = await indexNames();
    const result = await withRuntime((runtime) => explainCompare(runtime, request({ category: 'cat-011' }), 3));
    expect(await indexNames()).toEqual(namesBefore);
    expect(result.index).toEqual({ name: `${tableName}_category_btree_pb`, builtInTransaction: true });
    expect(result.beforeMethods).toEqual(['no-index', 'index-scans-disabled', 'index-scans-disabled']);
    expect(result.before).toHaveLength(3);
    expect(result.after).toHaveLength(3);
    expect(result.afterUsesIndex).toBe(true);
    const { diff } = result;
    expect(diff.runs).toEqual({ before: 3, after: 3 });
    expect(diff.swaps).toHaveLength(1);
    expect(diff.swaps[0]!.before!.description).toBe(`Seq Scan on ${tableName}`);
    expect(diff.swaps[0]!.after!.description).toMatch(new RegExp(`^(Bitmap Heap Scan on ${tableName} using|Index Scan using) ${tableName}_category_btree_pb`));
    // Buffers and rows thrown away are the cache- and noise-independent measure of the gain.
    expect(diff.sharedBlocks.after).toBeLessThan(diff.sharedBlocks.before);
    expect(diff.rowsRemovedByFilter.before).toBeGreaterThan(ROWS / 2);
    expect(diff.rowsRemovedByFilter.after).toBe(0);
    expect(result.notes).toEqual([]);

    const text = renderExplainCompare(result, 'text');
    expect(text).toContain('Before: no index on');
    expect(text).toContain('built inside the transaction');
    expect(text).toContain(`Seq Scan on ${tableName} -> `);
    expect(text).toContain(`Rolled back: ${tableName}_category_btree_pb is gone again`);
    const json = JSON.parse(renderExplainCompare(result, 'json'));
    expect(json).toMatchObject({
      schemaVersion: 1,
      kind: 'perfbench.explain-compare',
      runs: { before: 3, after: 3 },
      swaps: [{ relation: tableName, before: `Seq Scan on ${tableName}` }],
      source: { kind: 'report', table: tableName, column: 'category', category: 'cat-011' },
      compare: { index: `${tableName}_category_btree_pb`, indexBuiltInTransaction: true, rolledBack: true, indexesUnchanged: true },
    });
    expect(json.executionTimeMs.before.runsMs).toHaveLength(3);
    expect(json).toEqual(JSON.parse(JSON.stringify(explainCompareJson(result))));
    expect(renderExplainCompare(result, 'markdown')).toContain('### Swapped nodes');
  });

  it('compares against an existing index by disabling index scans, and keeps the index', async () => {
    const indexName = `${tableName}_category_btree_pb`;
    await withRuntime((runtime) => indexAdd(runtime, { table: table, column: category, method: 'btree', concurrently: false }));
    try {
      const namesBefore = await indexNames();
      const result = await withRuntime((runtime) => explainCompare(runtime, request({ category: 'cat-012' }), 2));
      expect(await indexNames()).toEqual(namesBefore);
      expect(result.index).toEqual({ name: indexName, builtInTransaction: false });
      expect(result.beforeMethods).toEqual(['index-scans-disabled', 'index-scans-disabled']);
      expect(result.diff.swaps[0]!.before!.description).toBe(`Seq Scan on ${tableName}`);
      expect(result.diff.sharedBlocks.after).toBeLessThan(result.diff.sharedBlocks.before);
      // The settings were local to each run's savepoint: a plain explain afterwards uses the index.
      expect(renderExplainCompare(result, 'text')).toContain('Before: index scans disabled');
      const plain = await withRuntime((runtime) => explain(runtime, request({ category: 'cat-012' })));
      expect(plain.indexCheck?.usesIndex).toBe(true);
    } finally {
      await withRuntime(async (runtime) => dropIndexes(await runtime.client(), { table, column: category, force: false, concurrently: false }));
    }
  });

  it('runs a writing --query and rolls it back, saying so', async () => {
    const count = await rowCount();
    const result = await withRuntime((runtime) => explain(runtime, request({ query: `DELETE FROM ${tableName} WHERE id < 10` })));
    expect(await rowCount()).toBe(count);
    expect(result.writes).toEqual([{ operation: 'Delete', relation: tableName, rows: 9 }]);
    // The index check looks at how the rows were found, not at the ModifyTable above the scan.
    expect(result.indexCheck).toMatchObject({ scan: `Index Scan using ${tableName}_pkey on ${tableName}`, indexes: [] });
    expect(renderExplain(result, 'text')).toContain(`Writes rolled back: Delete on ${tableName} touched 9 rows; the rollback undid it, nothing was changed.`);
    expect(explainJson(result).run).toEqual({ rolledBack: true, timeoutMs: 30000, writes: [{ operation: 'Delete', relation: tableName, rows: 9 }] });

    // A data-modifying CTE and an UPDATE are undone alike.
    const cte = await withRuntime((runtime) => explain(runtime, request({ query: `WITH d AS (DELETE FROM ${tableName} WHERE id <= $1 RETURNING id) SELECT count(*) FROM d`, param: ['100'] })));
    expect(cte.writes).toMatchObject([{ operation: 'Delete', rows: 100 }]);
    await withRuntime((runtime) => explain(runtime, request({ query: `UPDATE ${tableName} SET price = 0 WHERE category = $1`, param: ['cat-001'] })));
    expect(await rowCount()).toBe(count);
    const zero = await admin.query(`SELECT count(*) AS n FROM ${tableName} WHERE price = 0 AND category = 'cat-001'`);
    expect(Number(zero.rows[0].n)).toBe(0);
  });

  it('runs a write under --compare in savepoints, so every run sees the same rows', async () => {
    const count = await rowCount();
    const result = await withRuntime((runtime) => explainCompare(runtime, request({ query: `DELETE FROM ${tableName} WHERE category = $1`, param: ['cat-013'] }), 2));
    expect(await rowCount()).toBe(count);
    const deleted = [...result.before, ...result.after].map((plan) => plan.nodes[0]!.nodeType === 'ModifyTable' && plan.nodes[1]!.actualRows * plan.nodes[1]!.loops);
    expect(new Set(deleted).size).toBe(1);
    expect(deleted[0]).toBeGreaterThan(0);
    expect(await indexNames()).toEqual([`${tableName}_pkey`]);
  });

  it('says so when the index does not help the query under --compare', async () => {
    const result = await withRuntime((runtime) => explainCompare(runtime, request({ query: `SELECT count(*) FROM ${tableName}` }), 1));
    expect(result.afterUsesIndex).toBe(false);
    expect(result.diff.swaps).toEqual([]);
    expect(result.notes).toEqual([`the planner did not use ${tableName}_category_btree_pb in every "after" run: the index does not help this query as written`]);
    expect(renderExplainCompare(result, 'text')).toContain('Note: the planner did not use');
    expect(await indexNames()).toEqual([`${tableName}_pkey`]);
  });

  it('stops a statement at --timeout with one line and leaves nothing running', async () => {
    const error = await rejection(withRuntime((runtime) => explain(runtime, request({ query: 'SELECT pg_sleep(1)', timeout: '100' }))));
    expect(error.exitCode).toBe(ExitCode.failure);
    expect(error.line).toBe('the statement ran longer than --timeout 100 ms and was cancelled (statement_timeout); the transaction was rolled back — raise --timeout, or explain a cheaper query');
  });

  it('reports errors in --query as usage errors, and a missing table or column as one line', async () => {
    const syntax = await rejection(withRuntime((runtime) => explain(runtime, request({ query: 'SELECT FROM WHERE' }))));
    expect(syntax.exitCode).toBe(ExitCode.usage);
    expect(syntax.line).toBe('--query failed: PostgreSQL error 42601: syntax error at or near "WHERE" (at character 13 of --query) — fix the statement, or run it in psql first');
    const unknown = await rejection(withRuntime((runtime) => explain(runtime, request({ query: 'SELECT * FROM pbt_no_such_table' }))));
    expect(unknown.line).toContain('PostgreSQL error 42P01: relation "pbt_no_such_table" does not exist');
    const badParam = await rejection(withRuntime((runtime) => explain(runtime, request({ query: `SELECT * FROM ${tableName} WHERE id = $1`, param: ['abc'] }))));
    expect(badParam.exitCode).toBe(ExitCode.usage);
    expect(badParam.line).toContain('22P02');
    const noTable = await rejection(withRuntime((runtime) => explain(runtime, request({ table: 'pbt_no_such_table' }))));
    expect(noTable.exitCode).toBe(ExitCode.usage);
    expect(noTable.line).toContain('table pbt_no_such_table does not exist');
    const noColumn = await rejection(withRuntime((runtime) => explainCompare(runtime, request({ column: 'colour' }), 1)));
    expect(noColumn.line).toContain(`table ${tableName} has no column colour`);
    const badCategory = await rejection(withRuntime((runtime) => explain(runtime, request({ column: 'price', category: 'cat-001' }))));
    expect(badCategory.exitCode).toBe(ExitCode.usage);
    expect(badCategory.line).toContain("--category 'cat-001' does not fit the column");
  });

  it('cancels the running statement on Ctrl-C, rolls back and exits 130', async () => {
    const marker = `explain_ctrl_c_${process.pid}`;
    const controller = new AbortController();
    const runtime = testRuntime({}, controller.signal);
    const running = explain(runtime, request({ query: `SELECT pg_sleep(30) /* ${marker} */`, timeout: '60000' }))
      .then(() => undefined, (e: unknown) => e);
    const active = async () => Number((await admin.query(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`, [`%${marker}%`],
    )).rows[0].n);
    // Wait until the statement is running (polling, not timing), then press Ctrl-C.
    await vi.waitFor(async () => expect(await active()).toBe(1), { timeout: 10_000, interval: 20 });
    controller.abort();
    const error = (await running) as UserError;
    await runtime.close();
    expect(error).toBeInstanceOf(UserError);
    expect(error.exitCode).toBe(ExitCode.interrupted);
    expect(error.line).toBe('interrupted: explain stopped; the transaction was rolled back, nothing was changed');
    expect(await active()).toBe(0);
  });

  it('stops --compare on Ctrl-C with the index set unchanged', async () => {
    const marker = `compare_ctrl_c_${process.pid}`;
    const controller = new AbortController();
    const runtime = testRuntime({}, controller.signal);
    const namesBefore = await indexNames();
    const running = explainCompare(runtime, request({ query: `SELECT pg_sleep(30) /* ${marker} */`, timeout: '60000' }), 2)
      .then(() => undefined, (e: unknown) => e);
    await vi.waitFor(async () => {
      const n = await admin.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`, [`%${marker}%`]);
      expect(Number(n.rows[0].n)).toBe(1);
    }, { timeout: 10_000, interval: 20 });
    controller.abort();
    const error = (await running) as UserError;
    await runtime.close();
    expect(error.exitCode).toBe(ExitCode.interrupted);
    expect(await indexNames()).toEqual(namesBefore);
  });
});

describe('perfbench explain through the CLI', () => {
  const cli = (args: string[]) => runCli(args, { NO_COLOR: '1' });

  it('is listed in --help with an example, and has its own help', async () => {
    expect((await cli(['--help'])).stdout).toContain('perfbench explain --compare');
    const help = await cli(['explain', '--help']);
    expect(help.code).toBe(0);
    for (const word of ['--compare', '--runs', '--query', '--param', '--file', '--timeout', 'rolled back', 'Exit codes']) expect(help.stdout).toContain(word);
  });

  it('prints the plan on stdout and talk on stderr', async () => {
    const run = await cli(['explain', '--table', tableName, '--category', 'cat-003']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Seq Scan on ${tableName}`);
    expect(run.stdout).toContain('Warnings (');
    expect(run.stdout).not.toMatch(/\u001b\[/);
    expect(run.stderr).toContain(`explaining the report query on ${tableName}(category) for 'cat-003'`);
    expect(run.stderr).not.toContain('Seq Scan');
  });

  it('prints JSON with the documented fields for explain and --compare', async () => {
    const one = await cli(['explain', '--table', tableName, '--category', 'cat-004', '--format', 'json']);
    expect(one.code).toBe(0);
    const document = JSON.parse(one.stdout);
    expect(Object.keys(document)).toEqual(['schemaVersion', 'kind', 'plan', 'summary', 'nodes', 'warnings', 'source', 'run', 'indexCheck']);
    expect(document).toMatchObject({ kind: 'perfbench.explain', source: { category: 'cat-004' }, run: { rolledBack: true, timeoutMs: 30000 }, indexCheck: { usesIndex: false } });
    expect(document.plan[0].Plan['Node Type']).toBe('Sort');
    expect(document.summary.executionTimeMs).toBeGreaterThan(0);
    expect(document.warnings[0].index.command).toBe(`perfbench index add --table public.${tableName} --column category`);

    const compare = await cli(['explain', '--table', tableName, '--category', 'cat-004', '--compare', '--runs', '1', '--format', 'json']);
    expect(compare.code).toBe(0);
    const diff = JSON.parse(compare.stdout);
    expect(diff).toMatchObject({ kind: 'perfbench.explain-compare', runs: { before: 1, after: 1 }, compare: { indexBuiltInTransaction: true, beforeMethods: ['no-index'] } });
    expect(diff.swaps).toHaveLength(1);
    expect(await indexNames()).toEqual([`${tableName}_pkey`]);
  });

  it('passes repeated --param values to the placeholders in order', async () => {
    const run = await cli(['explain', '--table', tableName, '--query', `SELECT * FROM ${tableName} WHERE category = $1 AND id < $2`, '--param', 'cat-005', '--param', '5000', '--format', 'json']);
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document.source).toMatchObject({ kind: 'query', params: ['cat-005', '5000'], table: tableName });
    const scan = document.nodes.find((node: { relation: string | null }) => node.relation === tableName);
    expect(JSON.stringify(scan)).toContain("'cat-005'");
    expect(JSON.stringify(scan)).toContain('5000');
  });

  it('renders a --file without any database, and refuses a bad one with exit 2', async () => {
    const fixture = fileURLToPath(new URL('../../fixtures/plans/nested-loop.json', import.meta.url));
    const file = await cli(['--database-url', 'postgres://nobody@127.0.0.1:1/none', 'explain', '--file', fixture, '--format', 'markdown']);
    expect(file.code).toBe(0);
    expect(file.stdout).toContain('Nested Loop');
    expect(file.stdout).toContain('| # | Node |');
    const missing = await cli(['explain', '--file', '/nonexistent/plan.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('perfbench: cannot read --file /nonexistent/plan.json: no such file — pass the path of a saved EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output\n');
  });

  it('refuses DDL with one line before running anything, and reports a timeout with exit 1', async () => {
    const ddl = await cli(['explain', '--query', `DROP TABLE ${tableName}`]);
    expect(ddl.code).toBe(2);
    expect(ddl.stderr).toBe('perfbench: --query is a DROP statement; perfbench explain refuses DDL and maintenance commands (only SELECT, VALUES, TABLE, WITH, INSERT, UPDATE, DELETE, MERGE)\n');
    expect(await rowCount()).toBe(ROWS);
    const twice = await cli(['explain', '--query', `SELECT 1; TRUNCATE ${tableName}`]);
    expect(twice.code).toBe(2);
    expect(await rowCount()).toBe(ROWS);
    const slow = await cli(['explain', '--query', 'SELECT pg_sleep(1)', '--timeout', '100']);
    expect(slow.code).toBe(1);
    expect(slow.stderr.trim().split('\n').at(-1)).toBe('perfbench: the statement ran longer than --timeout 100 ms and was cancelled (statement_timeout); the transaction was rolled back — raise --timeout, or explain a cheaper query');
    expect(slow.stderr).not.toMatch(/\n\s+at /);
  });
});
