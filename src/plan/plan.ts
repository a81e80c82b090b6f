/**
 * Plan domain: reads the output of `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` from PostgreSQL 13 to
 * 17 into a typed tree with the figures a DBA reasons with: inclusive and exclusive time, estimate
 * factors, buffers. Pure: data in, data out. The arithmetic follows pev2 and explain.depesz.com;
 * where they approximate (parallel workers, CTEs) the approximation is stated at the code that
 * makes it.
 */
import { usageError } from '../errors.js';

/** Buffer counts in 8 kB blocks, as EXPLAIN (BUFFERS) reports them. */
export interface PlanBuffers {
  sharedHit: number;
  sharedRead: number;
  sharedDirtied: number;
  sharedWritten: number;
  localHit: number;
  localRead: number;
  localDirtied: number;
  localWritten: number;
  tempRead: number;
  tempWritten: number;
}

/**
 * I/O timing in ms (needs `track_io_timing`). `readMs`/`writeMs` are shared + local data-file I/O:
 * PG ≤ 16 reports them as `I/O Read Time`, PG 17 splits them into `Shared I/O …` and `Local I/O …`,
 * which we add up so plans from both read alike. Temp I/O is separate from PG 15 on.
 */
export interface PlanIoTiming {
  readMs: number;
  writeMs: number;
  tempReadMs: number;
  tempWriteMs: number;
}

/** How far the planner's row estimate was from reality, per loop. */
export interface Misestimate {
  /** max(actual/estimated, estimated/actual), rows below 1 counted as 1; 1 = spot on. */
  factor: number;
  /** `under`: more rows than estimated; `over`: fewer; `exact`: the same. */
  direction: 'under' | 'over' | 'exact';
}

/** One plan node, normalized. Times in ms; "per loop" means as EXPLAIN prints it. */
export interface PlanNode {
  /** Depth-first (pre-order) position, 0 = the root: a stable reference for warnings and diffs. */
  id: number;
  parentId: number | null;
  depth: number;
  /** The raw `Node Type`, e.g. `Aggregate`, `Hash Join`, `Seq Scan`. */
  nodeType: string;
  /** The operation as EXPLAIN's text format names it: `Parallel Seq Scan`, `HashAggregate`, `Hash Left Join`. */
  operation: string;
  /** `operation` plus index and relation: `Index Scan using products_pkey on products p`. */
  label: string;
  relation?: string;
  schema?: string;
  alias?: string;
  indexName?: string;
  cteName?: string;
  functionName?: string;
  parentRelationship?: string;
  subplanName?: string;
  joinType?: string;
  parallelAware: boolean;
  startupCost: number;
  totalCost: number;
  /** The planner's estimate of rows per loop (`Plan Rows`). */
  estimatedRows: number;
  /** Rows per loop (`Actual Rows`; fractional from PG 18). */
  actualRows: number;
  loops: number;
  /** `Actual Loops` is 0: EXPLAIN prints "never executed". */
  neverExecuted: boolean;
  actualStartupTimeMs: number;
  /** `Actual Total Time`, a per-loop average. */
  actualTotalTimeMs: number;
  /** Wall time spent in this node and below, all loops (see `computeInclusive`). */
  inclusiveTimeMs: number;
  /** Wall time spent in this node alone: inclusive minus the children's inclusive, at least 0. */
  exclusiveTimeMs: number;
  /** Null when the node never ran. */
  misestimate: Misestimate | null;
  /** Rows removed, summed over all loops (EXPLAIN prints a per-loop average). */
  rowsRemovedByFilter: number;
  rowsRemovedByIndexRecheck: number;
  rowsRemovedByJoinFilter: number;
  filter?: string;
  joinFilter?: string;
  indexCond?: string;
  recheckCond?: string;
  hashCond?: string;
  /** Heap fetches of an Index Only Scan; EXPLAIN already prints the total over loops. */
  heapFetches?: number;
  sortMethod?: string;
  sortSpaceUsedKb?: number;
  /** `Memory` or `Disk`. */
  sortSpaceType?: string;
  sortKey?: string[];
  hashBatches?: number;
  originalHashBatches?: number;
  hashBuckets?: number;
  peakMemoryKb?: number;
  workersPlanned?: number;
  workersLaunched?: number;
  /** Buffers of this node and everything below it (EXPLAIN's figures are already totals). */
  buffers: PlanBuffers;
  /** Buffers of this node alone, with the same children subtracted as for time, at least 0. */
  exclusiveBuffers: PlanBuffers;
  io: PlanIoTiming;
  exclusiveIo: PlanIoTiming;
  /** Ids of the child nodes, in plan order. */
  childIds: number[];
  /** The node as PostgreSQL printed it, without `Plans`. */
  raw: Record<string, unknown>;
}

/** One row of `Triggers`. */
export interface PlanTrigger {
  name: string;
  relation?: string;
  timeMs: number;
  calls: number;
}

/** The `JIT` section: compilation happens during execution and is part of the execution time. */
export interface PlanJit {
  functions: number;
  totalMs: number;
  generationMs?: number;
  inliningMs?: number;
  optimizationMs?: number;
  emissionMs?: number;
}

/** PG 17's `Serialization` section (EXPLAIN … SERIALIZE). */
export interface PlanSerialization {
  timeMs?: number;
  outputKb?: number;
  format?: string;
}

