/**
 * Plan domain: which nodes were stopped before they ran out of rows. EXPLAIN's `Plan Rows` is the
 * planner's estimate of a node's *whole* output, but a node only produces rows while the node above
 * keeps asking: under a Limit that has its rows, or on the inner side of a semi-join that found its
 * match, a node returns a fraction of its estimate without the estimate being wrong. pgMustard and
 * pev2 users meet this as "a 4,902x misestimate" on a top-N sort; the warnings read this module to
 * not call it one. Pure.
 *
 * What is detected, and only that (the plan does not say more):
 * - a **Limit** that returned at least the rows it was planned to return (`Actual Rows >= Plan
 *   Rows`; for a constant LIMIT n the planner plans min(n, input) rows, so reaching it means the
 *   Limit had its rows and stopped reading). A Limit that returned fewer ran its input dry, so the
 *   input's count is real. A `LIMIT $1` in a generic plan is planned at a guess and is missed;
 * - the inner side of a **Nested Loop Semi/Anti Join**, or of one whose inner side is unique
 *   (`Inner Unique`): it stops at the first match of each outer row;
 * - a **Merge Join**, which stops reading one side when the other runs out (which side depends on
 *   the join type; which one actually stopped the plan does not say, so both may be flagged);
 * - a **SubPlan or InitPlan** that returned at most one row per run while more were estimated:
 *   EXISTS, IN and ANY stop as soon as the answer is known;
 * - and from any of these, down through nodes that stream their input (a node above a Sort, a Hash,
 *   a hashed or plain Aggregate or a bitmap read all of its input before the cut, so the cut stops
 *   there); a CTE every one of whose scans was cut short was cut short too.
 */
import type { EarlyStop, PlanNode } from './plan-model.js';
import { isCteSubplan, isSubplanChild } from './plan-time.js';

/** Nodes that read all of their input before returning a first row: a cut above them does not reach below. */
function readsAllInput(node: PlanNode): boolean {
  const strategy = node.raw['Strategy'];
  switch (node.nodeType) {
    case 'Sort':
    case 'Hash':
    case 'Bitmap Heap Scan':
    case 'BitmapAnd':
    case 'BitmapOr':
      return true;
    case 'Aggregate':
      return strategy !== 'Sorted';
    case 'SetOp':
      return strategy === 'Hashed';
    default:
      return false;
  }
}

/** The inputs (not InitPlans or SubPlans) of a node. */
function inputs(nodes: PlanNode[], node: PlanNode): PlanNode[] {
  return node.childIds.map((id) => nodes[id]!).filter((child) => !isSubplanChild(child));
}

/** Join types whose outer side a Merge Join stops reading once the inner side runs out, and vice versa. */
const MERGE_CUTS_OUTER = new Set(['Inner', 'Semi', 'Right', 'Right Semi', 'Right Anti']);
const MERGE_CUTS_INNER = new Set(['Inner', 'Semi', 'Anti', 'Left']);

/** The inputs a node passes a cut on to when it is itself cut short. */
function streamedInputs(nodes: PlanNode[], node: PlanNode): PlanNode[] {
  if (readsAllInput(node)) return [];
  const children = inputs(nodes, node);
  // A Nested Loop or Hash Join reads its outer side as it goes; each inner run (or the hash table)
  // is read to the end before the cut can come.
  if (node.nodeType === 'Nested Loop' || node.nodeType === 'Hash Join') return children.slice(0, 1);
  return children;
}

/** The inputs a node itself stops reading before they run out, with why. */
function cutsOf(nodes: PlanNode[], node: PlanNode): [PlanNode, EarlyStop][] {
  if (node.neverExecuted) return [];
  const children = inputs(nodes, node);
  const by = (reason: string): EarlyStop => ({ byNodeId: node.id, reason });
  if (node.nodeType === 'Limit' && node.actualRows > 0 && node.actualRows >= node.estimatedRows) {
    const rows = node.loops > 1 ? `${Math.round(node.actualRows)} rows per loop` : `${Math.round(node.actualRows)} rows`;
    return children.slice(0, 1).map((c) => [c, by(`the Limit (#${node.id}) got the ${rows} it was planned to return and stopped reading`)]);
  }
  if (node.nodeType === 'Nested Loop' && children.length === 2) {
    const joinType = node.joinType ?? 'Inner';
    if (joinType === 'Semi' || joinType === 'Anti') {
      return [[children[1]!, by(`the ${node.operation} (#${node.id}) stops reading its inner side at the first match for each outer row`)]];
    }
    if (node.raw['Inner Unique'] === true) {
      return [[children[1]!, by(`the ${node.operation} (#${node.id}) has a unique inner side (Inner Unique) and stops reading it at the first match for each outer row`)]];
    }
  }
  if (node.nodeType === 'Merge Join' && children.length === 2) {
    const joinType = node.joinType ?? 'Inner';
    const reason = by(`the ${node.operation} (#${node.id}) stops reading one side when the other runs out`);
    const cut: [PlanNode, EarlyStop][] = [];
    if (MERGE_CUTS_OUTER.has(joinType)) cut.push([children[0]!, reason]);
    if (MERGE_CUTS_INNER.has(joinType)) cut.push([children[1]!, reason]);
    return cut;
  }
  const subplans = node.childIds
    .map((id) => nodes[id]!)
    .filter((c) => isSubplanChild(c) && !isCteSubplan(c) && !c.neverExecuted && c.actualRows <= 1 && c.estimatedRows > c.actualRows);
  return subplans.map((c) => [c, by(`${c.subplanName ?? 'the subplan'} may stop at its first row (EXISTS, IN and ANY stop as soon as the answer is known)`)]);
}

/**
 * Sets `stoppedEarly` on every node that a node above may have stopped reading before it ran out
 * of rows, with the first such reason found (outermost first).
 */
export function markEarlyStops(nodes: PlanNode[]): void {
  const mark = (node: PlanNode, stop: EarlyStop): void => {
    if (node.stoppedEarly || node.neverExecuted) return;
    node.stoppedEarly = stop;
    for (const child of streamedInputs(nodes, node)) mark(child, stop);
  };
  for (const node of nodes) {
    for (const [child, stop] of cutsOf(nodes, node)) mark(child, stop);
  }
  // A CTE is run lazily, as its scans pull rows: when every scan that ran was cut short, so was it.
  // Not a data-modifying one: PostgreSQL runs it to completion whatever its readers take. Repeat,
  // since a CTE can be read only by the scans inside another CTE.
  for (let changed = true; changed; ) {
    changed = false;
    for (const cte of nodes.filter((n) => isCteSubplan(n) && n.nodeType !== 'ModifyTable' && !n.stoppedEarly && !n.neverExecuted)) {
      const name = cte.subplanName!.slice(4);
      const scans = nodes.filter((n) => n.nodeType === 'CTE Scan' && n.cteName === name && !n.neverExecuted);
      const first = scans[0]?.stoppedEarly;
      if (first && scans.every((scan) => scan.stoppedEarly)) {
        mark(cte, { byNodeId: first.byNodeId, reason: `every scan of CTE ${name} was cut short: ${first.reason}` });
        changed = true;
      }
    }
  }
}
