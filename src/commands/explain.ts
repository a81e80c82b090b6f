import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type pg from 'pg';
import { diffPlans, type PlanDiff } from '../plan/plan-diff.js';
import { planWarnings, type PlanWarning } from '../plan/plan-warnings.js';
import { findRelationScan, parsePlan, type ParsedPlan } from '../plan/plan.js';
import type { AcceptedStatement } from '../plan/statement.js';
import { printable, type Identifier } from '../workload/identifiers.js';
import { addIndex, listIndexes, qualified, requireColumn, type IndexInfo } from '../db/indexes.js';
import { reportQuery } from '../db/report.js';
import { sql } from '../db/sql.js';
import { ExitCode, firstLine, interruptedError, isPostgresError, usageError, UserError } from '../errors.js';
import type { ExplainCompareDocument, ExplainDocument } from '../report/plan-json.js';
import type { Runtime } from '../runtime.js';
import { renderExplain, renderExplainCompare } from '../report/explain-output.js';
import type { CommandContext } from '../flags/context.js';
import { DEFAULT_RUNS, EXPLAIN_FORMATS, explainOptions, type ExplainFlags } from './explain-options.js';
import { repeatable } from '../flags/options.js';

/** The first category of the default set (`categoryName(0, 1000)`), used when the table holds it. */
export const DEFAULT_CATEGORY = 'cat-000';
export const DEFAULT_TIMEOUT_MS = 30_000;

/** What to explain: the report query for a category, or the user's statement. */
export type ExplainTarget =
  | { kind: 'report'; table: Identifier; column: Identifier; category?: string }
  | {
      kind: 'query';
      text: string;
      params: string[];
      statement: AcceptedStatement;
      /** The table and column whose index the output checks (and `--compare` toggles). */
      table: Identifier;
      column: Identifier;
      /** True when --table or --column was given: then they must exist; else they are checked only if present. */
      explicitSource: boolean;
    };

export interface ExplainRequest {
  target: ExplainTarget;
  /** `SET LOCAL statement_timeout` for every statement of the run. */
  timeoutMs: number;
}

/** Where a plan came from, as the JSON documents report it. */
export interface ExplainSource {
  kind: 'report' | 'query' | 'file';
  table: string | null;
  column: string | null;
  /** The report's category ($1), for `kind: report`. */
  category: string | null;
  /** The user's statement, for `kind: query`. */
  query: string | null;
  /** Its `--param` values, $1 first. */
  params: string[];
  /** The `--file` path, for `kind: file`. */
  file: string | null;
}

/** "Is it using the index?": the valid indexes whose first column is the filter column, and whether the plan read the table through one. */
export interface IndexCheck {
  table: string;
  column: string;
  /** Empty when the column has no index. */
  indexes: string[];
  /** How the plan read the table (`Bitmap Heap Scan on products using …`); null when it never reads it. */
  scan: string | null;
  usesIndex: boolean;
}

/** Rows a ModifyTable node wrote (and the rollback undid). */
export interface WriteSummary {
  /** Insert, Update, Delete or Merge. */
  operation: string;
  relation: string | null;
  /** Rows fed into the ModifyTable node: the rows it inserted, updated or deleted. */
  rows: number;
}

export interface ExplainResult {
  source: ExplainSource;
  plan: ParsedPlan;
  warnings: PlanWarning[];
  /** True when the statement ran (always inside a transaction that was rolled back); false for --file. */
  rolledBack: boolean;
  timeoutMs: number | null;
  writes: WriteSummary[];
  indexCheck: IndexCheck | null;
}

/** How a "before" run of --compare kept the planner off the index. */
export type BeforeMethod = 'no-index' | 'index-scans-disabled';

