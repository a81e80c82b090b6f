/**
 * Plan domain: warnings on a parsed plan, each with the threshold it crossed stated in the message,
 * so a DBA can disagree with the rule rather than guess it. Thresholds follow the tools DBAs
 * compare us with; each constant cites its source.
 */
import { displayName, shellWord } from '../workload/identifiers.js';
import { correlatedColumn } from './plan-conditions.js';
import { hashAggsByProcess, processName, sortsByProcess, type ParsedPlan, type PlanNode } from './plan.js';

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
/**
 * …and the exclusive time a node needs besides its share before it is a warning or critical.
 *
 * pev2 grades by share alone, which answers "where does the time go" but not "does it matter": in
 * a 2.6 ms query that already reads through its index, the index scan is over 90% of the time
 * because it is nearly all the query does, and CRITICAL there reads as "the index did not help".
 * A share says where to look; the absolute time says whether it is worth looking:
 * - critical needs > 90% *and* ≥ 100 ms of the node's own: 100 ms is the longest a response can
 *   take and still feel instant (Nielsen's 0.1 s limit), so one node spending it alone is a problem
 *   for any interactive caller, wherever the rest of the time goes;
 * - warning needs > 40% *and* ≥ 10 ms: about what one query may take in a web request that makes a
 *   few of them; below that, tuning one node rarely changes what a user notices;
 * - below 10 ms a node is at most info, whatever its share: a fast query spends its time somewhere.
 * Each grade is the lower of the share's and the time's, so a slow node in a slower plan (40% of
 * 5 s) is still a warning, not critical.
 */
export const SLOW_NODE_MIN_MS = { warning: 10, critical: 100 } as const;

/** How much a warning matters. Sorted critical first. */
export type WarningSeverity = 'critical' | 'warning' | 'info';

export type WarningKind =
  | 'seq-scan-filter'
  | 'misestimate'
  | 'sort-spill'
  | 'hashagg-spill'
  | 'hash-batches'
  | 'workers-not-launched'
  | 'repeated-execution'
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
  /** For `seq-scan-filter` and `repeated-execution` when a column is clear: the index to try, and the exact command. */
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

/** The index advice on a scan's relation: what to say and the command, in one place for every warning that gives it. */
function indexAdvice(node: PlanNode, column: string): { text: string; index: NonNullable<PlanWarning['index']> } {
  // Written as in SQL (quoted where needed) and schema-qualified when the plan knows the schema,
  // so the printed command builds the index on this very table, whatever search_path says.
  const table = node.schema === undefined ? displayName(node.relation!) : `${displayName(node.schema)}.${displayName(node.relation!)}`;
  const command = indexAddCommand(table, displayName(column));
  return { text: `${table}(${displayName(column)})`, index: { table, column, command } };
}

/** Rows a node read: kept plus removed by its filter, over all loops. */
function rowsRead(node: PlanNode): number {
  return node.actualRows * node.loops + node.rowsRemovedByFilter;
}

function seqScanWarning(plan: ParsedPlan, node: PlanNode): PlanWarning | undefined {
  if (node.nodeType !== 'Seq Scan' || !node.relation || !node.filter || !plan.hasBuffers) return undefined;
  // The scan's own pages: a SubPlan in its filter reads its own tables, counted in its figures.
  const own = node.exclusiveBuffers;
  const pages = own.sharedHit + own.sharedRead + own.localHit + own.localRead;
  const kept = node.actualRows * node.loops;
  const removed = node.rowsRemovedByFilter;
  const share = removed / (removed + kept || 1);
  if (pages < SEQ_SCAN_MIN_PAGES || share <= SEQ_SCAN_REMOVED_SHARE) return undefined;
  const message =
    `${node.label} read ${formatInt(removed + kept)} rows from ${formatInt(pages)} pages and its filter ` +
    `${node.filter} removed ${formatInt(removed)} (${percent(share)}; thresholds: > 2/3 of rows, ≥ ${SEQ_SCAN_MIN_PAGES} pages)`;
  const severity: WarningSeverity = share > SEQ_SCAN_REMOVED_CRITICAL_SHARE ? 'critical' : 'warning';
  const base = { kind: 'seq-scan-filter' as const, severity, nodeId: node.id, node: node.label, message };
  const column = filterColumn(node.filter);
  if (column !== null) {
    const advice = indexAdvice(node, column);
    return { ...base, suggestion: `an index on ${advice.text} lets PostgreSQL read only the matching rows: ${advice.index.command}`, index: advice.index };
  }
  const correlated = correlatedColumn(node.filter, node.alias, true);
  if (correlated !== null) {
    const advice = indexAdvice(node, correlated.column);
    return {
      ...base,
      suggestion:
        `the filter compares ${correlated.column} with ${correlated.outer} from the outer query: an index on ${advice.text} ` +
        `lets each run read only the matching rows: ${advice.index.command}`,
      index: advice.index,
    };
  }
  return {
    ...base,
    suggestion: 'the filter is not a simple column comparison: consider an index (multi-column or on an expression) that matches it',
  };
}

