/**
 * Plan domain: warnings on a parsed plan, each with the threshold it crossed stated in the message,
 * so a DBA can disagree with the rule rather than guess it. Thresholds follow the tools DBAs
 * compare us with; each constant cites its source.
 */
import { displayName, shellWord } from '../workload/identifiers.js';
import { sharedBlocks, type ParsedPlan, type PlanNode } from './plan.js';

/**
 * A Seq Scan is worth an index when it read at least this many pages (depesz, explain.depesz.com:
 * below 3 pages a sequential read is as cheap as any index).
 */
export const SEQ_SCAN_MIN_PAGES = 3;
/** …and its filter removed more than this share of the rows it read (depesz). */
export const SEQ_SCAN_REMOVED_SHARE = 2 / 3;
/** Above this share of rows removed the seq-scan warning becomes critical (pev2's upper threshold). */
export const SEQ_SCAN_REMOVED_CRITICAL_SHARE = 0.9;
/** A row estimate off by this factor or more is flagged (pgMustard, pev2). */
export const MISESTIMATE_FACTOR = 10;
/** …and critical from this factor (pgcli's threshold). */
export const MISESTIMATE_CRITICAL_FACTOR = 100;
/** A hash with more batches than this spilled to temp files (PostgreSQL docs, "Hash Batches"). */
export const HASH_BATCHES_MAX = 1;
/** Exclusive time shares of the execution time that mark a node as slow (pev2): info, warning, critical. */
export const SLOW_NODE_SHARES = { info: 0.1, warning: 0.4, critical: 0.9 } as const;

/** How much a warning matters. Sorted critical first. */
export type WarningSeverity = 'critical' | 'warning' | 'info';

export type WarningKind =
  | 'seq-scan-filter'
  | 'misestimate'
  | 'sort-spill'
  | 'hash-batches'
  | 'workers-not-launched'
  | 'slow-node';

/** One finding on one node. */
export interface PlanWarning {
  kind: WarningKind;
  severity: WarningSeverity;
  /** `PlanNode.id` of the node concerned. */
  nodeId: number;
  /** Its label, e.g. `Seq Scan on products`. */
  node: string;
  /** What was seen, with the threshold crossed. One line. */
  message: string;
  /** What to do about it. One line. */
  suggestion: string;
  /** For `seq-scan-filter` with a simple filter: the index to try, and the exact command. */
  index?: { table: string; column: string; command: string };
}

const SEVERITY_ORDER: Record<WarningSeverity, number> = { critical: 0, warning: 1, info: 2 };

