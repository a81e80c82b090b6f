/**
 * Plan domain: where the time went. Turns EXPLAIN's per-loop averages into inclusive totals and
 * each node's own (exclusive) share, so that the exclusive times of all nodes add up to the root's
 * total: every millisecond counted once. Buffers and I/O times, which EXPLAIN also reports
 * including the children, go through the same arithmetic. Pure.
 *
 * The arithmetic follows pev2 and explain.depesz.com; where the plan does not say how work was
 * split (parallel workers, several scans of one CTE) the approximation is stated where it is made.
 */
import type { PlanBuffers, PlanIoTiming, PlanNode, SubplanAttribution } from './plan-model.js';

const GATHER_TYPES = new Set(['Gather', 'Gather Merge']);

/** Below half a microsecond (PostgreSQL prints three decimals of a millisecond) a difference is rounding. */
const ROUNDING_MS = 0.0005;

/** A node hung under its parent as an InitPlan or SubPlan rather than as an input. */
export function isSubplanChild(node: PlanNode): boolean {
  return node.parentRelationship === 'InitPlan' || node.parentRelationship === 'SubPlan';
}

/** A CTE's plan hangs under the node that owns the WITH as an InitPlan named `CTE <name>`. */
export function isCteSubplan(node: PlanNode): boolean {
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
export function computeInclusive(nodes: PlanNode[]): void {
  const processes = new Map<number, number>();
  for (const node of nodes) {
    let divisor = node.parentId === null ? 1 : processes.get(node.parentId)!;
    const parent = node.parentId === null ? undefined : nodes[node.parentId]!;
    if (parent && GATHER_TYPES.has(parent.nodeType) && !isSubplanChild(node)) {
      const perGather = parent.loops > 0 ? node.loops / parent.loops : 0;
      divisor = perGather >= 1 ? perGather : (parent.workersLaunched ?? 0) + 1;
    }
    processes.set(node.id, divisor);
    node.inclusiveTimeMs = (node.actualTotalTimeMs * node.loops) / divisor;
  }
}

const BUFFER_KEYS = [
  'sharedHit', 'sharedRead', 'sharedDirtied', 'sharedWritten',
  'localHit', 'localRead', 'localDirtied', 'localWritten',
  'tempRead', 'tempWritten',
] as const satisfies readonly (keyof PlanBuffers)[];
const IO_KEYS = ['readMs', 'writeMs', 'tempReadMs', 'tempWriteMs'] as const satisfies readonly (keyof PlanIoTiming)[];

/** Time, then the buffer counts, then the I/O times: one vector, so every figure is attributed alike. Index 0 is time. */
type Figures = number[];
const TIME = 0;

function inclusiveFigures(node: PlanNode): Figures {
  return [node.inclusiveTimeMs, ...BUFFER_KEYS.map((k) => node.buffers[k]), ...IO_KEYS.map((k) => node.io[k])];
}

function subtract(from: Figures, amount: Figures): void {
  for (let k = 0; k < from.length; k++) from[k]! -= amount[k]!;
}

/**
 * What an InitPlan's users write where they read its value: `$2` in PG ≤ 15 (its name says
 * `InitPlan 3 (returns $2)`), `(InitPlan 3)` from PG 16 on.
 */
function initPlanReferences(name: string): RegExp[] {
  const patterns: RegExp[] = [];
  const returns = /\(returns ([^)]*)\)/.exec(name);
  for (const param of returns?.[1]?.match(/\$\d+/g) ?? []) patterns.push(new RegExp(`\\${param}(?!\\d)`));
  const number = /^InitPlan (\d+)/.exec(name);
  if (number) patterns.push(new RegExp(`\\(InitPlan ${number[1]}\\)`));
  return patterns;
}

/** True when one of the node's expressions (conditions, keys, output) mentions one of the patterns. */
function mentions(node: PlanNode, patterns: RegExp[]): boolean {
  if (patterns.length === 0) return false;
  for (const [key, value] of Object.entries(node.raw)) {
    if (key === 'Subplan Name') continue;
    const texts = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    if (texts.some((text) => patterns.some((p) => p.test(text)))) return true;
  }
  return false;
}

/** The nodes below `node`, pre-order, leaving out the subtrees whose root `skip` rejects. */
function descendants(nodes: PlanNode[], node: PlanNode, skip: (child: PlanNode) => boolean = () => false): PlanNode[] {
  const out: PlanNode[] = [];
  const visit = (id: number): void => {
    const child = nodes[id]!;
    if (skip(child)) return;
    out.push(child);
    child.childIds.forEach(visit);
  };
  node.childIds.forEach(visit);
  return out;
}

/**
 * Exclusive figures. Each node's own figures start as its inclusive ones minus the inclusive ones of
 * the children whose work ran inside it; over the whole tree these telescope to the root's total.
 * Three things make "the children" more than the list under the node:
 *
 * - **CTEs.** A CTE's plan hangs under the node owning the WITH as an InitPlan, but it runs when a
 *   CTE Scan pulls rows from it, so its time is inside the scans' figures. We take it off the scans
 *   that read it, the one with the most time first (the scan that ran the CTE carries its cost; the
 *   others read the stored rows, which is cheap; how several scans split the work is not in the
 *   plan), never more than once in total. What no scan accounts for is taken off the owner — except
 *   for a data-modifying CTE, which PostgreSQL runs to completion after the main query has finished:
 *   that time lies outside the root (and inside the execution time) and is reported as such.
 * - **InitPlans run where their value is first used.** EXPLAIN attaches an InitPlan to a node high
 *   up, but the node that evaluates `$2` (say, the Bitmap Index Scan below) runs it, so its time
 *   is counted twice: under its owner and inside that user. The owner's own time then comes out
 *   negative; we take the excess off the node that uses the value (found by its `$2` or
 *   `(InitPlan 3)`), and only then off the other nodes below, largest first.
 * - **Rounding.** A child that reports a little more than its parent (instrumentation, three
 *   decimals) makes the parent negative by that much; the same step takes it off the children.
 *
 * Subtracting whole totals (never a child's per-loop time from the parent's per-loop time and then
 * multiplying by the parent's loops) is what keeps Nested Loop inners right: the inner runs once
 * per outer row, so its per-loop time is a fraction of what it cost the join.
 */
