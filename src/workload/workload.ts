/**
 * Workload layer (pure): what perfbench times. A workload is a statement with named parameters,
 * where their values come from, and the relation and column it filters on. seed, explain, bench,
 * serve and the targets take a workload, so the built-in report (workload/report.ts) and a user's
 * own statement travel the same road.
 */
import type { Distribution } from '../measure/random.js';
import type { Identifier } from './identifiers.js';

/** SQL text with `$1…$n` placeholders, and the names of those parameters in order (`$1` first). */
export interface Statement {
  readonly text: string;
  readonly parameters: readonly string[];
}

/** The relation and column a workload filters on: the index path's target and its values' source. */
export interface FilterTarget {
  readonly table: Identifier;
  readonly column: Identifier;
}

/** How operation i's parameter value is drawn from the filter column's values (seeded: the same on every machine). */
export interface ValueDraw {
  readonly distribution: Distribution;
  /** Zipf exponent (ignored for uniform). */
  readonly skew?: number;
  readonly seed: number;
}

/** Rows as the driver returns them (column name -> value). */
export type Row = Readonly<Record<string, unknown>>;

export interface Workload {
  /** Short, stable name: it goes into cache keys, routes and reports (`report`). */
  readonly name: string;
  /** The timed statement; its one parameter is the filter column's value. */
  readonly statement: Statement;
  readonly filter: FilterTarget;
  /**
   * Optional: the rows of many values in one statement (`$1` and `$2` are both the values as an
   * array: `$1` for the server to read as the filter column's type, `$2` as text; each row carries
   * the value it belongs to as `perfbench_key`), so a cache fill of a thousand values is one round trip.
   */
  readonly batch?: Statement;
  /** The body the cache keeps and the server sends for one execution: identical whichever path made it. */
  body(value: string, rows: readonly Row[]): Buffer;
}

/** The one parameter the HTTP routes and the sequences fill: the statement's first. */
export function filterParameter(workload: Workload): string {
  return workload.statement.parameters[0] ?? workload.filter.column.name;
}
