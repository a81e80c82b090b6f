/**
 * Database adapter: the statements `perfbench bench --workload` runs: a script statement as a named
 * prepared statement whose rows are counted, not decoded (as the report paths do, see
 * bench-queries.ts), the same with its rows kept as text (the cache path stores them), its plan,
 * pgbench's :scale, the candidate index of an index=EXPR path, and the dataset version of the
 * cache keys. Statements perfbench itself runs live in sql/workload-*.sql.
 */
import type pg from 'pg';
import { forbidIndexScans, runRaw } from './bench-queries.js';
import { LibpqSession } from './libpq-session.js';
import { statementName } from './report.js';
import { sql } from './sql.js';

/**
 * A connection a workload path's statements run on: node-postgres, or a libpq session (bench
 * --driver libpq), whose calls block until the answer is in. Every function here takes either.
 */
export type WorkloadSession = pg.ClientBase | LibpqSession;

/** Returns every value as the text PostgreSQL sent: no Date, numeric or JSON parsing in the client. */
const RAW_TYPES = { getTypeParser: () => (value: string) => value };

/**
 * One script statement, as `pgbench -M prepared` runs it: a named prepared statement (prepared on
 * the connection's first use) with its values bound as text. Rows are counted as the driver parses
 * them off the wire, never decoded or kept. Resolves with the number of rows (on a libpq session,
 * returns it: the call blocked until the answer was in).
 */
export function runStatementRaw(client: WorkloadSession, text: string, values: readonly string[]): Promise<number> | number {
  if (client instanceof LibpqSession) return client.run(text, values);
  return runRaw(client, 'perfbench_wl', text, values);
}

/** The same statement with its rows kept as arrays of text: what the cache path stores. */
export async function runStatementRows(client: WorkloadSession, text: string, values: readonly string[]): Promise<unknown[][]> {
  if (client instanceof LibpqSession) return client.rows(text, values);
  const result = await client.query({ name: statementName('perfbench_wl', text), text, values: [...values], rowMode: 'array', types: RAW_TYPES } as pg.QueryConfig);
  return result.rows as unknown[][];
}

/**
 * The plan of a script statement for one operation's values: EXPLAIN (ANALYZE, BUFFERS) inside a
 * transaction that is rolled back for a read, plain EXPLAIN (not executed) for a write.
 */
export async function explainStatement(client: WorkloadSession, text: string, values: readonly string[], analyze: boolean): Promise<unknown> {
  if (client instanceof LibpqSession) {
    // libpq hands back the json column as text.
    if (!analyze) return parsePlanText(client.value(sql('workload-explain', { statement: text }), values));
    client.command(sql('workload-begin'));
    try {
      return parsePlanText(client.value(sql('bench-explain', { statement: text }), values));
    } finally {
      client.command(sql('workload-rollback'));
    }
  }
  if (!analyze) {
    const result = await client.query(sql('workload-explain', { statement: text }), [...values]);
    return result.rows[0]?.['QUERY PLAN'];
  }
  await client.query(sql('workload-begin'));
  try {
    const result = await client.query(sql('bench-explain', { statement: text }), [...values]);
    return result.rows[0]?.['QUERY PLAN'];
  } finally {
    await client.query(sql('workload-rollback'));
  }
}

/** Ends whatever transaction a failed statement left open (on node-postgres, a warning only when there is none). */
export async function rollback(client: WorkloadSession): Promise<void> {
  if (client instanceof LibpqSession) rollbackNow(client);
  else await client.query(sql('workload-rollback'));
}

/** The same on a libpq session, at once; it knows whether a transaction is open (a ROLLBACK outside one would only earn a warning). */
export function rollbackNow(session: LibpqSession): void {
  if (session.inTransaction()) session.command(sql('workload-rollback'));
}

/** The no-index path's session settings (index scans off) on a connection of either driver. */
export async function forbidIndexScansOn(client: WorkloadSession): Promise<void> {
  if (client instanceof LibpqSession) client.command(sql('bench-seq-only'));
  else await forbidIndexScans(client);
}

const parsePlanText = (text: string | undefined): unknown => (text === undefined ? undefined : JSON.parse(text));

/** pgbench's default :scale: the rows of pgbench_branches, or undefined when the table does not exist. */
export async function pgbenchScale(client: pg.ClientBase): Promise<number | undefined> {
  const present = await client.query(sql('workload-pgbench-branches'), ['pgbench_branches']);
  if (present.rows[0]?.present == null) return undefined;
  const result = await client.query<{ scale: string }>(sql('workload-scale'));
  return Number(result.rows[0]?.scale ?? 0);
}

/**
 * Creates the candidate index `name` (quoted) on `table` (quoted) over `columns` (quoted,
 * comma-separated); CONCURRENTLY when asked (then `client` must not be inside a transaction).
 */
export async function createCandidateIndex(client: pg.ClientBase, name: string, table: string, columns: string, concurrently = false): Promise<void> {
  await client.query(sql('workload-index-create', { name, table, columns, concurrently: concurrently ? 'CONCURRENTLY' : '' }));
}

/** Drops the candidate index `name` (quoted, schema-qualified) if it exists; CONCURRENTLY when asked. */
export async function dropCandidateIndex(client: pg.ClientBase, name: string, concurrently = false): Promise<void> {
  await client.query(sql('workload-index-drop', { name, concurrently: concurrently ? 'CONCURRENTLY' : '' }));
}

/** The dataset version of a workload's cache keys (row changes of the user tables). */
export async function workloadDataVersion(client: pg.ClientBase): Promise<string> {
  const result = await client.query<{ changes: string; tables: string }>(sql('workload-version'));
  const row = result.rows[0];
  return row ? `pg-${row.tables}-${row.changes}` : 'pg-unknown';
}