function misestimateWarning(node: PlanNode): PlanWarning | undefined {
  const m = node.misestimate;
  if (!m || m.factor < MISESTIMATE_FACTOR) return undefined;
  // Fewer rows than estimated because a node above stopped reading says nothing about the
  // estimate (plan-early-stop.ts); more rows than estimated is a misestimate all the same.
  if (node.stoppedEarly && m.direction === 'over') return undefined;
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
  const sorts = sortsByProcess(node);
  const spills = sorts.filter((s) => s.spilled);
  if (spills.length === 0) return undefined;
  const base = { kind: 'sort-spill' as const, severity: 'warning' as const, nodeId: node.id, node: node.label };
  const suggestion = 'raise work_mem for this query (SET LOCAL work_mem) above the space used, or let an index return the rows in order';
  if (node.workers.length === 0) {
    const space = spills[0]!.spaceKb === undefined ? '' : ` using ${formatInt(spills[0]!.spaceKb)} kB`;
    return { ...base, message: `${node.label} spilled to disk (${spills[0]!.method ?? 'sort'}${space}; threshold: any disk use)`, suggestion };
  }
  // Parallel: the node's own figures are the leader's; each worker sorts in its own work_mem.
  const each = spills.map((s) => `${processName(s.worker)} ${s.method ?? 'sort'}${s.spaceKb === undefined ? '' : ` ${formatInt(s.spaceKb)} kB`}`);
  const total = spills.reduce((sum, s) => sum + (s.spaceKb ?? 0), 0);
  const largest = Math.max(...spills.map((s) => s.spaceKb ?? 0));
  return {
    ...base,
    message:
      `${node.label} spilled to disk in ${spills.length} of ${sorts.length} processes (${each.join(', ')}; ` +
      `${formatInt(total)} kB in total; threshold: any disk use)`,
    suggestion:
      `each process sorts in its own work_mem: raise work_mem for this query (SET LOCAL work_mem) above the largest spill (${formatInt(largest)} kB), ` +
      'or let an index return the rows in order',
  };
}

