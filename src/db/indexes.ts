/** Database adapter: the filter column's index: list, add (with its ownership mark), drop. */
import type pg from 'pg';
import type { SqlSession } from './lean-session.js';
import { usageError } from '../errors.js';
import { quote, type Identifier } from '../workload/identifiers.js';
import { resolveColumn, resolveTable, type ResolvedColumn } from './catalog.js';
import { sql } from './sql.js';

export const INDEX_METHODS = ['btree', 'hash', 'brin'] as const;
export type IndexMethod = (typeof INDEX_METHODS)[number];

/** One index of a table as `index list` shows it. */
export interface IndexInfo {
  name: string;
  method: string;
  definition: string;
  bytes: number;
  scans: number;
  valid: boolean;
  primary: boolean;
  /** A partial or expression index: it does not serve a plain filter on the column. */
  partial: boolean;
  /** True when perfbench created it (its comment carries the mark); only these are dropped without --force. */
  owned: boolean;
  columns: string[];
}

/** Every index of an existing table (see requireTable). */
export async function listIndexes(client: SqlSession, table: Identifier): Promise<IndexInfo[]> {
  const result = await client.query(sql('table-indexes'), [table.sql]);
  return result.rows.map((row) => ({
    name: row.name,
    method: row.method,
    definition: row.definition,
    bytes: Number(row.bytes),
    scans: Number(row.scans),
    valid: row.valid,
    primary: row.primary,
    partial: row.partial,
    owned: row.owned,
    columns: parseNameArray(row.columns),
  }));
}

/** node-postgres returns name[] as a string like {a,b}; text[] as an array. */
function parseNameArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return value.replace(/^\{|\}$/g, '').split(',').filter(Boolean).map((part) => part.replace(/^"|"$/g, ''));
  return [];
}

/** The name perfbench gives its index: table_column_method_perfbench, cut to PostgreSQL's 63 bytes. */
export function defaultIndexName(table: Identifier, column: Identifier, method: IndexMethod): string {
  const suffix = `_${method}_pb`;
  return `${table.name}_${column.name}`.slice(0, 63 - suffix.length) + suffix;
}

/** The table, schema-qualified as the catalog has it; a one-line usage error when it is missing. */
export async function requireTable(client: SqlSession, table: Identifier): Promise<Identifier> {
  return resolveTable(client, table, 'run `perfbench seed` first, or pass --table with an existing table');
}

/** The table (schema-qualified) and the column with its type; a one-line usage error when either is missing. */
export async function requireColumn(client: pg.ClientBase, table: Identifier, column: Identifier): Promise<{ table: Identifier; column: ResolvedColumn }> {
  const resolved = await requireTable(client, table);
  return { table: resolved, column: await resolveColumn(client, resolved, column) };
}

export interface AddIndexRequest {
  table: Identifier;
  column: Identifier;
  method: IndexMethod;
  concurrently: boolean;
  /** The caller holds a transaction open (seed --with-index): build inside it, no BEGIN/COMMIT here. */
  withinTransaction?: boolean;
}

export interface AddIndexOutcome {
  /** False when a matching index was already there (nothing was done). */
  created: boolean;
  name: string;
  buildMs: number;
  bytes: number;
  /** An invalid index left behind by an interrupted earlier build, dropped before this one. */
  replacedInvalid: boolean;
}

/**
 * Creates the index unless an equivalent valid one exists. A plain build runs in a transaction
 * together with its ownership comment; a concurrent one cannot, so when it fails or is cancelled
 * the INVALID index it leaves behind is dropped before the error is raised.
 */
export async function addIndex(client: pg.ClientBase, request: AddIndexRequest, nowMs: () => number = performance.now.bind(performance)): Promise<AddIndexOutcome> {
  const { method } = request;
  // Resolved: the index goes into the table's own schema, whatever search_path says.
  const { table, column } = await requireColumn(client, request.table, request.column);
  const existing = await listIndexes(client, table);
  const equivalent = existing.find((index) => index.valid && !index.partial && index.method === method && index.columns.length === 1 && index.columns[0] === column.name);
  if (equivalent) return { created: false, name: equivalent.name, buildMs: 0, bytes: equivalent.bytes, replacedInvalid: false };

  const name = defaultIndexName(table, column, method);
  const index = qualified(table, name);
  const invalid = existing.find((candidate) => candidate.name === name && !candidate.valid);
  if (invalid) await dropIndexNamed(client, table, name);

  const ddl = sql('index-create', { concurrently: request.concurrently ? 'CONCURRENTLY' : '', index: quote(name), table: table.sql, method, column: column.sql });
  const started = nowMs();
  if (request.concurrently) {
    // No transaction can hold both: an index built but left without its ownership mark would be
    // an orphan neither `index drop` nor the next `index add` handles, so a failure of either drops it.
    try {
      await client.query(ddl);
      await client.query(sql('index-comment', { index }));
    } catch (error) {
      await dropIndexNamed(client, table, name).catch(() => undefined);
      throw error;
    }
  } else if (request.withinTransaction) {
    await client.query(ddl);
    await client.query(sql('index-comment', { index }));
  } else {
    await client.query('BEGIN');
    try {
      await client.query(ddl);
      await client.query(sql('index-comment', { index }));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
  const buildMs = nowMs() - started;
  const built = (await listIndexes(client, table)).find((candidate) => candidate.name === name);
  return { created: true, name, buildMs, bytes: built?.bytes ?? 0, replacedInvalid: Boolean(invalid) };
}

export interface DropIndexRequest {
  table: Identifier;
  /** Drop perfbench's indexes on this column… */
  column: Identifier;
  /** …or exactly this index. */
  name?: string;
  /** Allows dropping an index perfbench did not create (only together with `name`). */
  force: boolean;
  concurrently: boolean;
}

/** Drops perfbench's indexes on the column (or the named one); returns the names dropped. */
export async function dropIndexes(client: pg.ClientBase, request: DropIndexRequest): Promise<string[]> {
  const { table } = await requireColumn(client, request.table, request.column);
  const indexes = await listIndexes(client, table);
  let targets: IndexInfo[];
  if (request.name !== undefined) {
    const named = indexes.find((index) => index.name === request.name);
    if (!named) return [];
    if (!named.owned && !request.force) {
      throw usageError(`index ${named.name} was not created by perfbench; not dropping it`, 'pass --force to drop it anyway');
    }
    if (named.primary) throw usageError(`index ${named.name} backs the primary key of ${table.text}; perfbench never drops it`);
    targets = [named];
  } else {
    targets = indexes.filter((index) => index.owned && index.columns[0] === request.column.name);
  }
  for (const target of targets) {
    await client.query(sql('index-drop', { concurrently: request.concurrently ? 'CONCURRENTLY' : '', index: qualified(table, target.name) }));
  }
  return targets.map((target) => target.name);
}

/** Drops one index by name, if it is there (no ownership check: callers decide). */
export async function dropIndexNamed(client: pg.ClientBase, table: Identifier, name: string): Promise<void> {
  await client.query(sql('index-drop', { concurrently: '', index: qualified(table, name) }));
}

/** An index's name, schema-qualified and quoted: indexes live in their table's schema. */
export function qualified(table: Identifier, name: string): string {
  return table.schema ? `${quote(table.schema)}.${quote(name)}` : quote(name);
}