/** A whole parsed plan. `nodes[i].id === i`; `nodes[0]` is the root. */
export interface ParsedPlan {
  root: PlanNode;
  nodes: PlanNode[];
  planningTimeMs?: number;
  executionTimeMs?: number;
  /** The time shares are taken of: `Execution Time`, or the root's inclusive time without it. */
  totalTimeMs: number;
  planningBuffers?: PlanBuffers;
  jit?: PlanJit;
  triggers: PlanTrigger[];
  serialization?: PlanSerialization;
  /** False when the plan was captured without BUFFERS: buffer figures are then all zero. */
  hasBuffers: boolean;
  /** The top-level object of the `QUERY PLAN` array, untouched. */
  raw: Record<string, unknown>;
}

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
    sortKey: Array.isArray(raw['Sort Key']) ? raw['Sort Key'].filter((k) => typeof k === 'string') : undefined,
    hashBatches: num(raw, 'Hash Batches'),
    originalHashBatches: num(raw, 'Original Hash Batches'),
    hashBuckets: num(raw, 'Hash Buckets'),
    peakMemoryKb: num(raw, 'Peak Memory Usage'),
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

const GATHER_TYPES = new Set(['Gather', 'Gather Merge']);

/** A CTE's plan hangs under the node that owns the WITH as an InitPlan named `CTE <name>`. */
function isCteSubplan(node: PlanNode): boolean {
  return node.parentRelationship === 'InitPlan' && (node.subplanName?.startsWith('CTE ') ?? false);
}

/**
 * Inclusive time = `Actual Total Time` x `Actual Loops` / processes.
 *
 * Under Gather / Gather Merge, every process (the leader and each worker) runs the subtree and
 * each counts as a loop, so time x loops adds up parallel time that passed once on the wall clock.
 * We divide by the number of processes per Gather execution, read from the plan itself as
 * (loops of the Gather's child) / (loops of the Gather): that is workers launched + 1 when the
 * leader participates and workers launched when it does not, which `workers + 1` alone gets wrong.
 * The result is the mean per process: an approximation that understates the wall time when
 * workers finish unevenly (pev2 and depesz make the same trade).
 */
function computeInclusive(nodes: PlanNode[]): void {
  const processes = new Map<number, number>();
  for (const node of nodes) {
    let divisor = node.parentId === null ? 1 : processes.get(node.parentId)!;
    const parent = node.parentId === null ? undefined : nodes[node.parentId]!;
    if (parent && GATHER_TYPES.has(parent.nodeType) && node.parentRelationship !== 'InitPlan' && node.parentRelationship !== 'SubPlan') {
      const perGather = parent.loops > 0 ? node.loops / parent.loops : 0;
      divisor = perGather >= 1 ? perGather : (parent.workersLaunched ?? 0) + 1;
    }
    processes.set(node.id, divisor);
    node.inclusiveTimeMs = (node.actualTotalTimeMs * node.loops) / divisor;
  }
}

/**
 * Exclusive figures = inclusive minus the sum of the children's *inclusive* figures, clamped at 0.
 * Subtracting whole totals (never a child's per-loop time from the parent's per-loop time and then
 * multiplying by the parent's loops) is what keeps Nested Loop inners right: the inner runs once
 * per outer row, so its per-loop time is a fraction of what it cost the join.
 *
 * CTEs: the CTE's own plan hangs under the query's top node as an InitPlan, but it runs when a
 * CTE Scan pulls rows from it, so its cost is inside that CTE Scan's figures. We therefore do not
 * subtract it from its parent and instead take it off the CTE Scans that read it, in plan order and
 * never more than once in total (how several scans of one CTE split the work is not in the plan).
 * Other InitPlans and SubPlans run inside their parent's expressions and are subtracted as usual.
 */
function computeExclusive(nodes: PlanNode[]): void {
  const cteLeft = new Map<string, { timeMs: number; buffers: PlanBuffers; io: PlanIoTiming }>();
  for (const node of nodes) {
    if (isCteSubplan(node)) {
      cteLeft.set(node.subplanName!.slice(4), { timeMs: node.inclusiveTimeMs, buffers: { ...node.buffers }, io: { ...node.io } });
    }
  }
  for (const node of nodes) {
    const children = node.childIds.map((id) => nodes[id]!).filter((child) => !isCteSubplan(child));
    let timeMs = node.inclusiveTimeMs - children.reduce((sum, child) => sum + child.inclusiveTimeMs, 0);
    let buffers = subtractAll(node.buffers, children.map((c) => c.buffers));
    let io = subtractAll(node.io, children.map((c) => c.io));
    const cte = node.nodeType === 'CTE Scan' && node.cteName ? cteLeft.get(node.cteName) : undefined;
    if (cte) {
      const taken = Math.min(Math.max(timeMs, 0), cte.timeMs);
      timeMs -= taken;
      cte.timeMs -= taken;
      const takenBuffers = minEach(buffers, cte.buffers);
      buffers = subtractAll(buffers, [takenBuffers]);
      cte.buffers = subtractAll(cte.buffers, [takenBuffers]);
      const takenIo = minEach(io, cte.io);
      io = subtractAll(io, [takenIo]);
      cte.io = subtractAll(cte.io, [takenIo]);
    }
    node.exclusiveTimeMs = Math.max(0, timeMs);
    node.exclusiveBuffers = buffers;
    node.exclusiveIo = io;
  }
}

function subtractAll<T extends object>(total: T, parts: T[]): T {
  const result: Record<string, number> = {};
  for (const [key, value] of Object.entries(total) as [string, number][]) {
    const rest = parts.reduce((sum, part) => sum + (part as Record<string, number>)[key]!, 0);
    result[key] = Math.max(0, value - rest);
  }
  return result as T;
}

function minEach<T extends object>(a: T, b: T): T {
  const result: Record<string, number> = {};
  for (const [key, value] of Object.entries(a) as [string, number][]) {
    result[key] = Math.min(value, (b as Record<string, number>)[key]!);
  }
  return result as T;
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
  computeExclusive(nodes);
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
