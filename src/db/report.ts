import { createHash } from 'node:crypto';
import type pg from 'pg';
import { firstLine, usageError } from '../errors.js';
import type { Identifier } from './identifiers.js';
import { sql } from './sql.js';

/** Where the report reads from: the table and the filter column, validated and quoted. */
export interface ReportSource {
  table: Identifier;
  column: Identifier;
}

/** The report query's text for a source; $1 is the category. */
export function reportQuery(source: ReportSource): string {
  return sql('report', { table: source.table.sql, column: source.column.sql });
}

/**
 * Runs the report as a named prepared statement: parsed and planned once per connection, as an
 * application with a driver-side statement cache would (and as pgbench -M prepared does).
 */
export async function runReport(db: pg.ClientBase | pg.Pool, source: ReportSource, category: string): Promise<pg.QueryResult> {
  const text = reportQuery(source);
  return db.query({ name: statementName('perfbench_report', text), text, values: [category] });
}

/**
 * Runs the report once (for a category that need not exist) so a table without the report's
 * columns fails at start, in one line (exit 2), not on every operation. Only "undefined column or
 * table" (SQLSTATE class 42) means that; anything else (a lost connection, a cancel) is rethrown.
 */
export async function checkReportServable(db: pg.ClientBase | pg.Pool, source: ReportSource): Promise<void> {
  try {
    await runReport(db, source, '');
  } catch (error) {
    const err = error as { code?: unknown; message?: unknown };
    if (typeof err.code !== 'string' || !err.code.startsWith('42')) throw error;
    throw usageError(`table ${source.table.text} cannot serve the report: ${firstLine(String(err.message))}`,
      'it needs id, name, category, price and created_at columns; create one with `perfbench seed --table <name>`');
  }
}

/** A prepared statement's name that identifies its text (a hash keeps it within PostgreSQL's 63-byte limit). */
export function statementName(prefix: string, text: string): string {
  return `${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
}

/** One product as the report serves it. */
export interface ReportProduct {
  id: number;
  name: string;
  category: string;
  price: string;
  created_at: string;
}

/** The report's JSON body, identical whichever path (database, cache, HTTP) produced it. */
export interface ReportBody {
  category: string;
  count: number;
  products: ReportProduct[];
}

/** Serialises rows of the report query; numeric stays a string so no price is rounded. */
export function reportBody(category: string, rows: readonly Record<string, unknown>[]): Buffer {
  const products: ReportProduct[] = rows.map((row) => ({
    id: Number(row.id),
    name: String(row.name),
    category: String(row.category),
    price: String(row.price),
    created_at: row.created_at instanceof Date ? row.created_at.toISOString() : String(row.created_at),
  }));
  const body: ReportBody = { category, count: products.length, products };
  return Buffer.from(JSON.stringify(body));
}
