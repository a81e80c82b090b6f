/** Database adapter: the seeded products table: create, load with binary COPY, its dataset record and version. */
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DatasetParams } from '../workload/dataset.js';
import { copySource, type RowGeneration } from './copy-source.js';
import type { Identifier } from '../workload/identifiers.js';
import { sql } from './sql.js';

/** A table as the catalog describes it. */
export interface TableInfo {
  schema: string;
  name: string;
  estimatedRows: number;
  totalBytes: number;
  heapBytes: number;
  lastAnalyze: Date | null;
  hasRows: boolean;
}

/** The dataset perfbench seeded into a table, from perfbench_datasets. */
export interface SeededDataset {
  fingerprint: string;
  parameters: DatasetParams;
  rowCount: number;
  seededAt: Date;
}

export async function tableInfo(client: pg.ClientBase, table: Identifier): Promise<TableInfo | undefined> {
  const exists = await client.query<{ exists: boolean }>(sql('table-exists'), [table.sql]);
  if (!exists.rows[0]!.exists) return undefined;
  const result = await client.query(sql('table-info', { table: table.sql }), [table.sql]);
  const row = result.rows[0];
  return {
    schema: row.schema,
    name: row.name,
    estimatedRows: Math.max(Number(row.estimated_rows), 0),
    totalBytes: Number(row.total_bytes),
    heapBytes: Number(row.heap_bytes),
    lastAnalyze: row.last_analyze,
    hasRows: row.has_rows,
  };
}

export async function readDataset(client: pg.ClientBase, table: Identifier): Promise<SeededDataset | undefined> {
  const state = (await client.query<{ exists: boolean; current: boolean }>(sql('metadata-state'))).rows[0]!;
  if (!state.exists) return undefined;
  const result = state.current
    ? await client.query(sql('metadata-read'), [table.text, table.sql])
    : await client.query(sql('metadata-read-legacy'), [table.text]);
  const row = result.rows[0];
  if (!row) return undefined;
  return { fingerprint: row.fingerprint, parameters: row.parameters, rowCount: Number(row.row_count), seededAt: row.seeded_at };
}

export async function recordDataset(client: pg.ClientBase, table: Identifier, params: DatasetParams, fingerprint: string): Promise<void> {
  await client.query(sql('metadata-create'));
  await client.query(sql('metadata-migrate'));
  await client.query(sql('metadata-upsert'), [table.text, fingerprint, JSON.stringify(params), params.rows, table.sql]);
}

/** Progress of a load: rows sent so far. */
export type LoadProgress = (rowsSent: number) => void;

/**
 * Creates `table` and streams the dataset into it with binary COPY. Runs on the caller's
 * transaction: the caller commits or rolls back. `signal` aborts the stream (Ctrl-C).
 * `generation` says where the rows are made (copy-source.ts); the bytes are the same either way.
 */
export async function createAndLoad(client: pg.ClientBase, table: Identifier, params: DatasetParams,
  onProgress: LoadProgress, signal?: AbortSignal, generation: RowGeneration = 'auto'): Promise<void> {
  await client.query(sql('products-create', { table: table.sql }));
  const sink = client.query(copyFrom(sql('products-copy', { table: table.sql })));
  await pipeline(copySource(params, generation, onProgress), sink, { signal });
}

/** Built after the load: once over sorted input is far cheaper than maintained per row. */
export async function addPrimaryKey(client: pg.ClientBase, table: Identifier): Promise<void> {
  await client.query(sql('products-primary-key', { table: table.sql }));
}

/**
 * The version that cache keys carry: the seeded dataset's fingerprint, or for a table perfbench
 * did not seed, its filenode and write counters (which change when its data does).
 */
export async function datasetVersion(client: pg.ClientBase | pg.Pool, table: Identifier): Promise<string> {
  const seeded = await readDataset(client as pg.ClientBase, table);
  if (seeded) return seeded.fingerprint;
  const result = await client.query(sql('table-version'), [table.sql]);
  const row = result.rows[0];
  return row ? `ext-${row.filenode}-${row.changes}` : 'missing';
}
