/**
 * Plan domain (pure): the B-tree indexes worth measuring for a plan, and why each. A candidate
 * comes from what the plan did the slow way:
 * - a scan's Filter that removed rows: each column compared with a value (`=`, `= ANY`, ranges,
 *   `IS NULL`), and one multi-column candidate when the filter ANDs several columns (equalities
 *   first, then one range column, the order a B-tree can use them in);
 * - a join key: `Hash Cond` / `Merge Cond` / a Nested Loop's `Join Filter` (each side's column),
 *   and the inner side of a Nested Loop whose scan filters on the outer row;
 * - a correlated SubPlan: the column its scan compares with the outer query (`station_id = s.id`);
 * - a `Sort Key` (under a Limit above all: an index in that order lets the scan stop after the
 *   first rows), also after the equality columns of the scan's filter; a `Group Key`.
 * Nothing here knows which indexes exist or which columns are real: the use case asks the catalog
 * (`withoutExisting`) and then measures each candidate. Candidates are suggestions to measure, not
 * advice: only a measured gain makes a recommendation.
 */
import { displayName, quote } from '../workload/identifiers.js';
import { comparisonsOf, orderKeyOf, type Comparison, type OrderKey } from './plan-conditions.js';
import type { ParsedPlan, PlanNode } from './plan.js';

/** The relation an index goes on: its schema when the plan (or the catalog) knows it. */
export interface CandidateRelation {
  schema?: string;
  name: string;
}

/** One column of a candidate index, with its order when the index must give one. */
export interface CandidateColumn {
  name: string;
  /** Only where a B-tree needs it: mixed directions in a sort key. */
  descending?: boolean;
  nullsFirst?: boolean;
}

/** Where a candidate came from. */
export type CandidateSource = 'filter' | 'join' | 'subplan' | 'sort' | 'group';

/** One reason for a candidate: the node and the condition or key that suggested it. */
export interface CandidateReason {
  source: CandidateSource;
  nodeId: number;
  /** The node's label, e.g. `Seq Scan on "Order Lines" o`. */
  node: string;
  /** One line: which condition or key of the node, e.g. `Hash Cond (o."Customer Id" = c.id)`. */
  detail: string;
  /** For several statements (a workload): which one, 0-based. */
  statement?: number;
}

/** An index to measure. */
export interface IndexCandidate {
  relation: CandidateRelation;
  columns: CandidateColumn[];
  /** Why, best reason first; several when more than one node suggested the same index. */
  reasons: CandidateReason[];
  /**
   * Time (ms, all loops) of the part of the plan the index could change: the scan, the join, the
   * Limit over the sort. Only orders candidates when there are more than can be measured.
   */
  weightMs: number;
}

/** Scan node types that read a relation and may carry a Filter. */
const SCANS = new Set(['Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Heap Scan', 'Tid Scan', 'Tid Range Scan']);
/** Nodes a Limit reads through without changing the order of the rows. */
const ORDER_PRESERVING = new Set(['Gather Merge', 'Result', 'Subquery Scan', 'Unique', 'Incremental Sort', 'Sort']);
/** System schemas: no advice there. */
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

/** Key of a candidate: relation and columns with their order. */
export function candidateKey(candidate: Pick<IndexCandidate, 'relation' | 'columns'>): string {
  const columns = candidate.columns.map((c) => `${c.name}${c.descending ? ' DESC' : ''}${c.nullsFirst === undefined ? '' : c.nullsFirst ? ' NULLS FIRST' : ' NULLS LAST'}`);
  return `${candidate.relation.schema ?? ''}\u0000${candidate.relation.name}\u0000${columns.join('\u0000')}`;
}

/** The index's column list in SQL, every name quoted: `"Customer Id", placed_at DESC` → `"Customer Id", "placed_at" DESC`. */
export function indexColumnsSql(columns: readonly CandidateColumn[]): string {
  return columns.map((c) => {
    let text = quote(c.name);
    if (c.descending) text += ' DESC';
    if (c.nullsFirst !== undefined) text += c.nullsFirst ? ' NULLS FIRST' : ' NULLS LAST';
    return text;
  }).join(', ');
}

