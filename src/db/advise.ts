/**
 * Database adapter: the statements behind `perfbench explain --advise`. Candidate indexes are built
 * inside the explain transaction, each in a savepoint that is rolled back after its runs, under a
 * transaction-local lock_timeout so a build never queues behind a long write (a queued CREATE INDEX
 * would make every later write to the table queue behind it).
 */
import type pg from 'pg';
import { quote, type Identifier } from '../workload/identifiers.js';
import { qualified } from './indexes.js';
import { sql } from './sql.js';

/** What the bound and the candidate check need to know about a table. */
export interface TableFacts {
  heapBytes: number;
  estimatedRows: number;
  /** pg_class.relkind: `r` table, `m` materialized view, `p` partitioned table, `v` view… */
  kind: string;
  columns: string[];
}

/** The facts of a resolved table; undefined when it is gone. */
export async function tableFacts(client: pg.ClientBase, table: Identifier): Promise<TableFacts | undefined> {
  const result = await client.query(sql('advise-table-facts'), [table.sql]);
  const row = result.rows[0];
  if (!row) return undefined;
  return { heapBytes: Number(row.heap_bytes), estimatedRows: Number(row.estimated_rows), kind: String(row.kind), columns: (row.columns as string[]).map(String) };
}

const SAVEPOINT = 'perfbench_candidate';

/** Opens the savepoint a candidate lives in. */
export async function candidateSavepoint(client: pg.ClientBase): Promise<void> {
  await client.query(`SAVEPOINT ${SAVEPOINT}`);
}

/** Rolls the candidate back (its index, its settings, its runs' writes) and releases the savepoint. */
export async function rollbackCandidate(client: pg.ClientBase): Promise<void> {
  await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
  await client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
}

/**
 * Builds a candidate index (inside the candidate's savepoint) and returns its size. `columnsSql` is
 * the column list with every name quoted (index-candidates.ts); `name` is unique to this session.
 */
export async function buildCandidateIndex(client: pg.ClientBase, table: Identifier, name: string, columnsSql: string, lockTimeoutMs: number): Promise<number> {
  const { rows } = await client.query<{ previous: string }>(sql('advise-lock-timeout'), [String(lockTimeoutMs)]);
  await client.query(sql('advise-index-create', { index: quote(name), table: table.sql, columns: columnsSql }));
  await client.query(sql('advise-lock-timeout'), [rows[0]?.previous ?? '0']);
  const size = await client.query<{ bytes: string }>(sql('advise-index-bytes'), [qualified(table, name)]);
  return Number(size.rows[0]?.bytes ?? 0);
}
