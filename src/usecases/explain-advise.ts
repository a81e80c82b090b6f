/**
 * Use case: `perfbench explain --advise` — measured index advice for the report query, a --query,
 * or a --file. A --file is decided by its content: a SQL statement is advised on like --query; a
 * saved plan (EXPLAIN JSON) cannot be measured on its own (it is not a statement), so with --query
 * its candidates are measured together with those of the live plan, and without --query it is
 * refused in one line. The measuring itself is the statement-list seam in index-advice.ts.
 */
import { requireColumn } from '../db/indexes.js';
import { usageError } from '../errors.js';
import type { QueryTarget } from '../plan/explain.js';
import type { AdviseRequest, AdviseResult, AdviseStatement } from '../plan/index-advice.js';
import { indexCandidates, type IndexCandidate } from '../plan/index-candidates.js';
import { classifyStatement, stripSql } from '../plan/statement.js';
import type { Runtime } from '../runtime.js';
import { columnIdentifier, printable, tableIdentifier } from '../workload/identifiers.js';
import { REPORT_DEFAULTS } from '../workload/report.js';
import { readSavedText, savedPlan } from './explain.js';
import { bindStatement, rolledBack, sourceOf } from './explain-statement.js';
import { adviseStatements } from './index-advice.js';

/** What a --file holds, decided by its first character that is not blank or a SQL comment. */
export type SavedInput = { kind: 'plan' } | { kind: 'sql'; text: string };

/**
 * A saved plan is JSON: an array or object (or a JSON string of one). A SQL statement starts with a
 * keyword or `(`; comments before it do not count.
 */
export function savedInputKind(text: string): SavedInput {
  const stripped = stripSql(text);
  const first = (stripped.ok ? stripped.text : text).trimStart()[0];
  // stripSql blanks a leading "…" (a JSON string) into "_": look at the raw text for that one.
  if (first === '[' || first === '{' || text.trimStart().startsWith('"')) return { kind: 'plan' };
  return { kind: 'sql', text };
}

/** Runs the advice and returns it with where the statement came from. */
export async function explainAdvise(runtime: Runtime, request: AdviseRequest): Promise<AdviseResult> {
  let target = request.target;
  let extraCandidates: IndexCandidate[] = [];
  let file: string | null = null;
  if (request.file !== null) {
    const path = request.file;
    const text = await readSavedText(path);
    const input = savedInputKind(text);
    if (input.kind === 'plan') {
      if (target === null) {
        throw usageError(`--file ${printable(path, 120)} holds a saved plan (EXPLAIN JSON), which cannot be measured: a plan is not a statement to run`,
          'pass --query with the statement it is the plan of (its candidates are then measured too), or a --file that holds the SQL');
      }
      extraCandidates = indexCandidates(savedPlan(path, text)).map((candidate) => ({
        ...candidate,
        reasons: candidate.reasons.map((reason) => ({ ...reason, detail: `in the saved plan: ${reason.detail}` })),
      }));
    } else {
      if (target !== null) throw usageError(`--file ${printable(path, 120)} holds a SQL statement and --query gives another`, 'pass one of them');
      target = fileTarget(path, input.text, request.params);
      file = path;
    }
  }
  if (target === null) throw usageError('--advise needs a statement: --query, a --file with SQL, or none of them for the report query');

  const client = await runtime.client();
  if (target.kind === 'report') await requireColumn(client, target.table, target.column);
  const bound = await rolledBack(runtime, client, request.timeoutMs, 'explain --advise stopped', () => bindStatement(runtime, client, target));
  const statement: AdviseStatement = {
    label: target.kind === 'report' ? 'the report query' : file !== null ? `the statement in --file ${printable(file, 80)}` : '--query',
    text: bound.statement.text,
    values: bound.statement.values,
    writes: target.kind === 'query' && target.classification.kind === 'write',
    locksRows: target.kind === 'query' && locksRows(target.text),
    fromUser: target.kind === 'query',
  };
  const measured = await adviseStatements(runtime, [statement], { ...request, extraCandidates, client });
  return { source: { ...sourceOf(target, bound.category), file }, ...measured };
}

/** A locking clause (FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE, FOR KEY SHARE) outside literals and comments. */
export function locksRows(text: string): boolean {
  const stripped = stripSql(text);
  return /\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b/i.test(stripped.ok ? stripped.text : text);
}

/** The statement of a --file, checked as --query is (one statement, no DDL, a --param per placeholder). */
function fileTarget(path: string, text: string, params: string[]): QueryTarget {
  const shown = `--file ${printable(path, 120)}`;
  if (text.includes('\u0000')) throw usageError(`${shown} contains a NUL byte, which PostgreSQL text cannot hold`, 'remove it');
  const verdict = classifyStatement(text);
  if (!verdict.ok) throw usageError(verdict.message.replace(/--query/g, shown));
  if (verdict.parameters !== params.length) {
    const uses = verdict.parameters === 0 ? 'no $n placeholders' : verdict.parameters === 1 ? '$1' : `$1..$${verdict.parameters}`;
    throw usageError(`${shown} uses ${uses} but ${params.length} --param value${params.length === 1 ? ' was' : 's were'} given`, 'pass one --param per placeholder, in order');
  }
  // A trailing semicolon ends the statement in a file; EXPLAIN takes the statement without it.
  const statement = text.replace(/;\s*$/, '');
  return {
    kind: 'query', text: statement, params, classification: verdict,
    table: tableIdentifier(REPORT_DEFAULTS.table), column: columnIdentifier(REPORT_DEFAULTS.column), explicitSource: false,
  };
}

