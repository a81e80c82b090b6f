/**
 * Plan domain: reads the output of `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` from PostgreSQL 13 to
 * 17 into a typed tree with the figures a DBA reasons with: inclusive and exclusive time, estimate
 * factors, buffers. Pure: data in, data out. The arithmetic follows pev2 and explain.depesz.com;
 * where they approximate (parallel workers, CTEs) the approximation is stated at the code that
 * makes it.
 */
import { usageError } from '../errors.js';
import { markEarlyStops } from './plan-early-stop.js';
import type { ParsedPlan, PlanBuffers, PlanIoTiming, PlanJit, PlanNode, PlanTrigger, PlanWorker, Misestimate } from './plan-model.js';
import { computeExclusive, computeInclusive } from './plan-time.js';

export type {
  EarlyStop,
  Misestimate,
  ParsedPlan,
  PlanBuffers,
  PlanIoTiming,
  PlanJit,
  PlanNode,
  PlanSerialization,
  PlanTrigger,
  PlanWorker,
  SubplanAttribution,
} from './plan-model.js';

const HINT = 'pass the output of EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) — the JSON array in the "QUERY PLAN" cell';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(raw: Json, key: string): number | undefined {
  const value = raw[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function str(raw: Json, key: string): string | undefined {
  const value = raw[key];
  return typeof value === 'string' ? value : undefined;
}

/** Unwraps the shapes a plan arrives in: a JSON string, the array, its object, or a result row. */
function unwrap(input: unknown): Json {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      // JSON.parse quotes the start of the input, newlines included: keep the error on one line.
      const reason = (error as Error).message.replace(/\s+/g, ' ');
      throw usageError(`the plan is not valid JSON (${reason})`, HINT);
    }
  }
  if (isObject(value) && 'QUERY PLAN' in value) value = value['QUERY PLAN'];
  if (Array.isArray(value)) {
    if (value.length !== 1) throw usageError(`expected one plan in the array, found ${value.length}`, HINT);
    value = value[0];
  }
  if (!isObject(value) || !isObject(value['Plan'])) {
    throw usageError('not an EXPLAIN plan: no "Plan" object found', HINT);
  }
  return value;
}

/** A list of strings (`Sort Key`, `Group Key`); undefined when absent. */
function strings(raw: Json, key: string): string[] | undefined {
  const value = raw[key];
  return Array.isArray(value) ? value.filter((k): k is string => typeof k === 'string') : undefined;
}

/**
 * `Workers[]`: one entry per parallel worker, with that worker's sort (or Incremental Sort group)
 * and hash-aggregate figures, and its times and rows under VERBOSE. PostgreSQL prints the node's
 * own keys for the leader only, so a worker's spill is visible nowhere else.
 */
function workersOf(value: unknown): PlanWorker[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((w, i) => ({
    workerNumber: num(w, 'Worker Number') ?? i,
    ...sortSpaceOf(w),
    hashAggBatches: num(w, 'HashAgg Batches'),
    peakMemoryKb: num(w, 'Peak Memory Usage'),
    diskUsageKb: num(w, 'Disk Usage'),
    actualTotalTimeMs: num(w, 'Actual Total Time'),
    actualRows: num(w, 'Actual Rows'),
    loops: num(w, 'Actual Loops'),
  }));
}

function buffersOf(raw: Json): PlanBuffers {
  const n = (key: string) => num(raw, key) ?? 0;
  return {
    sharedHit: n('Shared Hit Blocks'),
    sharedRead: n('Shared Read Blocks'),
    sharedDirtied: n('Shared Dirtied Blocks'),
    sharedWritten: n('Shared Written Blocks'),
    localHit: n('Local Hit Blocks'),
    localRead: n('Local Read Blocks'),
    localDirtied: n('Local Dirtied Blocks'),
    localWritten: n('Local Written Blocks'),
    tempRead: n('Temp Read Blocks'),
    tempWritten: n('Temp Written Blocks'),
  };
}

