/**
 * Use case: resolve the workload a command runs. Today that is the built-in report over the
 * table and column the flags name; it is checked once here (the column exists, the statement runs)
 * so a table that cannot serve it fails at start in one line. A user's own statement (the next
 * step) is resolved here too, and every command downstream only sees a Workload.
 */
import type pg from 'pg';
import { requireColumn } from '../db/indexes.js';
import { builtinReportWorkload, checkWorkloadServable } from '../db/report.js';
import type { FilterTarget, Workload } from '../workload/workload.js';

export async function openWorkload(client: pg.ClientBase, filter: FilterTarget): Promise<Workload> {
  // Resolved through the catalog: downstream, the table is schema-qualified and the column typed.
  const workload = builtinReportWorkload(await requireColumn(client, filter.table, filter.column));
  await checkWorkloadServable(client, workload);
  return workload;
}