export interface CompareResult {
  source: ExplainSource;
  diff: PlanDiff;
  before: ParsedPlan[];
  after: ParsedPlan[];
  beforeMethods: BeforeMethod[];
  /** The index the "after" side had: an existing one, or one built inside the transaction. */
  index: { name: string; builtInTransaction: boolean };
  /** True when every "after" run read the table through `index.name`. */
  afterUsesIndex: boolean;
  timeoutMs: number;
  /** Checked after the rollback: the table's index names are what they were before the command. */
  indexesUnchanged: true;
  /** Caveats found on the way (also said on stderr). */
  notes: string[];
}

/** The JSON of `explain`: the plan document plus where it came from and what the run did. */
export type ExplainJson = ExplainDocument & {
  source: ExplainSource;
  run: { rolledBack: boolean; timeoutMs: number | null; writes: WriteSummary[] };
  indexCheck: IndexCheck | null;
};

/** The JSON of `explain --compare`. */
export type ExplainCompareJson = ExplainCompareDocument & {
  source: ExplainSource;
  compare: {
    index: string;
    indexBuiltInTransaction: boolean;
    beforeMethods: BeforeMethod[];
    afterUsesIndex: boolean;
    timeoutMs: number;
    rolledBack: true;
    indexesUnchanged: true;
    notes: string[];
  };
};

/* ------------------------------------------------------------------------------------------------
 * Running statements safely
 * --------------------------------------------------------------------------------------------- */

/**
 * Runs `body` inside BEGIN … ROLLBACK with `statement_timeout` set for the transaction. Ctrl-C
 * cancels the running statement; either way the transaction is rolled back, so explain never
 * leaves a write, an index or a setting behind.
 */
async function inRolledBackTransaction<T>(runtime: Runtime, client: pg.Client, timeoutMs: number, what: string, body: () => Promise<T>): Promise<T> {
  const stopCancelling = runtime.cancelOnAbort(client);
  try {
    checkAborted(runtime, what);
    await client.query('BEGIN');
    try {
      await client.query(sql('explain-timeout'), [String(timeoutMs)]);
      return await body();
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
    }
  } catch (error) {
    if (runtime.signal.aborted) throw interruptedError(`${what}; the transaction was rolled back, nothing was changed`);
    if (isPostgresError(error) && error.code === '57014') {
      throw new UserError(
        `the statement ran longer than --timeout ${timeoutMs} ms and was cancelled (statement_timeout); the transaction was rolled back`,
        'raise --timeout, or explain a cheaper query',
        ExitCode.failure,
      );
    }
    throw error;
  } finally {
    stopCancelling();
  }
}

/** Between statements a cancel has nothing to cancel: stop before starting the next one. */
function checkAborted(runtime: Runtime, what: string): void {
  if (runtime.signal.aborted) throw interruptedError(`${what}; the transaction was rolled back, nothing was changed`);
}

/** The text of EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) for a statement, and where the statement starts in it. */
function explainText(statement: string): { text: string; offset: number } {
  const prefix = sql('explain', { statement: '' });
  return { text: prefix + statement, offset: prefix.length };
}

interface Prepared {
  statement: string;
  values: string[];
  /** For error messages: `--query`, or the report query. */
  userQuery: boolean;
}

/**
 * Runs EXPLAIN ANALYZE once and parses the plan. Always through the extended protocol, even
 * without parameters: it accepts exactly one statement, a second guard behind the classifier.
 */
async function runExplain(client: pg.ClientBase, prepared: Prepared): Promise<ParsedPlan> {
  const { text, offset } = explainText(prepared.statement);
  try {
    const config = { text, values: prepared.values, queryMode: 'extended' } as pg.QueryConfig;
    const result = await client.query(config);
    return parsePlan(result.rows[0]);
  } catch (error) {
    throw userQueryError(error, prepared, offset);
  }
}

/**
 * PostgreSQL errors the user's input causes become usage errors (exit 2) naming the flag: a syntax
 * error, an unknown table or column (SQLSTATE class 42), or a --param / --category value that does
 * not fit its column (class 22). Anything else (timeouts, lost connections) passes through.
 */
