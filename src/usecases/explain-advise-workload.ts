/**
 * Use case: `perfbench explain --advise --workload FILE` (or `--builtin NAME`): measured index
 * advice for the statements of a pgbench script, with the values bench would bind.
 *
 * Each script is planned once, as bench plans it (planExecution): the first execution bench gives
 * that script (execution 0 for a single script), client 0, the same seed, :scale, -D defines and
 * \pb_from values (loaded from their columns as bench loads them). Its SQL steps become the
 * statements adviseStatements() measures together, in one transaction that is rolled back:
 * - transaction control (BEGIN, END, COMMIT…) is left out and listed: advise runs everything in its
 *   own transaction;
 * - a statement explain refuses (DDL, SET, utility commands) is a usage error naming file:line;
 * - a statement that writes (INSERT, UPDATE, DELETE, MERGE, a data-modifying WITH) or locks rows is
 *   marked so: its every run sits in a savepoint (all undone by the rollback), "before" runs on the
 *   same connection, and the lock warning names it.
 */
import { pgbenchScale } from '../db/workload-queries.js';
import { usageError } from '../errors.js';
import type { ExplainSource, WorkloadSource } from '../plan/explain.js';
import type { AdviseRequest, AdviseResult, AdviseStatement } from '../plan/index-advice.js';
import { classifyStatement } from '../plan/statement.js';
import type { Runtime } from '../runtime.js';
import { pbFromDraw } from '../workload/pb-from-draw.js';
import { chooseScript, planExecution, type Script, type Step } from '../workload/pgbench/index.js';
import type { WorkloadOptions } from './bench-options.js';
import { loadPbFromValues } from './bench-workload.js';
import { readScripts } from './workload-scripts.js';
import { locksRows } from './explain-advise.js';
import { adviseStatements } from './index-advice.js';

/** What `explain --advise --workload/--builtin` is asked: the advice flags, the scripts, and bench's seed. */
export interface WorkloadAdviseRequest {
  advise: Omit<AdviseRequest, 'target' | 'file' | 'params'>;
  workload: WorkloadOptions;
  /** bench's --seed: the values bound are those bench's first execution of each script binds. */
  seed: number;
}

/** The first execution bench gives script k of `scripts` (0 for a single script), as bench's plan check finds it. */
export function firstExecutionOf(scripts: readonly Script[], k: number, seed: number): number {
  for (let i = 0; i < 100_000; i++) if (chooseScript(scripts, i, seed) === k) return i;
  throw usageError(`script ${scripts[k]!.name} is never chosen (weight ${scripts[k]!.weight})`, 'give it a weight above 0, or leave it out');
}

/**
 * A script's planned steps as advise statements: transaction control left out (returned as
 * `skipped`), everything explain refuses a usage error at its file:line.
 */
export function adviseStatementsOf(script: Script, steps: readonly Step[], labelWithScript: boolean): { statements: AdviseStatement[]; skipped: WorkloadSource['skipped'] } {
  const statements: AdviseStatement[] = [];
  const skipped: WorkloadSource['skipped'] = [];
  for (const step of steps) {
    if (step.kind !== 'sql') continue;
    const { statement, values } = step;
    const where = `${script.name}:${statement.line}`;
    if (statement.access === 'transaction') {
      skipped.push({ script: script.name, statement: statement.name, line: statement.line, reason: statement.accessReason });
      continue;
    }
    const verdict = classifyStatement(statement.text);
    if (!verdict.ok) {
      throw usageError(`${where}: explain --advise cannot measure statement ${statement.name}: ${verdict.message.replace(/--query/g, 'the statement')}`,
        'advise on a script of SELECT, INSERT, UPDATE, DELETE and MERGE statements (BEGIN/END are left out)');
    }
    const locks = locksRows(statement.text);
    const label = `${statement.name} (${labelWithScript ? `${script.name}, ` : ''}line ${statement.line})`;
    statements.push({
      label,
      text: statement.text,
      values: [...values],
      // A SELECT that calls nextval() or takes an advisory lock: not undone by a second connection's rollback either, so measured like a write.
      writes: verdict.kind === 'write' || (statement.access === 'write' && !locks),
      locksRows: locks,
      fromUser: true,
      errorName: `statement ${statement.name} (${where})`,
    });
  }
  return { statements, skipped };
}

/** Runs the advice on the scripts' statements and returns it with the workload as its source. */
export async function explainAdviseWorkload(runtime: Runtime, request: WorkloadAdviseRequest): Promise<AdviseResult> {
  const { workload, seed } = request;
  const scripts = await readScripts(workload);
  const client = await runtime.client();
  const scale = workload.scale ?? (await pgbenchScale(client)) ?? 1;
  const values = await loadPbFromValues(client, scripts, (text) => runtime.out.say(text));
  const draw = pbFromDraw(values, seed);
  const statements: AdviseStatement[] = [];
  const source: WorkloadSource = { scripts: [], seed, scale, defines: workload.defines, skipped: [] };
  for (const [k, script] of scripts.entries()) {
    const executionIndex = firstExecutionOf(scripts, k, seed);
    // Client 0, as bench's first worker: :client_id reads 0.
    const steps = planExecution(script, { executionIndex, clientId: 0, scale, defines: workload.defines, seed, draw });
    const mapped = adviseStatementsOf(script, steps, scripts.length > 1);
    statements.push(...mapped.statements);
    source.skipped.push(...mapped.skipped);
    source.scripts.push({ name: script.name, executionIndex, statements: mapped.statements.length });
  }
  if (statements.length === 0) {
    throw usageError(`${scripts.map((s) => s.name).join(', ')}: no statement to advise on (only transaction control)`, 'advise on a script with SELECT, INSERT, UPDATE or DELETE statements');
  }
  const measured = await adviseStatements(runtime, statements, { ...request.advise, client });
  const explainSource: ExplainSource = { kind: 'workload', table: null, column: null, category: null, query: null, params: [], file: null, workload: source };
  return { source: explainSource, ...measured };
}
