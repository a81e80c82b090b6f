/**
 * Reporter: the JSON documents CI reads: the plan as PostgreSQL printed it plus perfbench's derived
 * figures. Keys are always present (null rather than missing) so a consumer can rely on the shape;
 * bump `schemaVersion` on any change that is not a pure addition.
 */
import type { ParsedPlan, PlanBuffers, PlanIoTiming, PlanNode } from '../plan/plan.js';
import { describeScan, hashAggsByProcess, scanIndexes, sortsByProcess } from '../plan/plan.js';
import type { DiffNodeSide, NodeMatch, PlanDiff, TimingSummary } from '../plan/plan-diff.js';
import type { PlanWarning } from '../plan/plan-warnings.js';
import { nodeShare } from './plan-format.js';

/** Milliseconds to the microsecond PostgreSQL prints; shares and factors to what a reader uses. */
const round = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};
const ms = (value: number): number => round(value, 3);
const msOrNull = (value: number | undefined): number | null => (value === undefined ? null : ms(value));

/** Whole-plan figures. Times in ms (3 decimals); blocks are 8 kB pages. */
export interface ExplainSummary {
  planningTimeMs: number | null;
  executionTimeMs: number | null;
  /** JIT compilation time, part of the execution time; null without JIT. */
  jitTimeMs: number | null;
  /** Sum of the trigger times (AFTER triggers run outside the plan nodes). */
  triggerTimeMs: number;
  serializationTimeMs: number | null;
  nodeCount: number;
  /** Whole plan: shared blocks found in cache / read from the OS. */
  sharedHitBlocks: number;
  sharedReadBlocks: number;
  tempReadBlocks: number;
  tempWrittenBlocks: number;
  planningSharedHitBlocks: number | null;
  planningSharedReadBlocks: number | null;
  /** Rows removed by filters, all nodes and loops. */
  rowsRemovedByFilter: number;
  /** The node with the most exclusive time. */
  slowestNode: { id: number; label: string; exclusiveTimeMs: number; share: number };
  /**
   * Where the time of each CTE and of each InitPlan that ran below its owner was counted (see
   * `SubplanAttribution`); the nodes' exclusive times add up to the root's inclusive time plus
   * `afterRootMs`.
   */
  timeAttribution: { nodeId: number; name: string; ownerId: number; kind: 'cte' | 'initplan'; inclusiveTimeMs: number; takenFrom: { nodeId: number; timeMs: number }[]; afterRootMs: number }[];
  /** Time of data-modifying CTEs that PostgreSQL finished after the main query (outside the root's total). */
  afterRootMs: number;
}

/** One node's derived figures. Rows are per loop like EXPLAIN's; rows removed are totals. */
export interface ExplainNode {
  id: number;
  parentId: number | null;
  depth: number;
  nodeType: string;
  /** `Bitmap Heap Scan on products using products_category_idx`. */
  label: string;
  relation: string | null;
  alias: string | null;
  /** Indexes this node reads (a Bitmap Heap Scan's come from its Bitmap Index Scans). */
  indexes: string[];
  parentRelationship: string | null;
  subplanName: string | null;
  loops: number;
  neverExecuted: boolean;
  estimatedRows: number;
  actualRows: number;
  /** actualRows x loops. */
  totalRows: number;
  /** max(actual/est, est/actual), 2 decimals; null when never executed. */
  misestimateFactor: number | null;
  misestimateDirection: 'under' | 'over' | 'exact' | null;
  /** Set when a node above stopped reading this one: fewer rows than estimated is then no misestimate. */
  stoppedEarly: { byNodeId: number; reason: string } | null;
  startupCost: number;
  totalCost: number;
  inclusiveTimeMs: number;
  exclusiveTimeMs: number;
  /** Exclusive time / execution time, 0..1, 4 decimals. */
  executionShare: number;
  rowsRemovedByFilter: number;
  rowsRemovedByIndexRecheck: number;
  rowsRemovedByJoinFilter: number;
  filter: string | null;
  indexCond: string | null;
  /** The leader's sort (the node's own keys); null when it did not sort. */
  sort: { method: string; spaceKb: number | null; spaceType: string | null } | null;
  /** Each parallel worker's sort, from `Workers[]`. */
  sortWorkers: { worker: number; method: string; spaceKb: number | null; spaceType: string | null }[];
  sortKey: string[] | null;
  presortedKey: string[] | null;
  groupKey: string[] | null;
  hash: { batches: number; originalBatches: number | null; peakMemoryKb: number | null } | null;
  /** Hash node's bucket counts, final and planned. */
  hashBuckets: { buckets: number; originalBuckets: number | null } | null;
  /** HashAggregate (PG 13+): per process, the leader (`worker` null) first when it took part. */
  hashAgg: { plannedPartitions: number | null; processes: { worker: number | null; batches: number | null; peakMemoryKb: number | null; diskKb: number }[] } | null;
  workers: { planned: number; launched: number | null } | null;
  heapFetches: number | null;
  buffers: PlanBuffers;
  exclusiveBuffers: PlanBuffers;
  io: PlanIoTiming;
}

