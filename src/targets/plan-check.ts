/**
 * Targets: "Is the path running the plan its name promises, and the same plan all along?" After every run of
 * a path (each trial and concurrency) and once more at the end of the bench, the report query is
 * executed under EXPLAIN (ANALYZE, BUFFERS) on one of the path's own connections, so with its
 * planner settings. The way the table was read is compared with the path's name (`plan-mismatch`)
 * and with the first plan of the run (`plan-changed`): an index dropped by another session between
 * trials must not leave a path labelled with a plan it stopped running.
 */
import type pg from 'pg';
import { findRelationScan, parsePlan } from '../plan/plan.js';
import { planRecord } from '../plan/plan-record.js';
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
    tree: planRecord(plan),
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

/**
 * What `plan-changed` compares: whether the table was read through an index, and through which.
 * Index Scan vs Bitmap Heap Scan on the same index, or Seq Scan vs Parallel Seq Scan, are the
 * planner's per-execution choices and do not change what the path measures.
 */
export function planAccess(plan: PlanSummary): string {
  return plan.usesIndex ? `index:${[...plan.indexes].sort().join(',')}` : 'no-index';
}

/** The loud note for a plan that is not the one the run started with, or undefined when it is. */
export function planChange(path: string, first: PlanSummary, now: PlanSummary): string | undefined {
  if (planAccess(first) === planAccess(now)) return undefined;
  return `PLAN CHANGED during the run: the ${path} path first read the table with ${first.scan}, later with ${now.scan}; ` +
    'its figures mix two plans (did another session change the table\'s indexes?)';
}

/**
 * A path's plan across one bench run: every `check` captures it anew and judges it against the
 * path's promise and against the first plan of the run.
 */
export class PlanWatch {
  private first: PlanSummary | undefined;

  constructor(
    private readonly path: string,
    private readonly workload: Workload,
    private readonly category: string,
    private readonly expect: PlanExpectation,
  ) {}

  /** True once a plan was captured (a path that never ran has nothing to verify at the end). */
  get started(): boolean {
    return this.first !== undefined;
  }

  async check(client: pg.ClientBase): Promise<RunFindings> {
    const plan = await capturePlan(client, this.workload, this.category);
    const findings = planFindings(this.path, plan, this.expect);
    this.first ??= plan;
    const change = planChange(this.path, this.first, plan);
    if (change) {
      findings.flags.push('plan-changed');
      findings.notes.push(change);
    }
    return findings;
  }
}