export function computeExclusive(nodes: PlanNode[]): { attributions: SubplanAttribution[]; afterRootMs: number } {
  const own = nodes.map(inclusiveFigures);
  for (const node of nodes) {
    for (const id of node.childIds) {
      const child = nodes[id]!;
      if (!isCteSubplan(child)) subtract(own[node.id]!, inclusiveFigures(child));
    }
  }

  const attributions: SubplanAttribution[] = [];
  let afterRootMs = 0;
  for (const cte of nodes.filter(isCteSubplan)) {
    const name = cte.subplanName!.slice(4);
    const owner = nodes[cte.parentId!]!;
    // Scans of the CTE sit anywhere below its owner (subqueries of the same level see it too).
    const scans = descendants(nodes, owner)
      .filter((n) => n.nodeType === 'CTE Scan' && n.cteName === name)
      .sort((a, b) => own[b.id]![TIME]! - own[a.id]![TIME]!);
    const left = inclusiveFigures(cte);
    const record: SubplanAttribution = {
      nodeId: cte.id,
      name: cte.subplanName!,
      ownerId: owner.id,
      kind: 'cte',
      inclusiveTimeMs: cte.inclusiveTimeMs,
      takenFrom: [],
      afterRootMs: 0,
    };
    for (const scan of scans) {
      const take = own[scan.id]!.map((value, k) => Math.min(Math.max(value, 0), left[k]!));
      subtract(own[scan.id]!, take);
      subtract(left, take);
      if (take[TIME]! > ROUNDING_MS) record.takenFrom.push({ nodeId: scan.id, timeMs: take[TIME]! });
    }
    if (cte.nodeType === 'ModifyTable') {
      record.afterRootMs = Math.max(0, left[TIME]!);
      afterRootMs += record.afterRootMs;
    } else {
      subtract(own[owner.id]!, left.map((value) => Math.max(0, value)));
      if (left[TIME]! > ROUNDING_MS) record.takenFrom.push({ nodeId: owner.id, timeMs: left[TIME]! });
    }
    attributions.push(record);
  }

  // Pre-order: a node's excess is settled before its children's own figures are read.
  for (const node of nodes) {
    const figures = own[node.id]!;
    if (!figures.some((value) => value < 0)) continue;
    const initPlans = node.childIds
      .map((id) => nodes[id]!)
      .filter((child) => child.parentRelationship === 'InitPlan' && !isCteSubplan(child))
      .map((plan) => ({ plan, references: initPlanReferences(plan.subplanName ?? '') }));
    // The excess is time counted twice: inside a node below and under one of this node's InitPlans.
    // It cannot be inside those InitPlans themselves, nor inside a CTE (attributed above).
    const skipped = new Set(initPlans.map((i) => i.plan.id));
    const below = descendants(nodes, node, (child) => skipped.has(child.id) || isCteSubplan(child));
    const userOf = new Map<number, PlanNode>();
    for (const candidate of below) {
      const used = initPlans.find((i) => mentions(candidate, i.references));
      if (used) userOf.set(candidate.id, used.plan);
    }
    for (let k = 0; k < figures.length; k++) {
      if (figures[k]! >= 0) continue;
      let excess = -figures[k]!;
      figures[k] = 0;
      const others = below.filter((c) => !userOf.has(c.id)).sort((a, b) => own[b.id]![k]! - own[a.id]![k]!);
      for (const candidate of [...below.filter((c) => userOf.has(c.id)), ...others]) {
        if (excess <= 0) break;
        const take = Math.min(Math.max(own[candidate.id]![k]!, 0), excess);
        own[candidate.id]![k]! -= take;
        excess -= take;
        const plan = userOf.get(candidate.id);
        if (k === TIME && plan && take > ROUNDING_MS) {
          attributions.push({
            nodeId: plan.id,
            name: plan.subplanName ?? 'InitPlan',
            ownerId: node.id,
            kind: 'initplan',
            inclusiveTimeMs: plan.inclusiveTimeMs,
            takenFrom: [{ nodeId: candidate.id, timeMs: take }],
            afterRootMs: 0,
          });
        }
      }
    }
  }

  for (const node of nodes) {
    const figures = own[node.id]!.map((value) => Math.max(0, value));
    node.exclusiveTimeMs = figures[TIME]!;
    node.exclusiveBuffers = Object.fromEntries(BUFFER_KEYS.map((key, i) => [key, figures[1 + i]!])) as unknown as PlanBuffers;
    node.exclusiveIo = Object.fromEntries(IO_KEYS.map((key, i) => [key, figures[1 + BUFFER_KEYS.length + i]!])) as unknown as PlanIoTiming;
  }
  attributions.sort((a, b) => a.nodeId - b.nodeId);
  return { attributions, afterRootMs };
}