function ioOf(raw: Json): PlanIoTiming {
  const n = (key: string) => num(raw, key) ?? 0;
  // PG ≤ 16 has one combined key; PG 17 only the split ones. Never add both, in case a future
  // version prints the combined key next to the split ones.
  const combined = (kind: 'Read' | 'Write') =>
    num(raw, `I/O ${kind} Time`) ?? n(`Shared I/O ${kind} Time`) + n(`Local I/O ${kind} Time`);
  return {
    readMs: combined('Read'),
    writeMs: combined('Write'),
    tempReadMs: n('Temp I/O Read Time'),
    tempWriteMs: n('Temp I/O Write Time'),
  };
}

/** max(actual/est, est/actual) with rows below 1 counted as 1, so "1 estimated, 0 found" is exact. */
export function misestimateOf(estimatedRows: number, actualRows: number): Misestimate {
  const high = Math.max(estimatedRows, actualRows);
  const low = Math.max(Math.min(estimatedRows, actualRows), 1);
  const factor = Math.max(high, 1) / low;
  if (factor === 1) return { factor, direction: 'exact' };
  return { factor, direction: actualRows > estimatedRows ? 'under' : 'over' };
}

/** The operation name EXPLAIN's text format prints, rebuilt from the JSON keys. */
function operationOf(raw: Json, nodeType: string): string {
  let op = nodeType;
  const strategy = str(raw, 'Strategy');
  if (nodeType === 'Aggregate') {
    op = { Sorted: 'GroupAggregate', Hashed: 'HashAggregate', Mixed: 'MixedAggregate' }[strategy ?? ''] ?? op;
    const partial = str(raw, 'Partial Mode');
    if (partial === 'Partial' || partial === 'Finalize') op = `${partial} ${op}`;
  }
  const joinType = str(raw, 'Join Type');
  if (joinType && joinType !== 'Inner') {
    op = nodeType === 'Nested Loop' ? `${op} ${joinType} Join` : op.replace(/ Join$/, ` ${joinType} Join`);
  }
  if (raw['Parallel Aware'] === true) op = `Parallel ${op}`;
  return op;
}

function labelOf(node: Omit<PlanNode, 'label'>): string {
  let label = node.operation;
  if (node.indexName) label += ` using ${node.indexName}`;
  const target = node.relation ?? node.cteName ?? node.functionName;
  if (target) {
    label += ` on ${node.schema && node.schema !== 'public' ? `${node.schema}.` : ''}${target}`;
    if (node.alias && node.alias !== target) label += ` ${node.alias}`;
  }
  return label;
}

