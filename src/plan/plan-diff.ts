/**
 * Plan domain: before/after comparison of plans, e.g. without and with an index: which node
 * swapped, and what that did to execution time, buffers and rows thrown away. Several runs per side
 * are summarized by their median so one noisy run does not decide.
 */
import { usageError } from '../errors.js';
import { describeScan, sharedBlocks, type ParsedPlan, type PlanNode } from './plan.js';

/** Execution times of one side's runs. */
export interface TimingSummary {
  runsMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
}

/** One node of one side, with the figures the comparison shows. */
export interface DiffNodeSide {
  /** `PlanNode.id` in that side's representative run. */
  id: number;
  /** The label, with a Bitmap Heap Scan's index: `Bitmap Heap Scan on products using products_category_idx`. */
  description: string;
  inclusiveTimeMs: number;
  /** Shared blocks hit + read, this node and below. */
  sharedBlocks: number;
  rowsRemovedByFilter: number;
}

/** A pair of matched nodes, or a node found on one side only. */
export interface NodeMatch {
  /** The relation both sides read, for scans. */
  relation?: string;
  before?: DiffNodeSide;
  after?: DiffNodeSide;
  /** True when the description differs or the node exists on one side only. */
  changed: boolean;
}

/** The comparison. Figures other than execution time come from each side's median run. */
export interface PlanDiff {
  runs: { before: number; after: number };
  executionTime: { before: TimingSummary; after: TimingSummary };
  /** median(before) / median(after): above 1 means "after" is faster. Null when "after" took 0 ms. */
  speedup: number | null;
  /**
   * The median of run-by-run ratios (before[i] / after[i]) when both sides have the same number of
   * runs, which callers should take interleaved so drift hits both sides alike; null otherwise.
   */
  pairedSpeedup: number | null;
  /** Shared blocks hit + read by the whole plan: the cache-independent measure of the gain. */
  sharedBlocks: { before: number; after: number };
  /** Rows removed by filters, all nodes. */
  rowsRemovedByFilter: { before: number; after: number };
  /** Matched scans whose access path changed: `Seq Scan on products -> Index Scan using … on products`. */
  swaps: NodeMatch[];
  /** Every node: matched pairs in "before" plan order, then nodes found only "after". */
  nodes: NodeMatch[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function timingOf(plans: ParsedPlan[]): TimingSummary {
  const runsMs = plans.map((p) => p.totalTimeMs);
  return { runsMs, medianMs: median(runsMs), minMs: Math.min(...runsMs), maxMs: Math.max(...runsMs) };
}

/** The run whose execution time is the median (the lower of the two middle ones for an even count). */
function representative(plans: ParsedPlan[]): ParsedPlan {
  const sorted = [...plans].sort((a, b) => a.totalTimeMs - b.totalTimeMs);
  return sorted[(sorted.length - 1) >> 1]!;
}

/** Nodes that are part of a Bitmap Heap Scan's access path and described by it. */
const BITMAP_PARTS = new Set(['Bitmap Index Scan', 'BitmapAnd', 'BitmapOr']);

/**
 * Keys that identify a node across two plans of the same query. Scans are keyed by the relation
 * they read (name, alias) and their position among scans of it: an index changes *how* a relation
 * is read, not *which* relations are read, so the k-th scan of `products` before is the k-th scan
 * of `products` after, whatever its node type. Other nodes (joins, sorts, aggregates) have no
 * identity beyond what they are, so they are keyed by label and position among nodes of that
 * label; when the plan shape changes they end up on one side only, which is the honest answer.
 */
function keyed(plan: ParsedPlan): Map<string, PlanNode> {
  const seen = new Map<string, number>();
  const keys = new Map<string, PlanNode>();
  for (const node of plan.nodes) {
    if (BITMAP_PARTS.has(node.nodeType)) continue;
    const base = node.relation !== undefined
      ? `scan:${node.schema ?? ''}.${node.relation}:${node.alias ?? ''}`
      : `node:${node.label}`;
    const k = seen.get(base) ?? 0;
    seen.set(base, k + 1);
    keys.set(`${base}#${k}`, node);
  }
  return keys;
}

function sideOf(plan: ParsedPlan, node: PlanNode): DiffNodeSide {
  return {
    id: node.id,
    description: describeScan(plan, node),
    inclusiveTimeMs: node.inclusiveTimeMs,
    sharedBlocks: sharedBlocks(node.buffers),
    rowsRemovedByFilter: node.rowsRemovedByFilter,
  };
}

function asRuns(side: ParsedPlan | ParsedPlan[], name: string): ParsedPlan[] {
  const runs = Array.isArray(side) ? side : [side];
  if (runs.length === 0) throw usageError(`no "${name}" plan to compare`, 'give at least one run per side');
  return runs;
}

function totalRemoved(plan: ParsedPlan): number {
  return plan.nodes.reduce((sum, node) => sum + node.rowsRemovedByFilter, 0);
}

/** Compares one or several runs of a query before and after a change. */
export function diffPlans(before: ParsedPlan | ParsedPlan[], after: ParsedPlan | ParsedPlan[]): PlanDiff {
  const beforeRuns = asRuns(before, 'before');
  const afterRuns = asRuns(after, 'after');
  const a = representative(beforeRuns);
  const b = representative(afterRuns);
  const beforeTime = timingOf(beforeRuns);
  const afterTime = timingOf(afterRuns);

  const afterKeys = keyed(b);
  const nodes: NodeMatch[] = [];
  for (const [key, node] of keyed(a)) {
    const other = afterKeys.get(key);
    afterKeys.delete(key);
    const beforeSide = sideOf(a, node);
    const afterSide = other ? sideOf(b, other) : undefined;
    nodes.push({
      relation: node.relation,
      before: beforeSide,
      after: afterSide,
      changed: afterSide === undefined || afterSide.description !== beforeSide.description,
    });
  }
  for (const node of afterKeys.values()) {
    nodes.push({ relation: node.relation, after: sideOf(b, node), changed: true });
  }

  const paired = beforeRuns.length === afterRuns.length && afterRuns.every((p) => p.totalTimeMs > 0);
  return {
    runs: { before: beforeRuns.length, after: afterRuns.length },
    executionTime: { before: beforeTime, after: afterTime },
    speedup: afterTime.medianMs > 0 ? beforeTime.medianMs / afterTime.medianMs : null,
    pairedSpeedup: paired ? median(beforeRuns.map((p, i) => p.totalTimeMs / afterRuns[i]!.totalTimeMs)) : null,
    sharedBlocks: { before: sharedBlocks(a.root.buffers), after: sharedBlocks(b.root.buffers) },
    rowsRemovedByFilter: { before: totalRemoved(a), after: totalRemoved(b) },
    swaps: nodes.filter((m) => m.relation !== undefined && m.before && m.after && m.changed),
    nodes,
  };
}