function userQueryError(error: unknown, prepared: Prepared, offset: number): unknown {
  if (!isPostgresError(error)) return error;
  const klass = error.code.slice(0, 2);
  if (prepared.userQuery && (klass === '42' || klass === '22')) {
    const position = Number(error.position);
    const at = Number.isFinite(position) && position > offset ? ` (at character ${position - offset} of --query)` : '';
    return usageError(`--query failed: PostgreSQL error ${error.code}: ${firstLine(error.message)}${at}`, 'fix the statement, or run it in psql first');
  }
  if (!prepared.userQuery && klass === '42') {
    // The table has the filter column (checked before) but not the columns the report selects.
    return usageError(`the table cannot serve the report query: PostgreSQL error ${error.code}: ${firstLine(error.message)}`,
      'it needs id, name, category, price and created_at columns; create one with `perfbench seed --table <name>`, or pass --query');
  }
  if (!prepared.userQuery && klass === '22') {
    return usageError(`--category '${printable(prepared.values[0] ?? '')}' does not fit the column: PostgreSQL error ${error.code}: ${firstLine(error.message)}`, 'pass a --category value of the column\'s type');
  }
  return error;
}

/** The valid, non-partial indexes whose first column is `column`: the ones the report's filter can use. */
async function columnIndexes(client: pg.ClientBase, table: Identifier, column: Identifier): Promise<IndexInfo[]> {
  return (await listIndexes(client, table)).filter((index) => index.valid && !index.partial && index.columns[0] === column.name);
}

/** Whether the plan read the table through one of the column's indexes. */
export function indexCheckOf(plan: ParsedPlan, table: Identifier, column: Identifier, indexes: string[]): IndexCheck {
  // The plan names relations without their schema unless VERBOSE, so match on the bare name.
  const scan = findRelationScan(plan, table.name);
  return {
    table: table.text,
    column: column.text,
    indexes,
    scan: scan?.description ?? null,
    usesIndex: Boolean(scan?.usesIndex && scan.indexes.some((name) => indexes.includes(name))),
  };
}

/** The ModifyTable nodes of a plan: what the statement wrote before the rollback undid it. */
export function writesOf(plan: ParsedPlan): WriteSummary[] {
  return plan.nodes
    .filter((node) => node.nodeType === 'ModifyTable')
    .map((node) => {
      const child = node.childIds.map((id) => plan.nodes[id]!).find((c) => c.parentRelationship !== 'InitPlan' && c.parentRelationship !== 'SubPlan');
      return {
        operation: typeof node.raw['Operation'] === 'string' ? node.raw['Operation'] : 'Modify',
        relation: node.relation ?? null,
        rows: child ? Math.round(child.actualRows * child.loops) : 0,
      };
    });
}

async function defaultCategory(client: pg.ClientBase, table: Identifier, column: Identifier): Promise<string | null> {
  const result = await client.query<{ category: string | null }>(sql('explain-default-category', { table: table.sql, column: column.sql }), [DEFAULT_CATEGORY]);
  return result.rows[0]?.category ?? null;
}

function sourceOf(target: ExplainTarget, category: string | null): ExplainSource {
  if (target.kind === 'report') {
    return { kind: 'report', table: target.table.text, column: target.column.text, category, query: null, params: [], file: null };
  }
  return {
    kind: 'query',
    table: target.explicitSource ? target.table.text : null,
    column: target.explicitSource ? target.column.text : null,
    category: null,
    query: target.text,
    params: target.params,
    file: null,
  };
}

/** Resolves the statement to run: the report query for a category, or the user's statement. */
async function prepare(runtime: Runtime, client: pg.ClientBase, target: ExplainTarget): Promise<{ prepared: Prepared; category: string | null }> {
  if (target.kind === 'query') return { prepared: { statement: target.text, values: target.params, userQuery: true }, category: null };
  let category = target.category ?? null;
  if (category === null) {
    category = await defaultCategory(client, target.table, target.column);
    if (category === null) {
      runtime.out.warn(`${target.table.text} has no rows; explaining the report for '${DEFAULT_CATEGORY}'`);
      category = DEFAULT_CATEGORY;
    }
  }
  return { prepared: { statement: reportQuery(target), values: [category], userQuery: false }, category };
}