/** `perfbench explain --format json`. */
export interface ExplainDocument {
  schemaVersion: 1;
  kind: 'perfbench.explain';
  /** The `QUERY PLAN` value exactly as PostgreSQL printed it (an array with one object). */
  plan: unknown[];
  summary: ExplainSummary;
  /** Every node in depth-first order; `id` is the index. */
  nodes: ExplainNode[];
  warnings: PlanWarning[];
}

function roundIo(io: PlanIoTiming): PlanIoTiming {
  return { readMs: ms(io.readMs), writeMs: ms(io.writeMs), tempReadMs: ms(io.tempReadMs), tempWriteMs: ms(io.tempWriteMs) };
}

function hashAggOf(node: PlanNode): ExplainNode['hashAgg'] {
  const processes = hashAggsByProcess(node);
  if (processes.length === 0) return null;
  return {
    plannedPartitions: node.plannedPartitions ?? null,
    processes: processes.map((p) => ({ worker: p.worker, batches: p.batches ?? null, peakMemoryKb: p.peakMemoryKb ?? null, diskKb: p.diskKb })),
  };
}

function explainNode(plan: ParsedPlan, node: PlanNode): ExplainNode {
  return {
    id: node.id,
    parentId: node.parentId,
    depth: node.depth,
    nodeType: node.nodeType,
    label: describeScan(plan, node),
    relation: node.relation ?? null,
    alias: node.alias ?? null,
    indexes: scanIndexes(plan, node),
    parentRelationship: node.parentRelationship ?? null,
    subplanName: node.subplanName ?? null,
    loops: node.loops,
    neverExecuted: node.neverExecuted,
    estimatedRows: node.estimatedRows,
    actualRows: node.actualRows,
    totalRows: node.actualRows * node.loops,
    misestimateFactor: node.misestimate ? round(node.misestimate.factor, 2) : null,
    misestimateDirection: node.misestimate?.direction ?? null,
    stoppedEarly: node.stoppedEarly,
    startupCost: node.startupCost,
    totalCost: node.totalCost,
    inclusiveTimeMs: ms(node.inclusiveTimeMs),
    exclusiveTimeMs: ms(node.exclusiveTimeMs),
    executionShare: round(nodeShare(plan, node), 4),
    rowsRemovedByFilter: Math.round(node.rowsRemovedByFilter),
    rowsRemovedByIndexRecheck: Math.round(node.rowsRemovedByIndexRecheck),
    rowsRemovedByJoinFilter: Math.round(node.rowsRemovedByJoinFilter),
    filter: node.filter ?? null,
    indexCond: node.indexCond ?? null,
    sort: node.sortMethod === undefined
      ? null
      : { method: node.sortMethod, spaceKb: node.sortSpaceUsedKb ?? null, spaceType: node.sortSpaceType ?? null },
    sortWorkers: sortsByProcess(node)
      .filter((s) => s.worker !== null)
      .map((s) => ({ worker: s.worker!, method: s.method!, spaceKb: s.spaceKb ?? null, spaceType: s.spaceType ?? null })),
    sortKey: node.sortKey ?? null,
    presortedKey: node.presortedKey ?? null,
    groupKey: node.groupKey ?? null,
    hash: node.hashBatches === undefined
      ? null
      : { batches: node.hashBatches, originalBatches: node.originalHashBatches ?? null, peakMemoryKb: node.peakMemoryKb ?? null },
    hashBuckets: node.hashBuckets === undefined ? null : { buckets: node.hashBuckets, originalBuckets: node.originalHashBuckets ?? null },
    hashAgg: hashAggOf(node),
    workers: node.workersPlanned === undefined ? null : { planned: node.workersPlanned, launched: node.workersLaunched ?? null },
    heapFetches: node.heapFetches ?? null,
    buffers: node.buffers,
    exclusiveBuffers: node.exclusiveBuffers,
    io: roundIo(node.io),
  };
}

