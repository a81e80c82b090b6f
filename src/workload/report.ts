/**
 * Workload layer (pure): the built-in default workload, the "report by category" that perfbench
 * seeds, explains, benches and serves out of the box. Its SQL lives in sql/report.sql and
 * sql/bench-reports.sql; the caller (use cases) loads the text and hands it in.
 */
import type { FilterTarget, Row, Statement, Workload } from './workload.js';

/** The built-in workload's defaults: the table `perfbench seed` makes and its filter column. */
export const REPORT_DEFAULTS = { table: 'products', column: 'category' } as const;

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
export function reportBody(category: string, rows: readonly Row[]): Buffer {
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

/** The report workload over `filter`, given its statement texts ($1 the category; the batch's $1 and $2 the categories). */
export function reportWorkload(filter: FilterTarget, texts: { statement: string; batch: string }): Workload {
  const statement: Statement = { text: texts.statement, parameters: ['category'] };
  return { name: 'report', statement, filter, batch: { text: texts.batch, parameters: ['categories', 'categories'] }, body: reportBody };
}
