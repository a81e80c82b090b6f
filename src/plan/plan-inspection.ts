/**
 * Plan domain: the questions explain answers about a finished plan for the user — did it read the
 * table through the filter column's index, what did it write before the rollback undid it, and did
 * the runs of a comparison read the table the way their side's name claims. Kept apart from the
 * run that produced the plan so a saved plan gets the same answers as a live one. Pure.
 */
import type { Identifier } from '../workload/identifiers.js';
import { findRelationScan, type ParsedPlan } from './plan.js';

/** "Is it using the index?": the valid indexes whose first column is the filter column, and whether the plan read the table through one. */
export interface IndexCheck {
  table: string;
  column: string;
  /** Empty when the column has no index. */
  indexes: string[];
  /** How the plan read the table (`Bitmap Heap Scan on products using …`); null when it never reads it. */
  scan: string | null;
  usesIndex: boolean;
}

/** Rows a ModifyTable node wrote (and the rollback undid). */
export interface WriteSummary {
  /** Insert, Update, Delete or Merge. */
  operation: string;
  relation: string | null;
  /** Rows fed into the ModifyTable node: the rows it inserted, updated or deleted. */
  rows: number;
}

/** Whether the plan read the table through one of the column's indexes. */
export function indexCheckOf(plan: ParsedPlan, table: Identifier, column: Identifier, indexes: string[]): IndexCheck {
  // The plan names relations without their schema unless VERBOSE, so match on the bare name.
  const scan = findRelationScan(plan, table.name);
  return {
    table: table.text,
    column: column.text,
    indexes,
    scan: scan?.description ?? null,
    usesIndex: Boolean(scan?.usesIndex && scan.indexes.some((name) => indexes.includes(name))),
  };
}

/** The ModifyTable nodes of a plan: what the statement wrote before the rollback undid it. */
export function writesOf(plan: ParsedPlan): WriteSummary[] {
  return plan.nodes
    .filter((node) => node.nodeType === 'ModifyTable')
    .map((node) => {
      // InitPlans and SubPlans compute values for the write; only the remaining child feeds it rows.
      const child = node.childIds.map((id) => plan.nodes[id]!).find((c) => c.parentRelationship !== 'InitPlan' && c.parentRelationship !== 'SubPlan');
      return {
        operation: typeof node.raw['Operation'] === 'string' ? node.raw['Operation'] : 'Modify',
        relation: node.relation ?? null,
        rows: child ? Math.round(child.actualRows * child.loops) : 0,
      };
    });
}

/**
 * How the first plan read the table, and the first later plan that read it another way; null when
 * they agree. For --compare: run 1 of "before" is the real no-index plan, later runs only simulate
 * it by disabling index scans, and the two can differ (a planner that still prefers another path).
 */
export function scanDrift(plans: readonly ParsedPlan[], tableName: string): { first: string | null; later: string } | null {
  const scans = plans.map((plan) => findRelationScan(plan, tableName)?.description);
  const later = scans.slice(1).find((scan) => scan !== scans[0]);
  return later === undefined ? null : { first: scans[0] ?? null, later };
}

/** True when every plan read the table through the named index: the "after" side of --compare is what it claims. */
export function everyPlanUsesIndex(plans: readonly ParsedPlan[], tableName: string, indexName: string): boolean {
  return plans.every((plan) => findRelationScan(plan, tableName)?.indexes.includes(indexName) ?? false);
}
