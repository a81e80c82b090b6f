/**
 * The statements `perfbench bench` runs besides the report itself: the timed report without
 * client-side decoding, its plan, the seq-scan-only session settings, the cache fill and the
 * server facts of the environment fingerprint. Statements live in sql/bench-*.sql.
 */
import pg from 'pg';
import { reportBody, reportQuery, statementName, type ReportSource } from './report.js';
import { sql } from './sql.js';

/** Returns every value as the text PostgreSQL sent: no Date, numeric or JSON parsing in the client. */
const RAW_TYPES = { getTypeParser: () => (value: string) => value };

/**
 * The report query as the timed DB paths run it: a named prepared statement (as `pgbench -M
 * prepared`) whose every row is transferred and parsed by the driver, but neither decoded into JS
 * types nor kept: each row is counted and dropped as it arrives. Why: node-postgres turns 1,000
 * timestamps into Date objects at ~2 µs a row, and accumulating 1,000 rows per result keeps them
 * alive across socket reads, so they are promoted and collected by the old-generation GC
 * (measured on the default dataset: 5.1 ms per report decoded, 2.8 ms undecoded, and then ~1.3 ms
 * of client CPU per report, 15% of it GC). That client cost is the same for seq and index and would
 * blur the database difference the paths exist to show, and at concurrency 2 it made Node, not
 * PostgreSQL, the bottleneck. The `miss` path decodes and serialises, as an application does.
 * Resolves with the number of rows received.
 */
export function runReportRaw(client: pg.ClientBase, source: ReportSource, category: string): Promise<number> {
  const text = reportQuery(source);
  const query = new pg.Query({ name: statementName('perfbench_bench', text), text, values: [category], rowMode: 'array', types: RAW_TYPES } as pg.QueryConfig);
  let rows = 0;
  // Count the DataRow messages the driver has parsed off the wire, without building row arrays.
  (query as unknown as { handleDataRow: () => void }).handleDataRow = () => void rows++;
  return new Promise((resolve, reject) => {
    query.once('end', () => resolve(rows));
    query.once('error', reject);
    client.query(query);
  });
}


/** EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of the report for one category: the `QUERY PLAN` value. */
export async function explainReport(client: pg.ClientBase, source: ReportSource, category: string): Promise<unknown> {
  const result = await client.query(sql('bench-explain', { statement: reportQuery(source) }), [category]);
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
 * The report bodies of several categories in one query, each byte-identical to
 * `reportBody(category, runReport(...).rows)`. Categories without rows get an empty report.
 */
export async function reportBodies(client: pg.ClientBase, source: ReportSource, categories: readonly string[]): Promise<Map<string, Buffer>> {
  const result = await client.query(sql('bench-reports', { table: source.table.sql, column: source.column.sql }), [[...categories]]);
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const category of categories) groups.set(category, []);
  for (const row of result.rows as Array<Record<string, unknown>>) {
    const key = String(row.perfbench_key);
    groups.get(key)?.push(row);
  }
  const bodies = new Map<string, Buffer>();
  for (const [category, rows] of groups) bodies.set(category, reportBody(category, rows));
  return bodies;
}

/** Up to `limit` distinct values of the filter column, as text, sorted. */
export async function columnValues(client: pg.ClientBase, source: ReportSource, limit: number): Promise<string[]> {
  const result = await client.query<{ value: string }>(sql('bench-column-values', { table: source.table.sql, column: source.column.sql }), [limit]);
  return result.rows.map((row) => row.value);
}