/**
 * `perfbench explain`: runs EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) for the report query or the
 * user's statement inside a transaction that is rolled back, and returns the parsed plan with its
 * warnings, what it wrote, and whether it used the filter column's index.
 */
export async function explain(runtime: Runtime, request: ExplainRequest): Promise<ExplainResult> {
  const { target, timeoutMs } = request;
  const client = await runtime.client();
  let checkIndex = true;
  if (target.kind === 'report' || target.explicitSource) {
    await requireColumn(client, target.table, target.column);
  } else {
    // Defaults (products.category) that do not exist are not the user's concern with --query.
    checkIndex = await requireColumn(client, target.table, target.column).then(() => true, () => false);
  }
  const indexes = checkIndex ? (await columnIndexes(client, target.table, target.column)).map((index) => index.name) : [];
  const what = 'explain stopped';
  const { plan, category } = await inRolledBackTransaction(runtime, client, timeoutMs, what, async () => {
    const { prepared, category } = await prepare(runtime, client, target);
    checkAborted(runtime, what);
    runtime.out.say(target.kind === 'report'
      ? `explaining the report query on ${target.table.text}(${target.column.text}) for '${printable(category ?? '')}' (statement_timeout ${timeoutMs} ms; rolled back afterwards)`
      : `explaining --query${target.statement.kind === 'write' ? ', which writes' : ''} (statement_timeout ${timeoutMs} ms; rolled back afterwards)`);
    return { plan: await runExplain(client, prepared), category };
  });
  const source = sourceOf(target, category);
  let indexCheck: IndexCheck | null = null;
  if (checkIndex && (target.kind === 'report' || target.explicitSource || findRelationScan(plan, target.table.name))) {
    indexCheck = indexCheckOf(plan, target.table, target.column, indexes);
  }
  return { source, plan, warnings: planWarnings(plan), rolledBack: true, timeoutMs, writes: writesOf(plan), indexCheck };
}

/** The `plan` of perfbench's own `explain --format json` output, so it can be read back with --file. */
function ownDocument(text: string): unknown[] | undefined {
  try {
    const document = JSON.parse(text) as { kind?: unknown; plan?: unknown };
    return document?.kind === 'perfbench.explain' && Array.isArray(document.plan) ? document.plan : undefined;
  } catch {
    return undefined;
  }
}

/** `perfbench explain --file`: a saved EXPLAIN JSON (or perfbench's own JSON output), no database. */
export async function explainFile(path: string): Promise<ExplainResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw usageError(`cannot read --file ${printable(path, 120)}: ${why}`, 'pass the path of a saved EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output');
  }
  let plan: ParsedPlan;
  try {
    plan = parsePlan(ownDocument(text) ?? text);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`--file ${printable(path, 120)}: ${error.message}`, error.hint, error.exitCode);
    throw error;
  }
  return {
    source: { kind: 'file', table: null, column: null, category: null, query: null, params: [], file: path },
    plan,
    warnings: planWarnings(plan),
    rolledBack: false,
    timeoutMs: null,
    writes: writesOf(plan),
    indexCheck: null,
  };
}

/* ------------------------------------------------------------------------------------------------
 * --compare
 * --------------------------------------------------------------------------------------------- */

/** One run inside its own savepoint: a write run sees the same rows as the first, and SET LOCALs made for it are undone. */
async function isolatedRun(client: pg.ClientBase, prepared: Prepared, disableIndexScans: boolean): Promise<ParsedPlan> {
  await client.query('SAVEPOINT perfbench_run');
  if (disableIndexScans) await client.query(sql('explain-planner-off'));
  const plan = await runExplain(client, prepared);
  await client.query('ROLLBACK TO SAVEPOINT perfbench_run');
  await client.query('RELEASE SAVEPOINT perfbench_run');
  return plan;
}

