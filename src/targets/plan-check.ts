/**
 * "Is the path running the plan its name promises?" After a run, the report query is executed once
 * more under EXPLAIN (ANALYZE, BUFFERS) on one of the path's own connections, so with its planner
 * settings, and the way the table was read is compared with the path's name.
 */
import type pg from 'pg';
import { findRelationScan, parsePlan } from '../plan/plan.js';
import { explainWorkload } from '../db/bench-queries.js';
import type { Workload } from '../workload/workload.js';
import type { PlanSummary, RunFindings } from './path.js';

/** What the path's name promises about the table access. */
export type PlanExpectation = 'seq-scan' | 'index-scan' | 'any';

export async function capturePlan(client: pg.ClientBase, workload: Workload, category: string): Promise<PlanSummary> {
  const plan = parsePlan(await explainWorkload(client, workload, category));
  const table = workload.filter.table.name;
  const scan = findRelationScan(plan, table);
  const buffers = plan.root.buffers;
  return {
    category,
    root: plan.root.operation,
    scan: scan?.description ?? `no scan of ${table} in the plan`,
    scanType: scan?.node.operation ?? 'none',
    indexes: scan?.indexes ?? [],
    usesIndex: scan?.usesIndex ?? false,
    sharedHitBlocks: buffers.sharedHit,
    sharedReadBlocks: buffers.sharedRead,
    executionTimeMs: plan.executionTimeMs ?? plan.totalTimeMs,
    planningTimeMs: plan.planningTimeMs ?? 0,
  };
}

/** The plan as findings: flagged `plan-mismatch` with a loud note when it contradicts the path. */
export function planFindings(path: string, plan: PlanSummary, expect: PlanExpectation): RunFindings {
  const findings: RunFindings = { plan, notes: [], flags: [] };
  if (expect === 'index-scan' && !plan.usesIndex) {
    findings.flags.push('plan-mismatch');
    findings.notes.push(`PLAN MISMATCH: the ${path} path read the table with ${plan.scan}, not through an index; its figures are not index-scan figures`);
  } else if (expect === 'seq-scan' && plan.usesIndex) {
    findings.flags.push('plan-mismatch');
    findings.notes.push(`PLAN MISMATCH: the ${path} path read the table with ${plan.scan}; its figures are not seq-scan figures`);
  }
  return findings;
}
