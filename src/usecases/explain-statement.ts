/**
 * Use case (shared by explain and explain --compare): the statement to explain, and the promises
 * kept around every run of it — Ctrl-C cancels it, --timeout stops it, the transaction is always
 * rolled back, and errors the user's input causes come back as one line naming the flag to fix.
 */
import { builtinReportWorkload } from '../db/report.js';
import { defaultFilterValue, explainStatement, explainVerbose, inRolledBackTransaction, positionInStatement } from '../db/explain.js';
import { inSqlStateClass, SQLSTATE, SQLSTATE_CLASS } from '../db/sqlstate.js';
import { ExitCode, firstLine, interruptedError, isPostgresError, usageError, UserError } from '../errors.js';
import type { ExplainSource, ExplainTarget } from '../plan/explain.js';
import { parsePlan, type ParsedPlan } from '../plan/plan.js';
import { withSchemas } from '../plan/plan-schemas.js';
import type { Runtime } from '../runtime.js';
import { DEFAULT_DATASET } from '../workload/dataset.js';
import { categoryName } from '../measure/random.js';
import { printable } from '../workload/identifiers.js';

/** The first category `perfbench seed` makes by default (cat-000): explained when the table holds it. */
export const DEFAULT_CATEGORY = categoryName(0, DEFAULT_DATASET.categories);

/** The connection a Runtime hands out: explain needs one session for BEGIN … ROLLBACK. */
export type ExplainClient = Awaited<ReturnType<Runtime['client']>>;

/** The statement one run explains, with its values bound in order. */
export interface BoundStatement {
  text: string;
  values: string[];
  /** True for --query: its errors are the user's to fix in the statement; else the report's, fixed by --table or --category. */
  fromQuery: boolean;
  /** How a user's statement is named in its errors (default --query): `statement q1 (orders.sql:4)`. */
  errorName?: string;
}

/** Between statements a cancel has nothing to cancel: stop before starting the next one. */
export function checkAborted(runtime: Runtime, what: string): void {
  if (runtime.signal.aborted) throw interruptedError(`${what}; the transaction was rolled back, nothing was changed`);
}

/**
 * Runs `body` inside BEGIN … ROLLBACK under --timeout. Ctrl-C cancels the running statement;
 * either way the transaction is rolled back, so explain never leaves a write, an index or a setting
 * behind. `what` names the command in the interruption message.
 */
export async function rolledBack<T>(runtime: Runtime, client: ExplainClient, timeoutMs: number, what: string, body: () => Promise<T>): Promise<T> {
  const stopCancelling = runtime.cancelOnAbort(client);
  try {
    checkAborted(runtime, what);
    return await inRolledBackTransaction(client, timeoutMs, body);
  } catch (error) {
    if (runtime.signal.aborted) throw interruptedError(`${what}; the transaction was rolled back, nothing was changed`);
    if (isPostgresError(error) && error.code === SQLSTATE.queryCanceled) {
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

/**
 * The statement to run: the user's, or the built-in report workload's for a category. Without
 * --category the report explains cat-000 when the table holds it, else any category it holds, so
 * the plan is of rows that exist. Runs inside the transaction: the lookup is bounded by --timeout.
 */
export async function bindStatement(runtime: Runtime, client: ExplainClient, target: ExplainTarget): Promise<{ statement: BoundStatement; category: string | null }> {
  if (target.kind === 'query') return { statement: { text: target.text, values: target.params, fromQuery: true }, category: null };
  let category = target.category ?? null;
  if (category === null) {
    category = await defaultFilterValue(client, target, DEFAULT_CATEGORY);
    if (category === null) {
      runtime.out.warn(`${target.table.text} has no rows; explaining the report for '${DEFAULT_CATEGORY}'`);
      category = DEFAULT_CATEGORY;
    }
  }
  const workload = builtinReportWorkload(target);
  return { statement: { text: workload.statement.text, values: [category], fromQuery: false }, category };
}

/** Runs EXPLAIN ANALYZE once and parses the plan. */
export async function explainOnce(client: ExplainClient, statement: BoundStatement): Promise<ParsedPlan> {
  try {
    const analyzed = await explainStatement(client, statement.text, statement.values);
    return parsePlan(withSchemas(analyzed, await explainVerbose(client, statement.text, statement.values)));
  } catch (error) {
    throw statementError(error, statement);
  }
}

/**
 * PostgreSQL errors the user's input causes become usage errors (exit 2) naming the flag: a syntax
 * error, an unknown table or column (class 42), or a --param / --category value that does not fit
 * its column (class 22). Anything else (timeouts, lost connections) passes through unchanged.
 */
function statementError(error: unknown, statement: BoundStatement): unknown {
  if (!isPostgresError(error)) return error;
  const undefinedName = inSqlStateClass(error.code, SQLSTATE_CLASS.syntaxErrorOrAccessRuleViolation);
  const badValue = inSqlStateClass(error.code, SQLSTATE_CLASS.dataException);
  const detail = `PostgreSQL error ${error.code}: ${firstLine(error.message)}`;
  if (statement.fromQuery && (undefinedName || badValue)) {
    const name = statement.errorName ?? '--query';
    const position = positionInStatement(error);
    const at = position === null ? '' : ` (at character ${position} of ${statement.errorName === undefined ? '--query' : 'it'})`;
    return usageError(`${name} failed: ${detail}${at}`, 'fix the statement, or run it in psql first');
  }
  if (!statement.fromQuery && undefinedName) {
    // The table has the filter column (checked before) but not the columns the report selects.
    return usageError(`the table cannot serve the report query: ${detail}`,
      'it needs id, name, category, price and created_at columns; create one with `perfbench seed --table <name>`, or pass --query');
  }
  if (!statement.fromQuery && badValue) {
    return usageError(`--category '${printable(statement.values[0] ?? '')}' does not fit the column: ${detail}`, 'pass a --category value of the column\'s type');
  }
  return error;
}

/** Where the plan came from, as the output names it. */
export function sourceOf(target: ExplainTarget, category: string | null): ExplainSource {
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