/** Reads one node (not its children); times are filled in by `computeTimes`. */
function readNode(raw: Json, id: number, parentId: number | null, depth: number): PlanNode {
  const nodeType = str(raw, 'Node Type');
  if (!nodeType) throw usageError(`plan node #${id} has no "Node Type"`, HINT);
  const loops = num(raw, 'Actual Loops');
  if (loops === undefined) {
    throw usageError('the plan has no actual timings (EXPLAIN was run without ANALYZE)', HINT);
  }
  const { Plans: _children, ...own } = raw;
  const perLoopTotal = (key: string) => (num(raw, key) ?? 0) * loops;
  const estimatedRows = num(raw, 'Plan Rows') ?? 0;
  const actualRows = num(raw, 'Actual Rows') ?? 0;
  const sortSpace = sortSpaceOf(raw);
  const node: Omit<PlanNode, 'label'> = {
    id,
    parentId,
    depth,
    nodeType,
    operation: operationOf(raw, nodeType),
    relation: str(raw, 'Relation Name'),
    schema: str(raw, 'Schema'),
    alias: str(raw, 'Alias'),
    indexName: str(raw, 'Index Name'),
    cteName: str(raw, 'CTE Name'),
    functionName: str(raw, 'Function Name'),
    parentRelationship: str(raw, 'Parent Relationship'),
    subplanName: str(raw, 'Subplan Name'),
    joinType: str(raw, 'Join Type'),
    parallelAware: raw['Parallel Aware'] === true,
    startupCost: num(raw, 'Startup Cost') ?? 0,
    totalCost: num(raw, 'Total Cost') ?? 0,
    estimatedRows,
    actualRows,
    loops,
    neverExecuted: loops === 0,
    actualStartupTimeMs: num(raw, 'Actual Startup Time') ?? 0,
    actualTotalTimeMs: num(raw, 'Actual Total Time') ?? 0,
    inclusiveTimeMs: 0,
    exclusiveTimeMs: 0,
    misestimate: loops === 0 ? null : misestimateOf(estimatedRows, actualRows),
    stoppedEarly: null,
    // PostgreSQL divides these by the loop count before printing; multiply back for totals.
    rowsRemovedByFilter: perLoopTotal('Rows Removed by Filter'),
    rowsRemovedByIndexRecheck: perLoopTotal('Rows Removed by Index Recheck'),
    rowsRemovedByJoinFilter: perLoopTotal('Rows Removed by Join Filter'),
    filter: str(raw, 'Filter'),
    joinFilter: str(raw, 'Join Filter'),
    indexCond: str(raw, 'Index Cond'),
    recheckCond: str(raw, 'Recheck Cond'),
    hashCond: str(raw, 'Hash Cond'),
    heapFetches: num(raw, 'Heap Fetches'),
    ...sortSpace,
    sortKey: strings(raw, 'Sort Key'),
    presortedKey: strings(raw, 'Presorted Key'),
    groupKey: strings(raw, 'Group Key'),
    hashBatches: num(raw, 'Hash Batches'),
    originalHashBatches: num(raw, 'Original Hash Batches'),
    hashBuckets: num(raw, 'Hash Buckets'),
    originalHashBuckets: num(raw, 'Original Hash Buckets'),
    peakMemoryKb: num(raw, 'Peak Memory Usage'),
    hashAggBatches: num(raw, 'HashAgg Batches'),
    diskUsageKb: num(raw, 'Disk Usage'),
    plannedPartitions: num(raw, 'Planned Partitions'),
    workers: workersOf(raw['Workers']),
    workersPlanned: num(raw, 'Workers Planned'),
    workersLaunched: num(raw, 'Workers Launched'),
    buffers: buffersOf(raw),
    exclusiveBuffers: buffersOf({}),
    io: ioOf(raw),
    exclusiveIo: ioOf({}),
    childIds: [],
    raw: own,
  };
  return { ...node, label: labelOf(node) };
}

/**
 * Sort details. A plain Sort prints `Sort Method`/`Sort Space Used`/`Sort Space Type`; an
 * Incremental Sort (PG 13+) prints per-group summaries instead, which we fold into the same fields:
 * the methods joined, the peak space, and `Disk` if any group spilled.
 */
function sortSpaceOf(raw: Json): Pick<PlanNode, 'sortMethod' | 'sortSpaceUsedKb' | 'sortSpaceType'> {
  const method = str(raw, 'Sort Method');
  if (method !== undefined) {
    return { sortMethod: method, sortSpaceUsedKb: num(raw, 'Sort Space Used'), sortSpaceType: str(raw, 'Sort Space Type') };
  }
  const groups = [raw['Full-sort Groups'], raw['Pre-sorted Groups']].filter(isObject);
  if (groups.length === 0) return {};
  const methods = new Set<string>();
  let peak: number | undefined;
  let type: string | undefined;
  for (const group of groups) {
    const used = group['Sort Methods Used'];
    if (Array.isArray(used)) for (const m of used) if (typeof m === 'string') methods.add(m);
    for (const space of ['Memory', 'Disk'] as const) {
      const figures = group[`Sort Space ${space}`];
      if (!isObject(figures)) continue;
      const kb = num(figures, 'Peak Sort Space Used');
      if (kb !== undefined) peak = Math.max(peak ?? 0, kb);
      if (space === 'Disk' || type === undefined) type = space;
    }
  }
  return { sortMethod: [...methods].join(', ') || undefined, sortSpaceUsedKb: peak, sortSpaceType: type };
}

function walk(raw: Json, nodes: PlanNode[], parentId: number | null, depth: number): PlanNode {
  const node = readNode(raw, nodes.length, parentId, depth);
  nodes.push(node);
  const children = raw['Plans'];
  if (children !== undefined && !Array.isArray(children)) {
    throw usageError(`plan node #${node.id} (${node.nodeType}) has a "Plans" that is not an array`, HINT);
  }
  for (const child of children ?? []) {
    if (!isObject(child)) throw usageError(`plan node #${node.id} (${node.nodeType}) has a child that is not an object`, HINT);
    node.childIds.push(walk(child, nodes, node.id, depth + 1).id);
  }
  return node;
}

