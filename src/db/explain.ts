/**
 * Database adapter: the statements behind `perfbench explain`. EXPLAIN ANALYZE executes what it
 * explains, so every plan is taken inside a transaction that is rolled back, under a
 * transaction-local statement_timeout; savepoints let --compare repeat a write on the same rows and
 * undo the planner settings of one run.
 */
import type pg from 'pg';
import type { PostgresError } from '../errors.js';
import type { FilterTarget } from '../workload/workload.js';
import type { Identifier } from '../workload/identifiers.js';
import { listIndexes, qualified, type IndexInfo } from './indexes.js';
import { sql } from './sql.js';

/** Runs `body` between BEGIN and ROLLBACK, with `statement_timeout` set for the transaction only. */
export async function inRolledBackTransaction<T>(client: pg.ClientBase, timeoutMs: number, body: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(sql('explain-timeout'), [String(timeoutMs)]);
    return await body();
  } finally {
    // A failed ROLLBACK (a lost connection) ends the transaction anyway; the body's error matters more.
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

/**
 * Runs `body` in a savepoint that is rolled back afterwards: a write run sees the same rows as the
 * first, and the SET LOCALs made for it (index scans off) do not reach the next run.
 */
export async function inSavepoint<T>(client: pg.ClientBase, options: { disableIndexScans: boolean }, body: () => Promise<T>): Promise<T> {
  await client.query('SAVEPOINT perfbench_run');
  if (options.disableIndexScans) await client.query(sql('explain-planner-off'));
  const result = await body();
  await client.query('ROLLBACK TO SAVEPOINT perfbench_run');
  await client.query('RELEASE SAVEPOINT perfbench_run');
  return result;
}

/** What sql/explain.sql puts before the statement; an error's position counts it too. */
function explainPrefix(): string {
  return sql('explain', { statement: '' });
}

/**
 * EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of a statement: its one result row. Always through the
 * extended protocol, even without parameters: it accepts exactly one statement, a second guard
 * behind the statement classifier.
 */
export async function explainStatement(client: pg.ClientBase, text: string, values: readonly string[]): Promise<unknown> {
  const config = { text: explainPrefix() + text, values: [...values], queryMode: 'extended' } as pg.QueryConfig;
  const result = await client.query(config);
  return result.rows[0];
}

/**
 * EXPLAIN (VERBOSE) of the same statement, planning only: the schemas of its relations. In a
 * savepoint, so a failure here (it should not fail where ANALYZE did not) cannot abort the caller's
 * transaction; undefined then, and the advice names relations without their schema, as before.
 */
export async function explainVerbose(client: pg.ClientBase, text: string, values: readonly string[]): Promise<unknown> {
  await client.query('SAVEPOINT perfbench_verbose');
  try {
    const result = await client.query({ text: sql('explain-verbose', { statement: text }), values: [...values], queryMode: 'extended' } as pg.QueryConfig);
    await client.query('RELEASE SAVEPOINT perfbench_verbose');
    return result.rows[0];
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT perfbench_verbose');
    return undefined;
  }
}

/** The 1-based character of the explained statement an error points at; null when it points at none. */
export function positionInStatement(error: PostgresError): number | null {
  const position = Number(error.position);
  const offset = explainPrefix().length;
  return Number.isFinite(position) && position > offset ? position - offset : null;
}

/** The valid, non-partial indexes whose first column is the filter column: the ones its filter can use. */
export async function filterIndexes(client: pg.ClientBase, filter: FilterTarget): Promise<IndexInfo[]> {
  return (await listIndexes(client, filter.table)).filter((index) => index.valid && !index.partial && index.columns[0] === filter.column.name);
}

/** The names of every index of the table, sorted: the state explain must leave as it found it. */
export async function indexNames(client: pg.ClientBase, table: Identifier): Promise<string[]> {
  return (await listIndexes(client, table)).map((index) => index.name).sort();
}

/** `preferred` when the filter column holds it, else any value it holds, else null (an empty table). */
export async function defaultFilterValue(client: pg.ClientBase, filter: FilterTarget, preferred: string): Promise<string | null> {
  const result = await client.query<{ category: string | null }>(
    sql('explain-default-category', { table: filter.table.sql, column: filter.column.sql }), [preferred]);
  return result.rows[0]?.category ?? null;
}

/**
 * True when PostgreSQL marked an index built in this transaction as not usable by it (indcheckxmin:
 * the table has broken HOT chains), so plans taken before the commit cannot use it.
 */
export async function indexHiddenFromBuilder(client: pg.ClientBase, table: Identifier, indexName: string): Promise<boolean> {
  const result = await client.query<{ checkxmin: boolean }>(sql('explain-index-checkxmin'), [qualified(table, indexName)]);
  return Boolean(result.rows[0]?.checkxmin);
}