/**
 * `perfbench explain --compare`: the plan without and with an index on the filter column, in ONE
 * transaction that is rolled back. Without an index, run 1 of "before" is the real no-index plan;
 * then a B-tree is built inside the transaction (it blocks writes to the table until the rollback)
 * and later "before" runs disable index scans for the planner. With an index, every "before" run
 * disables index scans. Runs alternate before/after so drift and cache warming hit both sides.
 */
export async function explainCompare(runtime: Runtime, request: ExplainRequest, runs: number): Promise<CompareResult> {
  const { target, timeoutMs } = request;
  const client = await runtime.client();
  await requireColumn(client, target.table, target.column);
  const namesBefore = (await listIndexes(client, target.table)).map((index) => index.name).sort();
  const existing = await columnIndexes(client, target.table, target.column);
  const before: ParsedPlan[] = [];
  const after: ParsedPlan[] = [];
  const beforeMethods: BeforeMethod[] = [];
  const notes: string[] = [];
  const note = (line: string) => {
    notes.push(line);
    runtime.out.warn(line);
  };
  let indexName = existing[0]?.name;
  const builtInTransaction = indexName === undefined;
  const what = 'explain --compare stopped';

  const category = await inRolledBackTransaction(runtime, client, timeoutMs, what, async () => {
    const { prepared, category } = await prepare(runtime, client, target);
    if (indexName === undefined) {
      runtime.out.say(`before, run 1/${runs}: no index on ${target.table.text}(${target.column.text})`);
      before.push(await isolatedRun(client, prepared, false));
      beforeMethods.push('no-index');
      checkAborted(runtime, what);
      runtime.out.say(`building a B-tree on ${target.table.text}(${target.column.text}) inside the transaction (rolled back at the end; writes to the table wait until then)`);
      const outcome = await addIndex(client, { table: target.table, column: target.column, method: 'btree', concurrently: false, withinTransaction: true });
      indexName = outcome.name;
      const checkxmin = await client.query<{ checkxmin: boolean }>(sql('explain-index-checkxmin'), [qualified(target.table, indexName)]);
      if (checkxmin.rows[0]?.checkxmin) {
        note(`PostgreSQL marked ${indexName} as not yet usable by the transaction that built it (the table has broken HOT chains), so "after" may not use it; compare with \`perfbench index add\` and two plain explains instead`);
      }
    } else {
      runtime.out.say(`${target.table.text}(${target.column.text}) has index ${indexName}: "before" runs disable index scans (SET LOCAL enable_indexscan, enable_bitmapscan, enable_indexonlyscan = off)`);
    }
    for (let run = 0; run < runs; run++) {
      if (before.length <= run) {
        checkAborted(runtime, what);
        runtime.out.say(`before, run ${run + 1}/${runs}: index scans disabled`);
        before.push(await isolatedRun(client, prepared, true));
        beforeMethods.push('index-scans-disabled');
      }
      checkAborted(runtime, what);
      runtime.out.say(`after, run ${run + 1}/${runs}: with ${indexName}`);
      after.push(await isolatedRun(client, prepared, false));
    }
    return category;
  });

  const namesAfter = (await listIndexes(client, target.table)).map((index) => index.name).sort();
  if (namesAfter.join('\n') !== namesBefore.join('\n')) {
    // The rollback guarantees this; if it ever fails, say so loudly rather than report success.
    throw new UserError(`the indexes of ${target.table.text} changed during explain --compare: before [${namesBefore.join(', ')}], now [${namesAfter.join(', ')}]`, 'this is a bug in perfbench; please report it');
  }

  const name = indexName!;
  const scanOf = (plan: ParsedPlan) => findRelationScan(plan, target.table.name);
  if (beforeMethods[0] === 'no-index' && before.length > 1) {
    const real = scanOf(before[0]!)?.description;
    const simulated = before.slice(1).map((plan) => scanOf(plan)?.description).find((d) => d !== real);
    if (simulated !== undefined) {
      note(`"before" run 1 (no index) read ${target.table.name} as ${real ?? 'nothing'}, later runs with index scans disabled as ${simulated}; compare with --runs 1 for the no-index plan alone`);
    }
  }
  const afterUsesIndex = after.every((plan) => scanOf(plan)?.indexes.includes(name) ?? false);
  if (!afterUsesIndex) note(`the planner did not use ${name} in every "after" run: the index does not help this query as written`);

  return {
    source: sourceOf(target, category),
    diff: diffPlans(before, after),
    before,
    after,
    beforeMethods,
    index: { name, builtInTransaction },
    afterUsesIndex,
    timeoutMs,
    indexesUnchanged: true,
    notes,
  };
}