function jitOf(raw: unknown): PlanJit | undefined {
  if (!isObject(raw)) return undefined;
  const timing = isObject(raw['Timing']) ? raw['Timing'] : {};
  // PG 17 turned `Generation` into an object { Deform, Total }.
  const phase = (key: string) => {
    const value = timing[key];
    return isObject(value) ? num(value, 'Total') : num(timing, key);
  };
  return {
    functions: num(raw, 'Functions') ?? 0,
    totalMs: num(timing, 'Total') ?? 0,
    generationMs: phase('Generation'),
    inliningMs: phase('Inlining'),
    optimizationMs: phase('Optimization'),
    emissionMs: phase('Emission'),
  };
}

function triggersOf(raw: unknown): PlanTrigger[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isObject).map((t) => ({
    name: str(t, 'Trigger Name') ?? str(t, 'Constraint Name') ?? '?',
    relation: str(t, 'Relation'),
    timeMs: num(t, 'Time') ?? 0,
    calls: num(t, 'Calls') ?? 0,
  }));
}

/**
 * Parses EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output: the `QUERY PLAN` array, its single object,
 * a string of either, or a result row `{ "QUERY PLAN": … }`.
 * @throws UserError (exit 2) when the input is not an analyzed plan.
 */
export function parsePlan(input: unknown): ParsedPlan {
  const top = unwrap(input);
  const nodes: PlanNode[] = [];
  const root = walk(top['Plan'] as Json, nodes, null, 0);
  computeInclusive(nodes);
  const { attributions, afterRootMs } = computeExclusive(nodes);
  markEarlyStops(nodes);
  const executionTimeMs = num(top, 'Execution Time');
  const planning = top['Planning'];
  const serialization = top['Serialization'];
  const hasBuffers = nodes.some((n) => 'Shared Hit Blocks' in n.raw);
  return {
    root,
    nodes,
    planningTimeMs: num(top, 'Planning Time'),
    executionTimeMs,
    totalTimeMs: executionTimeMs ?? root.inclusiveTimeMs,
    planningBuffers: isObject(planning) && 'Shared Hit Blocks' in planning ? buffersOf(planning) : undefined,
    jit: jitOf(top['JIT']),
    triggers: triggersOf(top['Triggers']),
    serialization: isObject(serialization)
      ? { timeMs: num(serialization, 'Time'), outputKb: num(serialization, 'Output Volume'), format: str(serialization, 'Format') }
      : undefined,
    hasBuffers,
    attributions,
    afterRootMs,
    raw: top,
  };
}

/** Scan node types that read a relation's rows through an index. */
const INDEX_SCANS = new Set(['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan']);

/**
 * The indexes a scan node reads: its own `Index Name`, or for a Bitmap Heap Scan the indexes of
 * the Bitmap Index Scans under it (several under a BitmapAnd/BitmapOr).
 */
export function scanIndexes(plan: ParsedPlan, node: PlanNode): string[] {
  if (node.indexName) return [node.indexName];
  if (node.nodeType !== 'Bitmap Heap Scan') return [];
  const names: string[] = [];
  const visit = (id: number): void => {
    const child = plan.nodes[id]!;
    if (child.indexName && child.nodeType === 'Bitmap Index Scan') names.push(child.indexName);
    if (child.nodeType.startsWith('Bitmap')) child.childIds.forEach(visit);
  };
  node.childIds.forEach(visit);
  return names;
}

/** How a relation was read, for "is it using the index I just made?". */
export interface RelationScan {
  node: PlanNode;
  usesIndex: boolean;
  indexes: string[];
  /** `Bitmap Heap Scan on products using products_category_idx`. */
  description: string;
}

/** The label of a scan with the indexes a Bitmap Heap Scan reads through its children. */
export function describeScan(plan: ParsedPlan, node: PlanNode): string {
  if (node.nodeType !== 'Bitmap Heap Scan') return node.label;
  const indexes = scanIndexes(plan, node);
  return indexes.length > 0 ? `${node.label} using ${indexes.join(', ')}` : node.label;
}

