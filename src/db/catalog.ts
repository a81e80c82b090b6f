/**
 * Database adapter: what a --table or --column name means in this database. A table resolves to
 * the relation PostgreSQL itself would pick (schema-qualified through the catalog, unqualified
 * through search_path), so everything downstream, printed advice included, names it with its
 * schema. A name that misses only by letter case gets an error that shows how to quote it.
 */
import type pg from 'pg';
import type { SqlSession } from './lean-session.js';
import { usageError } from '../errors.js';
import { catalogIdentifier, columnIdentifier, shellWord, type Identifier } from '../workload/identifiers.js';
import { sql } from './sql.js';

/** A column as the catalog has it, with its type (`integer`, `uuid`, `character varying(20)`…). */
export interface ResolvedColumn extends Identifier {
  readonly type: string;
}

/**
 * The table schema-qualified as the catalog spells it (its SQL form names the schema), or undefined
 * when nothing matches. `text` stays as the user wrote it, for messages; printed commands use
 * `qualifiedText`.
 */
export async function findTable(client: SqlSession, table: Identifier): Promise<Identifier | undefined> {
  const result = await client.query<{ schema: string; name: string }>(sql('table-resolve'), [table.sql]);
  const row = result.rows[0];
  return row ? { ...catalogIdentifier(row.schema, row.name), text: table.text } : undefined;
}

/** The table schema-qualified, or a one-line usage error (with the quoting of a case variant, if one exists). */
export async function resolveTable(client: SqlSession, table: Identifier, hint: string): Promise<Identifier> {
  const found = await findTable(client, table);
  if (found) return found;
  const variants = await client.query<{ schema: string; name: string }>(sql('table-case-variants'), [table.name, table.schema ?? null]);
  const variant = variants.rows[0];
  if (variant) {
    const quoted = catalogIdentifier(table.schema === undefined ? undefined : variant.schema, variant.name).text;
    throw usageError(`table ${table.text} does not exist, but ${quoted} does (an unquoted name folds to lower case)`,
      `quote it as in SQL: --table ${shellWord(quoted)}`);
  }
  throw usageError(`table ${table.text} does not exist`, hint);
}

/** The column with its type, or a one-line usage error (with the quoting of a case variant, if one exists). */
export async function resolveColumn(client: pg.ClientBase, table: Identifier, column: Identifier): Promise<ResolvedColumn> {
  const result = await client.query<{ type: string }>(sql('column-exists'), [table.sql, column.name]);
  const row = result.rows[0];
  if (row) return { ...columnIdentifier(column.sql), type: row.type };
  const variants = await client.query<{ name: string }>(sql('column-case-variants'), [table.sql, column.name]);
  const variant = variants.rows[0];
  if (variant) {
    const quoted = catalogIdentifier(undefined, variant.name).text;
    throw usageError(`table ${table.text} has no column ${column.text}, but it has ${quoted} (an unquoted name folds to lower case)`,
      `quote it as in SQL: --column ${shellWord(quoted)}`);
  }
  throw usageError(`table ${table.text} has no column ${column.text}`, 'pass --column with one of its columns');
}

/** The exact row count (a full scan: only where no estimate exists). */
export async function countRows(client: pg.ClientBase, table: Identifier): Promise<number> {
  return Number((await client.query<{ rows: string }>(sql('table-count', { table: table.sql }))).rows[0]!.rows);
}