function hashAggSpillWarning(node: PlanNode): PlanWarning | undefined {
  const aggs = hashAggsByProcess(node);
  const spills = aggs.filter((a) => a.spilled);
  if (spills.length === 0) return undefined;
  const phrase = (a: (typeof aggs)[number]) =>
    `${a.batches === undefined ? '' : `${formatInt(a.batches)} batches, `}${formatInt(a.diskKb)} kB on disk` +
    `${a.peakMemoryKb === undefined ? '' : `, peak memory ${formatInt(a.peakMemoryKb)} kB`}`;
  const planned = node.plannedPartitions ? `; planned ${formatInt(node.plannedPartitions)} partitions` : '';
  const message =
    node.workers.length === 0
      ? `${node.label} spilled to disk (${phrase(spills[0]!)}${planned}; threshold: any disk use)`
      : `${node.label} spilled to disk in ${spills.length} of ${aggs.length} processes (` +
        `${spills.map((a) => `${processName(a.worker)}: ${phrase(a)}`).join('; ')}; ` +
        `${formatInt(spills.reduce((sum, a) => sum + a.diskKb, 0))} kB in total${planned}; threshold: any disk use)`;
  return {
    kind: 'hashagg-spill',
    severity: 'warning',
    nodeId: node.id,
    node: node.label,
    message,
    suggestion:
      'the hash table may use work_mem x hash_mem_multiplier per process: raise either for this query (SET LOCAL) above the memory plus disk used, ' +
      'or aggregate fewer groups (filter first, or group on fewer columns)',
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

/** The grade of a stretch of time: by its share of the execution and by its length (SLOW_NODE_MIN_MS). */
function timeSeverity(share: number, ms: number): { severity: WarningSeverity | undefined; rule: string } {
  const byShare: WarningSeverity | undefined =
    share > SLOW_NODE_SHARES.critical ? 'critical' : share > SLOW_NODE_SHARES.warning ? 'warning' : share > SLOW_NODE_SHARES.info ? 'info' : undefined;
  if (byShare === undefined) return { severity: undefined, rule: '' };
  if (byShare === 'critical' && ms >= SLOW_NODE_MIN_MS.critical) return { severity: 'critical', rule: `thresholds: > 90% and ≥ ${SLOW_NODE_MIN_MS.critical} ms` };
  if (byShare !== 'info' && ms >= SLOW_NODE_MIN_MS.warning) {
    return byShare === 'critical'
      ? { severity: 'warning', rule: `over 90% but under ${SLOW_NODE_MIN_MS.critical} ms: a warning, not critical` }
      : { severity: 'warning', rule: `thresholds: > 40% and ≥ ${SLOW_NODE_MIN_MS.warning} ms` };
  }
  if (byShare !== 'info') {
    return { severity: 'info', rule: `over ${byShare === 'critical' ? 90 : 40}% but under ${SLOW_NODE_MIN_MS.warning} ms: info only` };
  }
  return { severity: 'info', rule: 'threshold > 10%' };
}

function slowNodeWarning(plan: ParsedPlan, node: PlanNode): PlanWarning | undefined {
  if (plan.totalTimeMs <= 0) return undefined;
  const share = node.exclusiveTimeMs / plan.totalTimeMs;
  const { severity, rule } = timeSeverity(share, node.exclusiveTimeMs);
  if (!severity) return undefined;
  // Under 10 ms of its own a node is no place to start tuning, whatever its share of the query.
  const fast = node.exclusiveTimeMs < SLOW_NODE_MIN_MS.warning;
  return {
    kind: 'slow-node',
    severity,
    nodeId: node.id,
    node: node.label,
    message:
      `${node.label} took ${node.exclusiveTimeMs.toFixed(3)} ms of ${plan.totalTimeMs.toFixed(3)} ms execution on its own ` +
      `(${percent(share)}; ${rule})`,
    suggestion: fast
      ? `${node.exclusiveTimeMs.toFixed(3)} ms of its own is little (the query took ${plan.totalTimeMs.toFixed(3)} ms): tune here only if the query runs very often or another warning points here`
      : 'start tuning here: this node\'s own work, not its children\'s, is where the time goes',
  };
}

/** The nodes of a subtree, the root first, SubPlans and InitPlans included. */
function subtree(plan: ParsedPlan, node: PlanNode): PlanNode[] {
  return [node, ...node.childIds.flatMap((id) => subtree(plan, plan.nodes[id]!))];
}

/**
 * A part of the plan that runs once per row of something else: a SubPlan (a correlated subquery,
 * run per row of the node it hangs under) or the inner side of a Nested Loop. Its cost is loops x
 * time per loop, which the per-loop figures EXPLAIN prints hide. Flagged when that total is over
 * 10% of the execution (graded like a slow node) and the repeated part does avoidable work: it is
 * a SubPlan (a join can run it once), or it reads a table with a Seq Scan, or it throws rows away.
 * An index lookup per outer row, the good nested loop, is none of these.
 */
function repeatedExecutionWarning(plan: ParsedPlan, node: PlanNode): PlanWarning | undefined {
  if (node.loops <= 1 || node.parentId === null || plan.totalTimeMs <= 0) return undefined;
  const parent = plan.nodes[node.parentId]!;
  const isSubPlan = node.parentRelationship === 'SubPlan';
  const isInner = node.parentRelationship === 'Inner' && parent.nodeType === 'Nested Loop';
  if (!isSubPlan && !isInner) return undefined;
  const nodes = subtree(plan, node);
  const removedOf = (n: PlanNode) => n.rowsRemovedByFilter + n.rowsRemovedByJoinFilter + n.rowsRemovedByIndexRecheck;
  const removed = nodes.reduce((sum, n) => sum + removedOf(n), 0);
  const seqScan = nodes.find((n) => n.nodeType === 'Seq Scan' && n.loops >= node.loops);
  if (!isSubPlan && !seqScan && removed === 0) return undefined;
  const share = node.inclusiveTimeMs / plan.totalTimeMs;
  const { severity } = timeSeverity(share, node.inclusiveTimeMs);
  if (!severity) return undefined;

  const what = isSubPlan ? `${node.subplanName ?? 'SubPlan'} (${node.label})` : node.label;
  const per = isSubPlan ? `of #${parent.id} ${parent.label}` : `of the outer side of #${parent.id} ${parent.label}`;
  const worst = nodes.reduce((a, b) => (removedOf(b) > removedOf(a) ? b : a));
  const who = (n: PlanNode) => (n.id === node.id ? 'it' : `#${n.id} ${n.label}`);
  const waste =
    removed > 0
      ? `; ${who(worst)} removed ${formatInt(removedOf(worst))} rows in total (${formatInt(removedOf(worst) / worst.loops)} per loop)`
      : seqScan
        ? `; ${who(seqScan)} read ${formatInt(rowsRead(seqScan))} rows in total`
        : '';
  const message =
    `${what} ran ${formatInt(node.loops)} times, once per row ${per}: ${formatInt(node.loops)} x ` +
    `${node.actualTotalTimeMs.toFixed(3)} ms = ${node.inclusiveTimeMs.toFixed(3)} ms in total ` +
    `(${percent(share)} of execution; threshold > 10%)${waste}`;
  const base = { kind: 'repeated-execution' as const, severity, nodeId: node.id, node: node.label, message };

  // The column each run looks up: a scan's filter against the outer query (SubPlan), or the
  // Nested Loop's join filter against the inner scan (a plain Seq Scan cannot take the outer value).
  const lookup = isSubPlan
    ? nodes
        .filter((n) => n.relation && n.filter && (n.nodeType === 'Seq Scan' || n.rowsRemovedByFilter > 0))
        .map((n) => ({ scan: n, found: correlatedColumn(n.filter!, n.alias, true) }))
        .find((c) => c.found !== null)
    : node.nodeType === 'Seq Scan' && node.relation && parent.joinFilter
      ? { scan: node, found: correlatedColumn(parent.joinFilter, node.alias, false) }
      : undefined;
  if (lookup?.found) {
    const advice = indexAdvice(lookup.scan, lookup.found.column);
    return {
      ...base,
      suggestion:
        `each run looks for ${lookup.found.column} = ${lookup.found.outer}: an index on ${advice.text} turns every run into an index lookup ` +
        `instead of reading the table: ${advice.index.command}`,
      index: advice.index,
    };
  }
  return {
    ...base,
    suggestion: isSubPlan
      ? 'the subquery runs once per outer row: rewrite it as a join (the planner can then hash or merge it once), or make each run cheaper with an index on the columns it filters on'
      : 'the inner side runs once per outer row: an index on its join column lets each run look up its rows, or a Hash Join reads it once',
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
      hashAggSpillWarning(node),
      hashBatchesWarning(node),
      workersWarning(node),
      repeatedExecutionWarning(plan, node),
      slowNodeWarning(plan, node),
    ]) {
      if (warning) warnings.push(warning);
    }
  }
  // A stable sort keeps plan order (and the order above) within a severity.
  return warnings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