/** The relation in SQL, every part quoted: `"Sales"."Order Lines"`. */
export function relationSql(relation: CandidateRelation): string {
  return relation.schema === undefined ? quote(relation.name) : `${quote(relation.schema)}.${quote(relation.name)}`;
}

/** The CREATE INDEX a person would run for the candidate (PostgreSQL picks the index name). */
export function createIndexText(candidate: Pick<IndexCandidate, 'relation' | 'columns'>): string {
  return `CREATE INDEX ON ${relationSql(candidate.relation)} (${indexColumnsSql(candidate.columns)})`;
}

/** What the extraction sees of a plan: the scans by alias, to place qualified columns. */
interface PlanView {
  plan: ParsedPlan;
  /** Scans of relations by alias (EXPLAIN makes aliases unique within one plan). */
  byAlias: Map<string, PlanNode>;
  statement?: number;
}

const aliasOf = (node: PlanNode) => node.alias ?? node.relation!;

function viewOf(plan: ParsedPlan, statement?: number): PlanView {
  const byAlias = new Map<string, PlanNode>();
  for (const node of plan.nodes) {
    if (node.relation === undefined || node.nodeType === 'ModifyTable' || !SCANS.has(node.nodeType)) continue;
    byAlias.set(aliasOf(node), node);
  }
  return { plan, byAlias, ...(statement === undefined ? {} : { statement }) };
}

function relationOf(node: PlanNode): CandidateRelation | undefined {
  if (node.relation === undefined || (node.schema !== undefined && SYSTEM_SCHEMAS.has(node.schema)) || node.relation.startsWith('pg_')) return undefined;
  return node.schema === undefined ? { name: node.relation } : { schema: node.schema, name: node.relation };
}

/** The nodes of a subtree without the InitPlans and SubPlans hanging in it (they are other queries). */
function ownSubtree(plan: ParsedPlan, node: PlanNode): PlanNode[] {
  return [node, ...node.childIds
    .map((id) => plan.nodes[id]!)
    .filter((child) => child.parentRelationship !== 'InitPlan' && child.parentRelationship !== 'SubPlan')
    .flatMap((child) => ownSubtree(plan, child))];
}

/** The one relation scan under `node` (its own subtree), when there is exactly one: where bare keys of an upper node belong. */
function onlyScanBelow(view: PlanView, node: PlanNode): PlanNode | undefined {
  const scans = ownSubtree(view.plan, node).filter((n) => n.relation !== undefined && SCANS.has(n.nodeType));
  const aliases = new Set(scans.map(aliasOf));
  return aliases.size === 1 ? scans[0] : undefined;
}

/** A node's time with the SubPlans and InitPlans hanging under it left out: what an index on its relation can change. */
function ownTimeMs(plan: ParsedPlan, node: PlanNode): number {
  const other = node.childIds.map((id) => plan.nodes[id]!).filter((c) => c.parentRelationship === 'InitPlan' || c.parentRelationship === 'SubPlan');
  return Math.max(0, node.inclusiveTimeMs - other.reduce((sum, c) => sum + c.inclusiveTimeMs, 0));
}

/** The SubPlan a node runs in, if any (its nearest ancestor hanging as a SubPlan). */
function enclosingSubPlan(plan: ParsedPlan, node: PlanNode): PlanNode | undefined {
  for (let n: PlanNode | undefined = node; n; n = n.parentId === null ? undefined : plan.nodes[n.parentId]) {
    if (n.parentRelationship === 'SubPlan') return n;
  }
  return undefined;
}

