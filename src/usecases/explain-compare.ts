/**
 * Use case: `perfbench explain --compare` — the plan without and with an index on the filter
 * column, in ONE transaction that is rolled back. Without an index, run 1 of "before" is the real
 * no-index plan; then a B-tree is built inside the transaction (it blocks writes to the table until
 * the rollback) and later "before" runs disable index scans for the planner. With an index, every
 * "before" run disables index scans. Runs alternate before/after so drift and cache warming hit
 * both sides.
 */
import { filterIndexes, indexHiddenFromBuilder, indexNames, inSavepoint } from '../db/explain.js';
import { addIndex, requireColumn } from '../db/indexes.js';
import { UserError } from '../errors.js';
import type { BeforeMethod, ExplainCompareResult, ExplainRequest, ExplainTarget } from '../plan/explain.js';
import { diffPlans } from '../plan/plan-diff.js';
import { everyPlanUsesIndex, scanDrift } from '../plan/plan-inspection.js';
import type { ParsedPlan } from '../plan/plan.js';
import type { Runtime } from '../runtime.js';
import { bindStatement, checkAborted, explainOnce, rolledBack, sourceOf, type BoundStatement, type ExplainClient } from './explain-statement.js';

const WHAT = 'explain --compare stopped';

/** The runs of both sides, as they accumulate inside the transaction. */
interface Sides {
  before: ParsedPlan[];
  after: ParsedPlan[];
  beforeMethods: BeforeMethod[];
  /** The index "after" runs with: the existing one, or the one built for run 1's sake. */
  indexName: string;
  category: string | null;
}

/** What the phases share: where to say progress and where caveats go (stderr, and the result). */
interface Session {
  runtime: Runtime;
  client: ExplainClient;
  target: ExplainTarget;
  runs: number;
  note: (line: string) => void;
}

/**
 * The index names are read before the transaction and compared after it, so a rollback that somehow
 * kept an index could never pass as success.
 */
export async function explainCompare(runtime: Runtime, request: ExplainRequest, runs: number): Promise<ExplainCompareResult> {
  const { target, timeoutMs } = request;
  const client = await runtime.client();
  await requireColumn(client, target.table, target.column);
  const namesBefore = await indexNames(client, target.table);
  const existing = (await filterIndexes(client, target))[0]?.name;
  const notes: string[] = [];
  const note = (line: string) => {
    notes.push(line);
    runtime.out.warn(line);
  };
  const session: Session = { runtime, client, target, runs, note };

  const sides = await rolledBack(runtime, client, timeoutMs, WHAT, () => measureSides(session, existing));
  await requireIndexesUnchanged(client, target, namesBefore);

  const drift = sides.beforeMethods[0] === 'no-index' ? scanDrift(sides.before, target.table.name) : null;
  if (drift !== null) {
    note(`"before" run 1 (no index) read ${target.table.name} as ${drift.first ?? 'nothing'}, later runs with index scans disabled as ${drift.later}; compare with --runs 1 for the no-index plan alone`);
  }
  const afterUsesIndex = everyPlanUsesIndex(sides.after, target.table.name, sides.indexName);
  if (!afterUsesIndex) note(`the planner did not use ${sides.indexName} in every "after" run: the index does not help this query as written`);

  return {
    source: sourceOf(target, sides.category),
    diff: diffPlans(sides.before, sides.after),
    before: sides.before,
    after: sides.after,
    beforeMethods: sides.beforeMethods,
    index: { name: sides.indexName, builtInTransaction: existing === undefined },
    afterUsesIndex,
    timeoutMs,
    indexesUnchanged: true,
    notes,
  };
}

/** Inside the transaction: both sides, interleaved run by run. */
async function measureSides(session: Session, existing: string | undefined): Promise<Sides> {
  const { runtime, client, target, runs } = session;
  const { statement, category } = await bindStatement(runtime, client, target);
  const sides: Sides = { before: [], after: [], beforeMethods: [], indexName: existing ?? '', category };
  if (existing === undefined) {
    sides.indexName = await beforeWithoutIndex(session, statement, sides);
  } else {
    runtime.out.say(`${target.table.text}(${target.column.text}) has index ${existing}: "before" runs disable index scans (SET LOCAL enable_indexscan, enable_bitmapscan, enable_indexonlyscan = off)`);
  }
  for (let run = 0; run < runs; run++) {
    if (sides.before.length <= run) {
      checkAborted(runtime, WHAT);
      runtime.out.say(`before, run ${run + 1}/${runs}: index scans disabled`);
      sides.before.push(await inSavepoint(client, { disableIndexScans: true }, () => explainOnce(client, statement)));
      sides.beforeMethods.push('index-scans-disabled');
    }
    checkAborted(runtime, WHAT);
    runtime.out.say(`after, run ${run + 1}/${runs}: with ${sides.indexName}`);
    sides.after.push(await inSavepoint(client, { disableIndexScans: false }, () => explainOnce(client, statement)));
  }
  return sides;
}

/** Run 1 of "before" on the table as it is (no index), then the index for the rest: returns its name. */
async function beforeWithoutIndex(session: Session, statement: BoundStatement, sides: Sides): Promise<string> {
  const { runtime, client, target, runs, note } = session;
  const on = `${target.table.text}(${target.column.text})`;
  runtime.out.say(`before, run 1/${runs}: no index on ${on}`);
  sides.before.push(await inSavepoint(client, { disableIndexScans: false }, () => explainOnce(client, statement)));
  sides.beforeMethods.push('no-index');
  checkAborted(runtime, WHAT);
  runtime.out.say(`building a B-tree on ${on} inside the transaction (rolled back at the end; writes to the table wait until then)`);
  const outcome = await addIndex(client, { table: target.table, column: target.column, method: 'btree', concurrently: false, withinTransaction: true });
  if (await indexHiddenFromBuilder(client, target.table, outcome.name)) {
    note(`PostgreSQL marked ${outcome.name} as not yet usable by the transaction that built it (the table has broken HOT chains), so "after" may not use it; compare with \`perfbench index add\` and two plain explains instead`);
  }
  return outcome.name;
}

/** The rollback guarantees this; if it ever fails, say so loudly rather than report success. */
async function requireIndexesUnchanged(client: ExplainClient, target: ExplainTarget, namesBefore: string[]): Promise<void> {
  const namesAfter = await indexNames(client, target.table);
  if (namesAfter.join('\n') !== namesBefore.join('\n')) {
    throw new UserError(`the indexes of ${target.table.text} changed during explain --compare: before [${namesBefore.join(', ')}], now [${namesAfter.join(', ')}]`, 'this is a bug in perfbench; please report it');
  }
}