/* ------------------------------------------------------------------------------------------------
 * Command line
 * --------------------------------------------------------------------------------------------- */

const HELP = `
Every run is EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) inside a transaction that is rolled back,
under SET LOCAL statement_timeout (--timeout). ANALYZE executes the statement: a --query that writes
(INSERT, UPDATE, DELETE, MERGE, a data-modifying CTE) is undone by the rollback and the output says
so (sequences still advance; functions with effects outside the transaction are not undone).
DDL, transaction control and several statements are refused before anything runs.

--compare builds a B-tree on --column inside the same transaction when there is none (writes to
the table wait until the rollback), or disables index scans for the "before" runs when there is one.
No index or setting outlives the command.

Exit codes: 0 ok; 1 the run failed (timeout, lost connection); 2 bad flags, a refused statement, an
error in --query (syntax, unknown table or column), a missing or corrupt --file; 130 Ctrl-C.

Examples:
  perfbench explain                                 # the report query for cat-000 on products
  perfbench explain --compare --runs 5              # before/after an index on category, nothing kept
  perfbench explain --query "SELECT * FROM products WHERE price < \\$1" --param 5 --column price
  perfbench explain --format json > plan.json && perfbench explain --file plan.json --format markdown`;

export function register(program: Command, context: CommandContext): void {
  program
    .command('explain')
    .description('EXPLAIN ANALYZE the report query (or --query): plan tree, warnings, index check, before/after with --compare')
    .option('--category <value>', `category for the report query (default: ${DEFAULT_CATEGORY} when present, else the first row's)`)
    .option('--table <name>', 'table of the report query, and whose index --compare toggles (default: products)')
    .option('--column <name>', 'filter column of the report query, and the column --compare indexes (default: category)')
    .option('--query <sql>', 'explain this statement instead of the report query ($1, $2… take --param values)')
    .option('--param <value>', 'a value for the next $n placeholder of --query (repeat in order)', repeatable)
    .option('--file <path>', 'render a saved EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output; no database')
    .option('--compare', 'the plan without and with an index on --column, in one transaction that is rolled back')
    .option('--runs <n>', `with --compare: before/after runs, interleaved; medians are reported (default: ${DEFAULT_RUNS})`)
    .option('--format <f>', `output: ${EXPLAIN_FORMATS.join(' | ')}`, 'text')
    .option('--timeout <ms>', 'statement_timeout for every statement of the run', String(DEFAULT_TIMEOUT_MS))
    .addHelpText('after', HELP)
    .action((flags: ExplainFlags) => context.run(async (runtime) => {
      const options = explainOptions(flags);
      const chalk = runtime.out.color.level > 0 ? runtime.out.color : undefined;
      if (options.mode === 'file') {
        runtime.out.data(renderExplain(await explainFile(options.path), options.format, chalk));
      } else if (options.mode === 'explain') {
        runtime.out.data(renderExplain(await explain(runtime, options.request), options.format, chalk));
      } else {
        runtime.out.data(renderExplainCompare(await explainCompare(runtime, options.request, options.runs), options.format, chalk));
      }
    }));
}