/** The Nested Loop whose inner side `node` is (through Materialize/Memoize), if any. */
function nestedLoopAbove(plan: ParsedPlan, node: PlanNode): PlanNode | undefined {
  let child = node;
  while (child.parentId !== null) {
    const parent = plan.nodes[child.parentId]!;
    if (parent.nodeType === 'Nested Loop') return child.parentRelationship === 'Inner' ? parent : undefined;
    if (parent.nodeType !== 'Materialize' && parent.nodeType !== 'Memoize' && parent.nodeType !== 'Bitmap Heap Scan') return undefined;
    child = parent;
  }
  return undefined;
}

/** The Limit that reads `node` through order-preserving nodes only, if any. */
function limitAbove(plan: ParsedPlan, node: PlanNode): PlanNode | undefined {
  let child = node;
  while (child.parentId !== null) {
    const parent = plan.nodes[child.parentId]!;
    if (parent.nodeType === 'Limit') return parent;
    if (!ORDER_PRESERVING.has(parent.nodeType) && parent.nodeType !== 'Gather') return undefined;
    child = parent;
  }
  return undefined;
}

/** Equality (and `= ANY`, `IS NULL`) columns first, in order of appearance, then the first range column. */
function btreeOrder(comparisons: readonly Comparison[]): string[] {
  const equal = comparisons.filter((c) => c.kind !== 'range').map((c) => c.column.column);
  const range = comparisons.filter((c) => c.kind === 'range').map((c) => c.column.column);
  const columns = [...new Set(equal)];
  const firstRange = range.find((column) => !columns.includes(column));
  if (firstRange !== undefined) columns.push(firstRange);
  return columns;
}

/** Collects candidates, merging the same index suggested twice. */
class Collector {
  private readonly found = new Map<string, IndexCandidate>();

  add(relation: CandidateRelation | undefined, columns: CandidateColumn[], reason: CandidateReason, weightMs: number): void {
    if (relation === undefined || columns.length === 0) return;
    const candidate: IndexCandidate = { relation, columns, reasons: [reason], weightMs };
    const key = candidateKey(candidate);
    const existing = this.found.get(key);
    if (!existing) {
      this.found.set(key, candidate);
      return;
    }
    if (!existing.reasons.some((r) => r.nodeId === reason.nodeId && r.detail === reason.detail && r.statement === reason.statement)) existing.reasons.push(reason);
    existing.weightMs = Math.max(existing.weightMs, weightMs);
  }

  list(): IndexCandidate[] {
    return [...this.found.values()];
  }
}

function reasonOf(view: PlanView, source: CandidateSource, node: PlanNode, detail: string): CandidateReason {
  return { source, nodeId: node.id, node: node.label, detail, ...(view.statement === undefined ? {} : { statement: view.statement }) };
}

