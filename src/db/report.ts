/**
 * Database adapter: running a workload's statement (and loading the built-in report's texts from
 * sql/). Values are always bound as parameters.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { firstLine, usageError } from '../errors.js';
import { reportWorkload } from '../workload/report.js';
import type { FilterTarget, Workload } from '../workload/workload.js';
import { sql } from './sql.js';
import { inSqlStateClass, SQLSTATE_CLASS } from './sqlstate.js';

/** The report query's text for a filter target; $1 is the category. */
export function reportQuery(filter: FilterTarget): string {
  return sql('report', { table: filter.table.sql, column: filter.column.sql });
}

/** The built-in report workload over `filter`, its statements loaded from sql/. */
export function builtinReportWorkload(filter: FilterTarget): Workload {
  return reportWorkload(filter, {
    statement: reportQuery(filter),
    batch: sql('bench-reports', { table: filter.table.sql, column: filter.column.sql }),
  });
}

/**
 * Runs the workload's statement as a named prepared statement: parsed and planned once per
 * connection, as an application with a driver-side statement cache would (and as pgbench -M
 * prepared does).
 */
export async function runWorkload(db: pg.ClientBase | pg.Pool, workload: Workload, value: string | null): Promise<pg.QueryResult> {
  const { text } = workload.statement;
  return db.query({ name: statementName(`perfbench_${workload.name}`, text), text, values: [value] });
}

/**
 * Runs the statement once, for NULL (which matches nothing and fits every column type, where a
 * made-up value would not fit an integer or uuid column), so a table without the statement's
 * columns fails at start, in one line (exit 2), not on every operation. Only "undefined column or
 * table" (SQLSTATE class 42) means that; anything else (a lost connection, a cancel) is rethrown.
 */
export async function checkWorkloadServable(db: pg.ClientBase | pg.Pool, workload: Workload): Promise<void> {
  try {
    await runWorkload(db, workload, null);
  } catch (error) {
    const err = error as { code?: unknown; message?: unknown };
    if (typeof err.code !== 'string' || !inSqlStateClass(err.code, SQLSTATE_CLASS.syntaxErrorOrAccessRuleViolation)) throw error;
    throw usageError(`table ${workload.filter.table.text} cannot serve the report: ${firstLine(String(err.message))}`,
      'it needs id, name, category, price and created_at columns; create one with `perfbench seed --table <name>`');
  }
}

/** A prepared statement's name that identifies its text (a hash keeps it within PostgreSQL's 63-byte limit). */
export function statementName(prefix: string, text: string): string {
  return `${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
}
