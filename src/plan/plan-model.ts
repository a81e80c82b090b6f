/**
 * Plan domain: the types of a parsed plan — one normalized node per EXPLAIN node, and the whole
 * plan with what perfbench derived from it. Kept apart from the parser so the time arithmetic
 * (plan-time.ts) and the early-stop reading (plan-early-stop.ts) can share them without a cycle;
 * plan.ts re-exports every type, so importers keep reading them from there.
 */

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
  /** Wall time spent in this node and below, all loops (see `computeInclusive` in plan-time.ts). */
  inclusiveTimeMs: number;
  /**
   * Wall time spent in this node alone: inclusive minus the children's inclusive, with CTE and
   * InitPlan time taken off where it ran (`ParsedPlan.attributions`), at least 0. Over all nodes
   * they add up to the root's inclusive time plus `ParsedPlan.afterRootMs`.
   */
  exclusiveTimeMs: number;
  /**
   * Null when the node never ran. Compares rows per loop; read it together with `stoppedEarly`:
   * fewer rows than estimated is no misestimate when a node above stopped reading this one.
   */
  misestimate: Misestimate | null;
  /** Set when a node above stopped reading this one before it ran out of rows (see plan-early-stop.ts). */
  stoppedEarly: EarlyStop | null;
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
  /** `Presorted Key` of an Incremental Sort: the leading keys the input already had. */
  presortedKey?: string[];
  /** `Group Key` of an Aggregate or Group node. */
  groupKey?: string[];
  /** Hash node (the build side of a Hash Join): batches > 1 means the hash table spilled to temp files. */
  hashBatches?: number;
  originalHashBatches?: number;
  hashBuckets?: number;
  originalHashBuckets?: number;
  /**
   * `Peak Memory Usage` in kB: of the hash table on a Hash node; of the hash table of a HashAggregate
   * (PG 13+) on an Aggregate node (the leader's, see `workers` for the others).
   */
  peakMemoryKb?: number;
  /** HashAggregate (PG 13+): `HashAgg Batches`, more than 1 when it spilled. The leader's; absent when the leader did not take part. */
  hashAggBatches?: number;
  /** HashAggregate (PG 13+): `Disk Usage` in kB, the leader's. */
  diskUsageKb?: number;
  /** HashAggregate (PG 13+): `Planned Partitions`, what the planner expected to spill into. */
  plannedPartitions?: number;
  /**
   * `Workers[]`: each parallel worker's own sort and hash-aggregate figures (and, with VERBOSE, its
   * times and rows). The node's own sort/hash keys are the leader's only; the workers' spills are here.
   */
  workers: PlanWorker[];
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

/** One parallel worker's figures for a node, from its `Workers[]` entry. */
export interface PlanWorker {
  workerNumber: number;
  sortMethod?: string;
  sortSpaceUsedKb?: number;
  /** `Memory` or `Disk`. */
  sortSpaceType?: string;
  hashAggBatches?: number;
  peakMemoryKb?: number;
  diskUsageKb?: number;
  /** With VERBOSE only. */
  actualTotalTimeMs?: number;
  actualRows?: number;
  loops?: number;
}

/**
 * Why a node returned fewer rows than it would have if read to the end: a node above stopped
 * reading it (a Limit that had its rows, a semi-join that found its match). Its row count then says
 * nothing about the planner's estimate of the full output.
 */
export interface EarlyStop {
  /** The node that stopped reading (the Limit, the join, the SubPlan's root). */
  byNodeId: number;
  /** One phrase, e.g. `the Limit (#0) returned its 20 rows and stopped reading`. */
  reason: string;
}

/**
 * Where the time of a CTE or an InitPlan was taken off. EXPLAIN hangs both under the node that owns
 * them, but neither need run there: a CTE runs inside the CTE Scans that read it, an InitPlan inside
 * the node that first uses its value. Exclusive times subtract it where it ran, so every
 * millisecond is counted once; this record says where that was.
 */
export interface SubplanAttribution {
  /** The CTE's or InitPlan's top node. */
  nodeId: number;
  /** `Subplan Name`: `CTE wet`, `InitPlan 3 (returns $2)`. */
  name: string;
  /** The node it hangs under in the plan. */
  ownerId: number;
  kind: 'cte' | 'initplan';
  inclusiveTimeMs: number;
  /** The nodes whose own time it was taken off, and how much each. */
  takenFrom: { nodeId: number; timeMs: number }[];
  /**
   * Time of a data-modifying CTE that no node above it accounts for: PostgreSQL runs such a CTE to
   * completion after the main query has finished, so it lies outside the root's total (but inside
   * the execution time).
   */
  afterRootMs: number;
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
  /** Every CTE, and every InitPlan that ran below its owner: where their time was counted. */
  attributions: SubplanAttribution[];
  /**
   * Time spent in plan nodes after the root had finished (data-modifying CTEs). The exclusive times
   * add up to the root's inclusive time plus this.
   */
  afterRootMs: number;
  /** The top-level object of the `QUERY PLAN` array, untouched. */
  raw: Record<string, unknown>;
}