/** Filter columns of one scan (and, on the inner side of a Nested Loop or in a SubPlan, its lookups of the outer row). */
function scanCandidates(view: PlanView, scan: PlanNode, out: Collector): void {
  const relation = relationOf(scan);
  if (!relation || scan.neverExecuted) return;
  const own = (qualifier: string) => qualifier === aliasOf(scan);
  const subPlan = enclosingSubPlan(view.plan, scan);
  const loop = nestedLoopAbove(view.plan, scan);
  const filter = scan.filter;
  const weight = ownTimeMs(view.plan, scan);
  // A filter that kept every row it read is not worth an index; one in a repeated part is looked at anyway.
  if (filter && (scan.rowsRemovedByFilter > 0 || subPlan || loop)) {
    const comparisons = comparisonsOf(filter, own, true);
    // A Bitmap Heap Scan's index condition is its Recheck Cond (the Index Cond sits on the Bitmap Index Scan).
    const indexCondition = scan.indexCond ?? (scan.nodeType === 'Bitmap Heap Scan' ? scan.recheckCond : undefined);
    const index = indexCondition ? comparisonsOf(indexCondition, own, true) : [];
    const sourceOf = (c: Comparison): CandidateSource => (c.outer.length === 0 ? 'filter' : subPlan ? 'subplan' : loop ? 'join' : 'filter');
    const describe = (c: Comparison, source: CandidateSource): string => {
      if (source === 'subplan') return `${subPlan!.subplanName ?? 'SubPlan'}, run ${formatCount(subPlan!.loops)} times: Filter (${c.text}) compares ${displayName(c.column.column)} with ${[...new Set(c.outer)].join(', ')} of the outer query`;
      if (source === 'join') return `inner side of #${loop!.id} ${loop!.label}, run ${formatCount(scan.loops)} times: Filter (${c.text})`;
      return `Filter (${c.text}) removed ${formatCount(scan.rowsRemovedByFilter)} rows`;
    };
    // One candidate per column, with every conjunct on it (a range is often two: >= and <).
    const byColumn = new Map<string, Comparison[]>();
    for (const c of comparisons) byColumn.set(c.column.column, [...(byColumn.get(c.column.column) ?? []), c]);
    for (const [column, on] of byColumn) {
      const c: Comparison = { ...on[0]!, outer: on.flatMap((x) => x.outer), text: on.map((x) => x.text).join(') AND (') };
      const source = sourceOf(c);
      out.add(relation, [{ name: column }], reasonOf(view, source, scan, describe(c, source)), weight);
    }
    // On the inner side of a Nested Loop, the columns its Join Filter compares with the outer row.
    const joinKeys = loop?.joinFilter ? comparisonsOf(loop.joinFilter, own, false).filter((c) => c.kind === 'eq' && c.outer.length > 0) : [];
    // The filter's columns together, after the columns the scan's index (or the join) already looks up.
    const together = btreeOrder([...index, ...joinKeys, ...comparisons]);
    if (together.length > 1 && comparisons.length > 0) {
      const source = comparisons.some((c) => sourceOf(c) === 'subplan') ? 'subplan' : joinKeys.length > 0 || comparisons.some((c) => sourceOf(c) === 'join') ? 'join' : 'filter';
      const what = [index.length > 0 ? `Index Cond ${indexCondition}` : '', joinKeys.length > 0 ? `Join Filter ${loop!.joinFilter} of #${loop!.id} ${loop!.label}` : '', `Filter ${filter}`]
        .filter(Boolean).join(' and ');
      const where = source === 'subplan' ? `${subPlan!.subplanName ?? 'SubPlan'}, run ${formatCount(subPlan!.loops)} times: ` : '';
      out.add(relation, together.map((name) => ({ name })), reasonOf(view, source, scan, `${where}${what}: ${together.length} columns of ${displayName(scan.relation!)} in one index`), weight);
    }
  }
}

/** Both sides' columns of a join condition. */
function joinCandidates(view: PlanView, node: PlanNode, out: Collector): void {
  const conditions: [string, string | undefined][] = [
    ['Hash Cond', node.hashCond],
    ['Merge Cond', typeof node.raw['Merge Cond'] === 'string' ? node.raw['Merge Cond'] : undefined],
    ['Join Filter', node.nodeType === 'Nested Loop' ? node.joinFilter : undefined],
  ];
  for (const [name, condition] of conditions) {
    if (!condition) continue;
    const scans = ownSubtree(view.plan, node).filter((n) => n.relation !== undefined && SCANS.has(n.nodeType));
    for (const scan of new Map(scans.map((s) => [aliasOf(s), s])).values()) {
      const own = (qualifier: string) => qualifier === aliasOf(scan);
      const comparisons = comparisonsOf(condition, own, false).filter((c) => c.kind === 'eq' && c.outer.length > 0);
      const columns = [...new Set(comparisons.map((c) => c.column.column))];
      if (columns.length === 0) continue;
      const detail = `${name} ${condition}`;
      for (const column of columns) out.add(relationOf(scan), [{ name: column }], reasonOf(view, 'join', node, `${detail}: ${displayName(aliasOf(scan))}.${displayName(column)}`), node.inclusiveTimeMs);
      if (columns.length > 1) out.add(relationOf(scan), columns.map((c) => ({ name: c })), reasonOf(view, 'join', node, `${detail}: its ${columns.length} keys of ${displayName(aliasOf(scan))}`), node.inclusiveTimeMs);
    }
  }
}