/**
 * The first node (depth-first) that reads `relation` (its name, or `schema.name`) and whether it
 * went through an index; undefined when the plan never reads it. `indexName` narrows `usesIndex`
 * to that index.
 */
export function findRelationScan(plan: ParsedPlan, relation: string, indexName?: string): RelationScan | undefined {
  // A ModifyTable node names the table it writes, but reads it through its child scan: skip it.
  const node = plan.nodes.find(
    (n) => n.relation !== undefined && n.nodeType !== 'ModifyTable' && (n.relation === relation || `${n.schema}.${n.relation}` === relation),
  );
  if (!node) return undefined;
  const indexes = scanIndexes(plan, node);
  const viaIndex = INDEX_SCANS.has(node.nodeType) && indexes.length > 0;
  return {
    node,
    usesIndex: viaIndex && (indexName === undefined || indexes.includes(indexName)),
    indexes,
    description: describeScan(plan, node),
  };
}

/** Shared blocks touched (hit + read): the cache-independent measure of how much a plan read. */
export function sharedBlocks(buffers: PlanBuffers): number {
  return buffers.sharedHit + buffers.sharedRead;
}

/** One process's sort: the leader's (the node's own keys; `worker` null) or a worker's. */
export interface ProcessSort {
  worker: number | null;
  method?: string;
  spaceKb?: number;
  /** `Memory` or `Disk`. */
  spaceType?: string;
  /** Wrote to temp files: `Disk` space, or an external sort/merge. */
  spilled: boolean;
}

/**
 * The sort of every process that ran it: the leader first (absent when it did not take part, as
 * with parallel_leader_participation = off), then each worker. A parallel sort's own `Sort Space
 * Used` is the leader's alone; each worker sorts with its own work_mem and may spill on its own.
 */
export function sortsByProcess(node: PlanNode): ProcessSort[] {
  const spilled = (method?: string, type?: string) => type === 'Disk' || /external/i.test(method ?? '');
  const sorts: ProcessSort[] = [];
  if (node.sortMethod !== undefined) {
    sorts.push({ worker: null, method: node.sortMethod, spaceKb: node.sortSpaceUsedKb, spaceType: node.sortSpaceType, spilled: spilled(node.sortMethod, node.sortSpaceType) });
  }
  for (const w of node.workers) {
    if (w.sortMethod === undefined) continue;
    sorts.push({ worker: w.workerNumber, method: w.sortMethod, spaceKb: w.sortSpaceUsedKb, spaceType: w.sortSpaceType, spilled: spilled(w.sortMethod, w.sortSpaceType) });
  }
  return sorts;
}

/** One process's hash aggregation (PG 13+): the leader's (`worker` null) or a worker's. */
export interface ProcessHashAgg {
  worker: number | null;
  batches?: number;
  peakMemoryKb?: number;
  diskKb: number;
  /** Wrote to temp files: disk used, or more than one batch. */
  spilled: boolean;
}

/**
 * The hash aggregation of every process that ran it, leader first (PostgreSQL leaves the leader's
 * figures out when it did not take part), then each worker.
 */
export function hashAggsByProcess(node: PlanNode): ProcessHashAgg[] {
  const of = (worker: number | null, batches?: number, peakMemoryKb?: number, diskKb?: number): ProcessHashAgg => ({
    worker,
    batches,
    peakMemoryKb,
    diskKb: diskKb ?? 0,
    spilled: (diskKb ?? 0) > 0 || (batches ?? 0) > 1,
  });
  const aggs: ProcessHashAgg[] = [];
  if (node.hashAggBatches !== undefined || node.diskUsageKb !== undefined) {
    aggs.push(of(null, node.hashAggBatches, node.peakMemoryKb, node.diskUsageKb));
  }
  for (const w of node.workers) {
    if (w.hashAggBatches === undefined && w.diskUsageKb === undefined) continue;
    aggs.push(of(w.workerNumber, w.hashAggBatches, w.peakMemoryKb, w.diskUsageKb));
  }
  return aggs;
}

/** `leader` or `worker 1`. */
export function processName(worker: number | null): string {
  return worker === null ? 'leader' : `worker ${worker}`;
}
