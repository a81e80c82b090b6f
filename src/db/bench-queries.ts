/**
 * Database adapter: The statements `perfbench bench` runs besides the report itself: the timed report without
 * client-side decoding, its plan, the seq-scan-only session settings, the cache fill and the
 * server facts of the environment fingerprint. Statements live in sql/bench-*.sql.
 */
import type pg from 'pg';
import { pgDriver } from './pg-driver.js';
import type { FilterTarget, Row, Workload } from '../workload/workload.js';
import { runWorkload, statementName } from './report.js';
import { sql } from './sql.js';
import { wireChannel } from './wire-channel.js';

/** Returns every value as the text PostgreSQL sent: no Date, numeric or JSON parsing in the client. */
const RAW_TYPES = { getTypeParser: () => (value: string) => value };

/**
 * The report query as the timed DB paths run it: a named prepared statement (as `pgbench -M
 * prepared`) whose rows are counted off the wire and dropped, never decoded nor kept, as pgbench
 * does. Why: node-postgres turns every field of every row into a JS string, and its Date parser
 * costs ~2 µs a row; accumulating 1,000 rows per result keeps them alive across socket reads, so
 * they are promoted and collected by the old-generation GC. That client cost is the same for seq
 * and index and would blur the database difference the paths exist to show, and at concurrency 2
 * on a small machine it made Node, not PostgreSQL, the bottleneck (issue 13: 530 µs of client CPU
 * per 1,000-row report through pg's parser, against libpq's 155). The `miss` path decodes and
 * serialises, as an application does. Resolves with the number of rows received.
 */
export function runWorkloadRaw(client: pg.ClientBase, workload: Workload, value: string): Promise<number> {
  return runRaw(client, 'perfbench_bench', workload.statement.text, [value]);
}

/**
 * Runs `text` as a named prepared statement and resolves with the number of rows received, counted
 * off the wire without decoding them (see runWorkloadRaw). The rows are read by the connection's
 * wire channel (wire-channel.ts: 7 bytes of each row looked at, the row count checked against the
 * server's, server errors with their SQLSTATE); through pg's own parser (`runRawParsed`) when the
 * channel cannot serve the client or pg has a query of its own in flight on it.
 */
export function runRaw(client: pg.ClientBase, prefix: string, text: string, values: readonly string[]): Promise<number> {
  const channel = wireChannel(client);
  if (!channel) return runRawParsed(client, prefix, text, values);
  return channel.run(prefix, text, values).then((result) => result?.rows ?? runRawParsed(client, prefix, text, values));
}

/**
 * The same through node-postgres' parser: each row parsed into a message of JS strings, then
 * counted and dropped without building the row (the route before the wire channel, kept as its
 * fallback and as the benchmark's "before" figure).
 */
export function runRawParsed(client: pg.ClientBase, prefix: string, text: string, values: readonly string[]): Promise<number> {
  const query = new pgDriver.Query({ name: statementName(prefix, text), text, values: [...values], rowMode: 'array', types: RAW_TYPES } as pg.QueryConfig);
  let rows = 0;
  // Count the DataRow messages the driver has parsed off the wire, without building row arrays.
  (query as unknown as { handleDataRow: () => void }).handleDataRow = () => void rows++;
  return new Promise((resolve, reject) => {
    query.once('end', () => resolve(rows));
    query.once('error', reject);
    client.query(query);
  });
}

/** EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of the workload's statement for one value: the `QUERY PLAN` value. */
export async function explainWorkload(client: pg.ClientBase, workload: Workload, value: string): Promise<unknown> {
  const result = await client.query(sql('bench-explain', { statement: workload.statement.text }), [value]);
  return result.rows[0]?.['QUERY PLAN'];
}

/** Forbids index access paths for this connection's session (planner settings; no DDL). */
export async function forbidIndexScans(client: pg.ClientBase): Promise<void> {
  await client.query(sql('bench-seq-only'));
}

/** The settings recorded in a bench result's environment. */
export const BENCH_SETTINGS = [
  'shared_buffers', 'work_mem', 'effective_cache_size', 'jit', 'max_parallel_workers_per_gather',
  'random_page_cost', 'effective_io_concurrency', 'track_io_timing',
] as const;

export async function serverSettings(client: pg.ClientBase): Promise<{ version: string; settings: Record<string, string> }> {
  const rows = await client.query<{ name: string; value: string }>(sql('bench-settings'), [['server_version', ...BENCH_SETTINGS]]);
  let version = 'unknown';
  const settings: Record<string, string> = {};
  for (const row of rows.rows) {
    if (row.name === 'server_version') version = row.value;
    else settings[row.name] = row.value;
  }
  return { version, settings };
}

/**
 * The bodies of several values, each byte-identical to `workload.body(value, runWorkload(...).rows)`,
 * handed to `onBody` as each is made: in one query when the workload has a batch statement, else
 * one execution per value. Values without rows get the body of no rows.
 *
 * The batch's rows are streamed: its rows come grouped by value, so a value's body is made as soon
 * as the next value's first row arrives and only that one value's rows are alive at a time. Kept
 * whole, a batch of 20 of the default dataset's reports was 20,000 row objects alive across socket
 * reads: promoted to the old generation and collected late, they grew the heap by ~60 MB while a
 * cache fill ran (the peak RSS of bench:fidelity, issue 13 item 6).
 */
export async function eachWorkloadBody(client: pg.ClientBase, workload: Workload, values: readonly string[],
  onBody: (value: string, body: Buffer) => void): Promise<void> {
  if (!workload.batch) {
    for (const value of values) onBody(value, workload.body(value, (await runWorkload(client, workload, value)).rows));
    return;
  }
  const pending = new Set(values);
  const done = new Set<string>();
  let key: string | undefined;
  let rows: Row[] = [];
  const flush = (): void => {
    if (key === undefined) return;
    // The batch sorts by the key: a key seen again means its rows were split, and a body would lose some.
    if (done.has(key)) throw new Error(`the batch report query returned the rows of ${JSON.stringify(key)} apart`);
    done.add(key);
    if (pending.delete(key)) onBody(key, workload.body(key, rows));
    rows = [];
  };
  // The values twice: the server reads $1 as the column's type (to compare with its `=`), $2 as text (the keys as asked).
  const query = new pgDriver.Query({ text: workload.batch.text, values: [[...values], [...values]] } as pg.QueryConfig);
  // A throw in the 'row' listener would escape from pg's socket callback as an uncaught exception:
  // the first one is kept, later rows are ignored, and the query rejects with it once it ends.
  let failure: unknown;
  // A 'row' listener makes pg hand each row over instead of accumulating them in the result.
  query.on('row', (row: Row) => {
    if (failure !== undefined) return;
    try {
      const rowKey = String(row.perfbench_key);
      if (rowKey !== key) {
        flush();
        key = rowKey;
      }
      rows.push(row);
    } catch (error) {
      failure = error;
    }
  });
  await new Promise<void>((resolve, reject) => {
    query.once('end', () => (failure === undefined ? resolve() : reject(failure)));
    query.once('error', reject);
    client.query(query);
  });
  flush();
  for (const value of pending) onBody(value, workload.body(value, []));
}

/** Up to `limit` distinct values of the filter column, as text, sorted. */
export async function columnValues(client: pg.ClientBase, source: FilterTarget, limit: number): Promise<string[]> {
  const result = await client.query<{ value: string }>(sql('bench-column-values', { table: source.table.sql, column: source.column.sql }), [limit]);
  return result.rows.map((row) => row.value);
}