/** The scan the keys of an upper node belong to, and the keys as columns; undefined when they span relations or are expressions. */
function keysOnOneScan(view: PlanView, node: PlanNode, keys: readonly string[]): { scan: PlanNode; keys: OrderKey[] } | undefined {
  const parsed = keys.map(orderKeyOf);
  if (parsed.length === 0 || parsed.some((k) => k === undefined)) return undefined;
  const scans = parsed.map((k) => (k!.column.qualifier === undefined ? onlyScanBelow(view, node) : view.byAlias.get(k!.column.qualifier)));
  const first = scans[0];
  if (!first || scans.some((s) => s !== first)) return undefined;
  return { scan: first, keys: parsed as OrderKey[] };
}

/** Index columns that return rows in the keys' order: plain when one direction fits all (a B-tree reads either way). */
function orderedColumns(keys: readonly OrderKey[]): CandidateColumn[] {
  const forward = keys.every((k) => !k.descending && k.nullsFirst === undefined);
  const backward = keys.every((k) => k.descending && k.nullsFirst === undefined);
  if (forward || backward) return keys.map((k) => ({ name: k.column.column }));
  return keys.map((k) => ({ name: k.column.column, ...(k.descending ? { descending: true } : {}), ...(k.nullsFirst === undefined ? {} : { nullsFirst: k.nullsFirst }) }));
}

function sortCandidates(view: PlanView, node: PlanNode, out: Collector): void {
  if (!node.sortKey || node.neverExecuted) return;
  const found = keysOnOneScan(view, node, node.sortKey);
  if (!found) return;
  const limit = limitAbove(view.plan, node);
  const columns = orderedColumns(found.keys);
  const keyText = node.sortKey.join(', ');
  const where = limit ? `Sort Key ${keyText} under #${limit.id} Limit (${formatCount(limit.actualRows)} rows)` : `Sort Key ${keyText}`;
  const weight = limit ? limit.inclusiveTimeMs : node.exclusiveTimeMs;
  out.add(relationOf(found.scan), columns, reasonOf(view, 'sort', node, where), weight);
  // With an equality filter on the same scan, the index that finds the rows *and* returns them in order.
  const own = (qualifier: string) => qualifier === aliasOf(found.scan);
  const equal = found.scan.filter ? comparisonsOf(found.scan.filter, own, true).filter((c) => c.kind === 'eq' || c.kind === 'null') : [];
  const leading = [...new Set(equal.map((c) => c.column.column))].filter((name) => !columns.some((c) => c.name === name));
  if (leading.length > 0) {
    out.add(relationOf(found.scan), [...leading.map((name) => ({ name })), ...columns],
      reasonOf(view, 'sort', node, `${where}, after the equality filter ${equal.map((c) => `(${c.text})`).join(' AND ')} of #${found.scan.id} ${found.scan.label}`), weight);
  }
}

function groupCandidates(view: PlanView, node: PlanNode, out: Collector): void {
  if (!node.groupKey || node.groupKey.length === 0 || node.neverExecuted) return;
  const found = keysOnOneScan(view, node, node.groupKey);
  if (!found) return;
  const sortBelow = node.childIds.map((id) => view.plan.nodes[id]!).find((child) => child.nodeType === 'Sort');
  const weight = node.exclusiveTimeMs + (sortBelow?.exclusiveTimeMs ?? 0);
  out.add(relationOf(found.scan), found.keys.map((k) => ({ name: k.column.column })), reasonOf(view, 'group', node, `Group Key ${node.groupKey.join(', ')}`), weight);
}