function formatInt(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function factorText(factor: number): string {
  return factor >= 100 ? `${Math.round(factor)}x` : `${factor.toFixed(1)}x`;
}

const IDENT = String.raw`(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")`;
const CAST = String.raw`(?:::[A-Za-z_][\w ."]*(?:\(\d+(?:,\d+)?\))?(?:\[\])?)`;
/** A cast on the column that keeps a plain index usable (a relabel between text types, as EXPLAIN prints varchar). */
const TEXT_CAST = String.raw`(?:::(?:text|character varying|bpchar|name)(?:\(\d+\))?)`;
const LITERAL = String.raw`(?:'(?:[^']|'')*'${CAST}?|-?\d+(?:\.\d+)?${CAST}?|\$\d+${CAST}?)`;
/** `col op constant`, where the column may be qualified, parenthesized and cast: `((category)::text = 'cat-1'::text)`. */
const SIMPLE_FILTER = new RegExp(
  String.raw`^\(?(?:${IDENT}\.)?(${IDENT})\)?${TEXT_CAST}?\s*` +
    String.raw`(?:(?:=|<|>|<=|>=)\s*(?:${LITERAL}|ANY\s*\(${LITERAL}\))|IS NULL)$`,
);

/**
 * The column of a simple filter (one column compared with a constant by an operator a B-tree can
 * serve: = < > <= >= = ANY, IS NULL), unquoted; null for anything else (AND/OR, functions, casts
 * other than between text types, LIKE, <>, column-to-column), where a single-column index is not
 * an obvious answer.
 */
export function filterColumn(filter: string): string | null {
  let text = filter.trim();
  // EXPLAIN wraps the whole condition in one pair of parentheses.
  if (text.startsWith('(') && text.endsWith(')')) text = text.slice(1, -1).trim();
  const match = SIMPLE_FILTER.exec(text);
  if (!match) return null;
  const column = match[1]!;
  return column.startsWith('"') ? column.slice(1, -1).replace(/""/g, '"') : column;
}

/** The `perfbench index add` command for a table and column. */
export function indexAddCommand(table: string, column: string): string {
  return `perfbench index add --table ${shellWord(table)} --column ${shellWord(column)}`;
}

function seqScanWarning(plan: ParsedPlan, node: PlanNode): PlanWarning | undefined {
  if (node.nodeType !== 'Seq Scan' || !node.relation || !node.filter || !plan.hasBuffers) return undefined;
  const pages = sharedBlocks(node.buffers) + node.buffers.localHit + node.buffers.localRead;
  const kept = node.actualRows * node.loops;
  const removed = node.rowsRemovedByFilter;
  const share = removed / (removed + kept || 1);
  if (pages < SEQ_SCAN_MIN_PAGES || share <= SEQ_SCAN_REMOVED_SHARE) return undefined;
  const column = filterColumn(node.filter);
  const message =
    `${node.label} read ${formatInt(removed + kept)} rows from ${formatInt(pages)} pages and its filter ` +
    `${node.filter} removed ${formatInt(removed)} (${percent(share)}; thresholds: > 2/3 of rows, ≥ ${SEQ_SCAN_MIN_PAGES} pages)`;
  const severity: WarningSeverity = share > SEQ_SCAN_REMOVED_CRITICAL_SHARE ? 'critical' : 'warning';
  const base = { kind: 'seq-scan-filter' as const, severity, nodeId: node.id, node: node.label, message };
  if (column === null) {
    return {
      ...base,
      suggestion: 'the filter is not a simple column comparison: consider an index (multi-column or on an expression) that matches it',
    };
  }
  // Written as in SQL (quoted where needed) and schema-qualified when the plan knows the schema,
  // so the printed command builds the index on this very table, whatever search_path says.
  const table = node.schema === undefined ? displayName(node.relation) : `${displayName(node.schema)}.${displayName(node.relation)}`;
  const command = indexAddCommand(table, displayName(column));
  return {
    ...base,
    suggestion: `an index on ${table}(${displayName(column)}) lets PostgreSQL read only the matching rows: ${command}`,
    index: { table, column, command },
  };
}

function misestimateWarning(node: PlanNode): PlanWarning | undefined {
  const m = node.misestimate;
  if (!m || m.factor < MISESTIMATE_FACTOR) return undefined;
  return {
    kind: 'misestimate',
    severity: m.factor >= MISESTIMATE_CRITICAL_FACTOR ? 'critical' : 'warning',
    nodeId: node.id,
    node: node.label,
    message:
      `${node.label}: estimated ${formatInt(node.estimatedRows)} rows per loop, got ${formatInt(node.actualRows)} ` +
      `(${factorText(m.factor)} ${m.direction}-estimate; threshold ${MISESTIMATE_FACTOR}x)`,
    suggestion:
      'run ANALYZE on the tables involved; if the estimate stays off, raise the column statistics target or add CREATE STATISTICS for correlated columns',
  };
}

function sortSpillWarning(node: PlanNode): PlanWarning | undefined {
  const spilled = node.sortSpaceType === 'Disk' || /external/i.test(node.sortMethod ?? '');
  if (!spilled) return undefined;
  const space = node.sortSpaceUsedKb === undefined ? '' : ` using ${formatInt(node.sortSpaceUsedKb)} kB`;
  return {
    kind: 'sort-spill',
    severity: 'warning',
    nodeId: node.id,
    node: node.label,
    message: `${node.label} spilled to disk (${node.sortMethod ?? 'sort'}${space}; threshold: any disk use)`,
    suggestion: 'raise work_mem for this query (SET LOCAL work_mem) above the space used, or let an index return the rows in order',
  };
}

function hashBatchesWarning(node: PlanNode): PlanWarning | undefined {
  if (node.hashBatches === undefined || node.hashBatches <= HASH_BATCHES_MAX) return undefined;
  const original = node.originalHashBatches;
  const grew = original !== undefined && original < node.hashBatches ? `, planned ${original}: the input was larger than estimated` : '';
  const memory = node.peakMemoryKb === undefined ? '' : `, peak ${formatInt(node.peakMemoryKb)} kB per batch`;
  return {
    kind: 'hash-batches',
    severity: 'warning',
    nodeId: node.id,
    node: node.label,
    message: `${node.label} used ${node.hashBatches} batches${grew}${memory} (threshold: > ${HASH_BATCHES_MAX}): the hash table spilled to temp files`,
    suggestion: 'raise work_mem (or hash_mem_multiplier) so the hash table fits in one batch, or reduce the rows hashed',
  };
}

function workersWarning(node: PlanNode): PlanWarning | undefined {
  const planned = node.workersPlanned;
  const launched = node.workersLaunched;
  if (planned === undefined || launched === undefined || launched >= planned) return undefined;
  return {
    kind: 'workers-not-launched',
    severity: 'warning',
    nodeId: node.id,
    node: node.label,
    message: `${node.label} launched ${launched} of ${planned} planned workers: the query ran with less parallelism than planned`,
    suggestion: 'the worker pool was exhausted: check max_parallel_workers and max_worker_processes against concurrent parallel queries',
  };
}

function slowNodeWarning(plan: ParsedPlan, node: PlanNode): PlanWarning | undefined {
  if (plan.totalTimeMs <= 0) return undefined;
  const share = node.exclusiveTimeMs / plan.totalTimeMs;
  const severity: WarningSeverity | undefined =
    share > SLOW_NODE_SHARES.critical ? 'critical' : share > SLOW_NODE_SHARES.warning ? 'warning' : share > SLOW_NODE_SHARES.info ? 'info' : undefined;
  if (!severity) return undefined;
  const threshold = SLOW_NODE_SHARES[severity];
  return {
    kind: 'slow-node',
    severity,
    nodeId: node.id,
    node: node.label,
    message:
      `${node.label} took ${node.exclusiveTimeMs.toFixed(3)} ms of ${plan.totalTimeMs.toFixed(3)} ms execution on its own ` +
      `(${percent(share)}; threshold > ${Math.round(threshold * 100)}%)`,
    suggestion: 'start tuning here: this node\'s own work, not its children\'s, is where the time goes',
  };
}

/** All warnings for a plan, critical first, then in plan order. */
export function planWarnings(plan: ParsedPlan): PlanWarning[] {
  const warnings: PlanWarning[] = [];
  for (const node of plan.nodes) {
    if (node.neverExecuted) continue;
    for (const warning of [
      seqScanWarning(plan, node),
      misestimateWarning(node),
      sortSpillWarning(node),
      hashBatchesWarning(node),
      workersWarning(node),
      slowNodeWarning(plan, node),
    ]) {
      if (warning) warnings.push(warning);
    }
  }
  // A stable sort keeps plan order (and the order above) within a severity.
  return warnings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
