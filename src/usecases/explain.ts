/**
 * Use case: `perfbench explain` — one plan of the report workload or the user's statement, taken
 * inside a transaction that is rolled back, with its warnings, what it wrote and whether it used the
 * filter column's index; or the same answers for a saved plan, without a database.
 */
import { readFile } from 'node:fs/promises';
import { filterIndexes } from '../db/explain.js';
import { requireColumn } from '../db/indexes.js';
import { usageError, UserError } from '../errors.js';
import type { ExplainRequest, ExplainResult, ExplainTarget } from '../plan/explain.js';
import { indexCheckOf, writesOf, type IndexCheck } from '../plan/plan-inspection.js';
import { planWarnings } from '../plan/plan-warnings.js';
import { findRelationScan, parsePlan, type ParsedPlan } from '../plan/plan.js';
import type { Runtime } from '../runtime.js';
import { printable } from '../workload/identifiers.js';
import { bindStatement, checkAborted, explainOnce, rolledBack, sourceOf, type ExplainClient } from './explain-statement.js';

/**
 * Runs EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) for the target inside a transaction that is rolled
 * back, and returns the parsed plan with what explain found in it.
 */
export async function explain(runtime: Runtime, request: ExplainRequest): Promise<ExplainResult> {
  const { target, timeoutMs } = request;
  const client = await runtime.client();
  const checkIndex = await filterColumnExists(client, target);
  const indexes = checkIndex ? (await filterIndexes(client, target)).map((index) => index.name) : [];
  const what = 'explain stopped';
  const { plan, category } = await rolledBack(runtime, client, timeoutMs, what, async () => {
    const { statement, category } = await bindStatement(runtime, client, target);
    checkAborted(runtime, what);
    runtime.out.say(target.kind === 'report'
      ? `explaining the report query on ${target.table.text}(${target.column.text}) for '${printable(category ?? '')}' (statement_timeout ${timeoutMs} ms; rolled back afterwards)`
      : `explaining --query${target.classification.kind === 'write' ? ', which writes' : ''} (statement_timeout ${timeoutMs} ms; rolled back afterwards)`);
    return { plan: await explainOnce(client, statement), category };
  });
  let indexCheck: IndexCheck | null = null;
  // A --query that never reads the default table (products) gets no check: it would answer a question nobody asked.
  if (checkIndex && (target.kind === 'report' || target.explicitSource || findRelationScan(plan, target.table.name))) {
    indexCheck = indexCheckOf(plan, target.table, target.column, indexes);
  }
  return { source: sourceOf(target, category), plan, warnings: planWarnings(plan), rolledBack: true, timeoutMs, writes: writesOf(plan), indexCheck };
}

/**
 * Whether the index check can run. A table or column the user named (or the report's) must exist:
 * a usage error otherwise. With --query the defaults (products.category) are not the user's
 * concern, so when they do not exist there is just no check.
 */
async function filterColumnExists(client: ExplainClient, target: ExplainTarget): Promise<boolean> {
  if (target.kind === 'report' || target.explicitSource) {
    await requireColumn(client, target.table, target.column);
    return true;
  }
  return requireColumn(client, target.table, target.column).then(() => true, () => false);
}

/** `perfbench explain --file`: a saved EXPLAIN JSON (or perfbench's own JSON output), no database. */
export async function explainFile(path: string): Promise<ExplainResult> {
  const plan = savedPlan(path, await readSavedText(path));
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

/** The text of --file, or a one-line usage error saying why it cannot be read. */
export async function readSavedText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw usageError(`cannot read --file ${printable(path, 120)}: ${why}`, 'pass the path of a saved EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output');
  }
}

/** Parses the saved text. The parser's errors know nothing of files: the flag and path are prefixed so the one line says what to fix. */
export function savedPlan(path: string, text: string): ParsedPlan {
  try {
    return parsePlan(planOfOwnJson(text) ?? text);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`--file ${printable(path, 120)}: ${error.message}`, error.hint, error.exitCode);
    throw error;
  }
}

/** The `plan` of perfbench's own `explain --format json` output, so it can be read back with --file. */
function planOfOwnJson(text: string): unknown[] | undefined {
  try {
    const document = JSON.parse(text) as { kind?: unknown; plan?: unknown };
    return document?.kind === 'perfbench.explain' && Array.isArray(document.plan) ? document.plan : undefined;
  } catch {
    return undefined;
  }
}