/** Builds the document for a plan (warnings as `planWarnings` returned them). */
export function explainDocument(plan: ParsedPlan, warnings: PlanWarning[] = []): ExplainDocument {
  const slowest = plan.nodes.reduce((a, b) => (b.exclusiveTimeMs > a.exclusiveTimeMs ? b : a));
  return {
    schemaVersion: 1,
    kind: 'perfbench.explain',
    plan: [plan.raw],
    summary: {
      planningTimeMs: msOrNull(plan.planningTimeMs),
      executionTimeMs: msOrNull(plan.executionTimeMs),
      jitTimeMs: msOrNull(plan.jit?.totalMs),
      triggerTimeMs: ms(plan.triggers.reduce((sum, t) => sum + t.timeMs, 0)),
      serializationTimeMs: msOrNull(plan.serialization?.timeMs),
      nodeCount: plan.nodes.length,
      sharedHitBlocks: plan.root.buffers.sharedHit,
      sharedReadBlocks: plan.root.buffers.sharedRead,
      tempReadBlocks: plan.root.buffers.tempRead,
      tempWrittenBlocks: plan.root.buffers.tempWritten,
      planningSharedHitBlocks: plan.planningBuffers?.sharedHit ?? null,
      planningSharedReadBlocks: plan.planningBuffers?.sharedRead ?? null,
      rowsRemovedByFilter: Math.round(plan.nodes.reduce((sum, n) => sum + n.rowsRemovedByFilter, 0)),
      slowestNode: {
        id: slowest.id,
        label: describeScan(plan, slowest),
        exclusiveTimeMs: ms(slowest.exclusiveTimeMs),
        share: round(nodeShare(plan, slowest), 4),
      },
      timeAttribution: plan.attributions.map((a) => ({
        ...a,
        inclusiveTimeMs: ms(a.inclusiveTimeMs),
        takenFrom: a.takenFrom.map((t) => ({ nodeId: t.nodeId, timeMs: ms(t.timeMs) })),
        afterRootMs: ms(a.afterRootMs),
      })),
      afterRootMs: ms(plan.afterRootMs),
    },
    nodes: plan.nodes.map((node) => explainNode(plan, node)),
    warnings,
  };
}

/** `explainDocument` as pretty-printed JSON with a trailing newline. */
export function renderPlanJson(plan: ParsedPlan, warnings: PlanWarning[] = []): string {
  return JSON.stringify(explainDocument(plan, warnings), null, 2) + '\n';
}

/** `perfbench explain --compare --format json`: the comparison, rounded; no raw plans. */
export interface ExplainCompareDocument {
  schemaVersion: 1;
  kind: 'perfbench.explain-compare';
  runs: { before: number; after: number };
  executionTimeMs: { before: TimingSummary; after: TimingSummary };
  /** median(before) / median(after), 2 decimals; above 1 = faster after. */
  speedup: number | null;
  /** Median of run-by-run ratios when the sides have equal run counts. */
  pairedSpeedup: number | null;
  sharedBlocks: { before: number; after: number };
  rowsRemovedByFilter: { before: number; after: number };
  swaps: { relation: string | null; before: string; after: string }[];
  /** Matched pairs in "before" plan order, then nodes found only after; a missing side is null. */
  nodes: { relation: string | null; before: DiffNodeSide | null; after: DiffNodeSide | null; changed: boolean }[];
}

function roundTiming(t: TimingSummary): TimingSummary {
  return { runsMs: t.runsMs.map(ms), medianMs: ms(t.medianMs), minMs: ms(t.minMs), maxMs: ms(t.maxMs) };
}

function roundMatch(m: NodeMatch): ExplainCompareDocument['nodes'][number] {
  const side = (s: DiffNodeSide | undefined): DiffNodeSide | null =>
    s ? { ...s, inclusiveTimeMs: ms(s.inclusiveTimeMs), rowsRemovedByFilter: Math.round(s.rowsRemovedByFilter) } : null;
  return { relation: m.relation ?? null, before: side(m.before), after: side(m.after), changed: m.changed };
}

/** Builds the comparison document. */
export function explainCompareDocument(diff: PlanDiff): ExplainCompareDocument {
  return {
    schemaVersion: 1,
    kind: 'perfbench.explain-compare',
    runs: diff.runs,
    executionTimeMs: { before: roundTiming(diff.executionTime.before), after: roundTiming(diff.executionTime.after) },
    speedup: diff.speedup === null ? null : round(diff.speedup, 2),
    pairedSpeedup: diff.pairedSpeedup === null ? null : round(diff.pairedSpeedup, 2),
    sharedBlocks: diff.sharedBlocks,
    rowsRemovedByFilter: { before: Math.round(diff.rowsRemovedByFilter.before), after: Math.round(diff.rowsRemovedByFilter.after) },
    swaps: diff.swaps.map((s) => ({ relation: s.relation ?? null, before: s.before!.description, after: s.after!.description })),
    nodes: diff.nodes.map(roundMatch),
  };
}

/** `explainCompareDocument` as pretty-printed JSON with a trailing newline. */
export function renderPlanDiffJson(diff: PlanDiff): string {
  return JSON.stringify(explainCompareDocument(diff), null, 2) + '\n';
}
