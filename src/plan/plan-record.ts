/**
 * Plan domain (pure): a parsed plan as a compact, JSON-safe record that a bench result can carry
 * (`PlanSummary.tree`), so a reader of the result (the HTML report) can draw the plan as a tree
 * without PostgreSQL: each node's exclusive time, rows against the estimate, buffers, conditions,
 * and the plan's warnings. The figures are the ones perfbench derives (exclusive time and buffers,
 * see plan-time.ts), not EXPLAIN's raw keys.
 */
import type { Misestimate, ParsedPlan, PlanNode } from './plan-model.js';
import { planWarnings, type WarningKind, type WarningSeverity } from './plan-warnings.js';

/** Buffers of one node alone (children subtracted), 8 kB blocks. */
export interface PlanRecordBuffers {
  sharedHit: number;
  sharedRead: number;
  tempRead: number;
  tempWritten: number;
}

/** One node of a recorded plan, in depth-first order (`id` is its index). */
export interface PlanRecordNode {
  id: number;
  parentId: number | null;
  depth: number;
  /** `Bitmap Heap Scan on products`, `Sort`, `Index Scan using … on …`. */
  label: string;
  /** `InitPlan 1 (returns $0)`, `CTE wet`, `SubPlan 2` when the node heads one. */
  subplan?: string;
  /** Time in this node alone, all loops, ms. */
  exclusiveMs: number;
  /** Time in this node and below, all loops, ms. */
  inclusiveMs: number;
  /** Rows per loop, as EXPLAIN prints them, and the planner's estimate per loop. */
  rows: number;
  estimatedRows: number;
  loops: number;
  neverExecuted?: true;
  misestimate?: Misestimate;
  /** Set when a node above stopped reading this one: its rows say nothing about the estimate. */
  cutShort?: string;
  buffers: PlanRecordBuffers;
  /** Conditions, what they removed, sort and hash figures, workers: one phrase each. */
  details: string[];
}

/** One warning of the plan (plan-warnings.ts), on the node `nodeId`. */
export interface PlanRecordWarning {
  severity: WarningSeverity;
  kind: WarningKind;
  nodeId: number;
  message: string;
  suggestion: string;
}

/** A recorded plan. */
export interface PlanRecord {
  /** The time node shares are taken of: `Execution Time`, else the root's inclusive time. */
  totalTimeMs: number;
  executionTimeMs?: number;
  planningTimeMs?: number;
  /** False when captured without BUFFERS (buffer figures are then zero). */
  hasBuffers: boolean;
  nodes: PlanRecordNode[];
  warnings: PlanRecordWarning[];
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

function int(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The phrases shown under a node: conditions with what they removed, keys, sort, hash, workers. */
function detailsOf(node: PlanNode): string[] {
  const lines: string[] = [];
  if (node.indexCond) lines.push(`Index Cond: ${node.indexCond}`);
  if (node.recheckCond) lines.push(`Recheck Cond: ${node.recheckCond}`);
  if (node.rowsRemovedByIndexRecheck > 0) lines.push(`Rows Removed by Index Recheck: ${int(node.rowsRemovedByIndexRecheck)}`);
  if (node.hashCond) lines.push(`Hash Cond: ${node.hashCond}`);
  if (node.joinFilter) lines.push(`Join Filter: ${node.joinFilter} (removed ${int(node.rowsRemovedByJoinFilter)})`);
  if (node.filter) lines.push(`Filter: ${node.filter} (removed ${int(node.rowsRemovedByFilter)})`);
  if (node.groupKey?.length) lines.push(`Group Key: ${node.groupKey.join(', ')}`);
  if (node.sortKey?.length) lines.push(`Sort Key: ${node.sortKey.join(', ')}`);
  if (node.sortMethod) {
    const space = node.sortSpaceUsedKb !== undefined ? ` (${node.sortSpaceType ?? 'Memory'} ${int(node.sortSpaceUsedKb)} kB)` : '';
    lines.push(`Sort Method: ${node.sortMethod}${space}`);
  }
  if (node.hashBatches !== undefined) lines.push(`Hash Batches: ${int(node.hashBatches)}${node.peakMemoryKb !== undefined ? `, peak ${int(node.peakMemoryKb)} kB` : ''}`);
  if (node.hashAggBatches !== undefined && node.hashAggBatches > 1) lines.push(`HashAgg Batches: ${int(node.hashAggBatches)}, disk ${int(node.diskUsageKb ?? 0)} kB`);
  if (node.workersPlanned !== undefined) lines.push(`Workers: ${node.workersLaunched ?? 0} of ${node.workersPlanned} launched`);
  if (node.heapFetches !== undefined) lines.push(`Heap Fetches: ${int(node.heapFetches)}`);
  return lines;
}

/** The record of a parsed plan (pure; times rounded to the microsecond EXPLAIN prints). */
export function planRecord(plan: ParsedPlan): PlanRecord {
  const nodes = plan.nodes.map((node): PlanRecordNode => {
    const record: PlanRecordNode = {
      id: node.id,
      parentId: node.parentId,
      depth: node.depth,
      label: node.label,
      exclusiveMs: round3(node.exclusiveTimeMs),
      inclusiveMs: round3(node.inclusiveTimeMs),
      rows: node.actualRows,
      estimatedRows: node.estimatedRows,
      loops: node.loops,
      buffers: {
        sharedHit: node.exclusiveBuffers.sharedHit,
        sharedRead: node.exclusiveBuffers.sharedRead,
        tempRead: node.exclusiveBuffers.tempRead,
        tempWritten: node.exclusiveBuffers.tempWritten,
      },
      details: detailsOf(node),
    };
    const subplan = node.subplanName ?? (node.cteName && node.parentRelationship === 'InitPlan' ? `CTE ${node.cteName}` : undefined);
    if (subplan) record.subplan = subplan;
    if (node.neverExecuted) record.neverExecuted = true;
    if (node.misestimate) record.misestimate = { factor: Math.round(node.misestimate.factor * 100) / 100, direction: node.misestimate.direction };
    if (node.stoppedEarly) record.cutShort = node.stoppedEarly.reason;
    return record;
  });
  const record: PlanRecord = {
    totalTimeMs: round3(plan.totalTimeMs),
    hasBuffers: plan.hasBuffers,
    nodes,
    warnings: planWarnings(plan).map((w) => ({ severity: w.severity, kind: w.kind, nodeId: w.nodeId, message: w.message, suggestion: w.suggestion })),
  };
  if (plan.executionTimeMs !== undefined) record.executionTimeMs = plan.executionTimeMs;
  if (plan.planningTimeMs !== undefined) record.planningTimeMs = plan.planningTimeMs;
  return record;
}