function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The candidate indexes of a plan, heaviest first (by the time of what they could change), each
 * once with every reason that suggested it. `statement` tags the reasons for a plan that is one
 * statement of several.
 */
export function indexCandidates(plan: ParsedPlan, statement?: number): IndexCandidate[] {
  const view = viewOf(plan, statement);
  const out = new Collector();
  for (const node of plan.nodes) {
    if (node.neverExecuted) continue;
    if (node.relation !== undefined && SCANS.has(node.nodeType)) scanCandidates(view, node, out);
    if (node.nodeType.endsWith('Join') || node.nodeType === 'Nested Loop') joinCandidates(view, node, out);
    if (node.nodeType === 'Sort' || node.nodeType === 'Incremental Sort') sortCandidates(view, node, out);
    if (node.nodeType === 'Aggregate' || node.nodeType === 'Group') groupCandidates(view, node, out);
  }
  return rankCandidates(out.list());
}

/** Merges candidate lists (several statements, a saved plan and a live one): the same index once, reasons joined. */
export function mergeCandidates(lists: readonly (readonly IndexCandidate[])[]): IndexCandidate[] {
  const merged = new Map<string, IndexCandidate>();
  for (const candidate of lists.flat()) {
    const key = candidateKey(candidate);
    const existing = merged.get(key);
    if (!existing) {
      merged.set(key, { ...candidate, reasons: [...candidate.reasons] });
      continue;
    }
    for (const reason of candidate.reasons) {
      if (!existing.reasons.some((r) => r.nodeId === reason.nodeId && r.detail === reason.detail && r.statement === reason.statement)) existing.reasons.push(reason);
    }
    existing.weightMs = Math.max(existing.weightMs, candidate.weightMs);
  }
  return rankCandidates([...merged.values()]);
}

/** Heaviest first; a stable sort keeps plan order among equals. */
function rankCandidates(candidates: IndexCandidate[]): IndexCandidate[] {
  return [...candidates].sort((a, b) => b.weightMs - a.weightMs);
}

/** An index that exists, as the catalog lists it (valid, not partial, not on an expression). */
export interface ExistingIndex {
  name: string;
  columns: readonly string[];
}

/** A candidate left out because an index that exists already leads with its columns. */
export interface CoveredCandidate {
  candidate: IndexCandidate;
  /** The existing index. */
  by: string;
}

/**
 * Splits candidates into those to measure and those an existing index already covers: one whose
 * leading columns are the candidate's columns, in order (a B-tree on (a, b) serves what one on
 * (a) would). Column order direction is not compared: the catalog's list does not carry it.
 */
export function withoutExisting(candidates: readonly IndexCandidate[], existingOf: (relation: CandidateRelation) => readonly ExistingIndex[]): { kept: IndexCandidate[]; covered: CoveredCandidate[] } {
  const kept: IndexCandidate[] = [];
  const covered: CoveredCandidate[] = [];
  for (const candidate of candidates) {
    const names = candidate.columns.map((c) => c.name);
    const by = existingOf(candidate.relation).find((index) => names.every((name, i) => index.columns[i] === name));
    if (by) covered.push({ candidate, by: by.name });
    else kept.push(candidate);
  }
  return { kept, covered };
}

/** `"Sales"."Order Lines" ("Customer Id", placed_at)`: the candidate as people write it. */
export function describeCandidate(candidate: Pick<IndexCandidate, 'relation' | 'columns'>): string {
  const display = displayName;
  const relation = candidate.relation.schema === undefined ? display(candidate.relation.name) : `${display(candidate.relation.schema)}.${display(candidate.relation.name)}`;
  const columns = candidate.columns.map((c) => `${display(c.name)}${c.descending ? ' DESC' : ''}${c.nullsFirst === undefined ? '' : c.nullsFirst ? ' NULLS FIRST' : ' NULLS LAST'}`);
  return `${relation} (${columns.join(', ')})`;
}
