/**
 * Flags: the flags of `perfbench explain`, parsed into ExplainOptions. Pure: every bad combination
 * becomes a one-line usage error (exit 2) before anything connects, so a refused statement never
 * reaches the database.
 */
import { usageError } from '../errors.js';
import type { ExplainRequest, ExplainTarget } from '../plan/explain.js';
import { classifyStatement } from '../plan/statement.js';
import { EXPLAIN_FORMATS, type ExplainFormat } from '../report/explain-output.js';
import { columnIdentifier, printable, tableIdentifier, type Identifier } from '../workload/identifiers.js';
import { REPORT_DEFAULTS } from '../workload/report.js';
import { choiceOption, integerOption } from './options.js';

/** Before/after runs of --compare when --runs is not given. */
export const DEFAULT_RUNS = 3;
/** --timeout when not given: long enough for the report on a large table, short enough to stop a runaway. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** The flags of `perfbench explain`, as commander hands them over. */
export interface ExplainFlags {
  category?: string;
  table?: string;
  column?: string;
  query?: string;
  /** Undefined when no --param was given. */
  param?: string[];
  file?: string;
  compare?: boolean;
  runs?: string;
  format: string;
  timeout: string;
}

/** What the flags ask for, validated: which use case to run, with what, and the output format. */
export type ExplainOptions =
  | { mode: 'file'; path: string; format: ExplainFormat }
  | { mode: 'explain'; request: ExplainRequest; format: ExplainFormat }
  | { mode: 'compare'; request: ExplainRequest; runs: number; format: ExplainFormat };

type Flags = ExplainFlags & { param: string[] };

export function explainOptions(input: ExplainFlags): ExplainOptions {
  const flags: Flags = { ...input, param: input.param ?? [] };
  const format = choiceOption(flags.format, '--format', EXPLAIN_FORMATS);
  if (flags.file !== undefined) {
    const clash = given(flags, ['category', 'table', 'column', 'query', 'param', 'compare', 'runs']);
    if (clash.length > 0) throw usageError(`--file renders a saved plan; it cannot be combined with ${clash.map(flagName).join(', ')}`);
    return { mode: 'file', path: flags.file, format };
  }
  refuseNul(flags);
  const timeoutMs = integerOption(flags.timeout, '--timeout', 1, 86_400_000);
  const table = tableIdentifier(flags.table ?? REPORT_DEFAULTS.table);
  const column = columnIdentifier(flags.column ?? REPORT_DEFAULTS.column);
  const request: ExplainRequest = { target: targetOf(flags, table, column), timeoutMs };
  if (flags.compare) {
    return { mode: 'compare', request, runs: integerOption(flags.runs ?? String(DEFAULT_RUNS), '--runs', 1, 100), format };
  }
  if (flags.runs !== undefined) throw usageError('--runs applies to --compare', 'add --compare, or drop --runs');
  return { mode: 'explain', request, format };
}

/** The report for --category, or the user's --query after the classifier accepted it and its --param count matches. */
function targetOf(flags: Flags, table: Identifier, column: Identifier): ExplainTarget {
  if (flags.query === undefined) {
    if (flags.param.length > 0) throw usageError('--param applies to --query; the report query takes --category');
    return { kind: 'report', table, column, category: flags.category };
  }
  if (flags.category !== undefined) throw usageError('--category applies to the report query; with --query pass values with --param');
  const verdict = classifyStatement(flags.query);
  if (!verdict.ok) throw usageError(verdict.message);
  if (verdict.parameters !== flags.param.length) {
    const uses = verdict.parameters === 0 ? 'no $n placeholders' : verdict.parameters === 1 ? '$1' : `$1..$${verdict.parameters}`;
    throw usageError(`--query uses ${uses} but ${flags.param.length} --param value${flags.param.length === 1 ? ' was' : 's were'} given`, 'pass one --param per placeholder, in order');
  }
  const explicitSource = flags.table !== undefined || flags.column !== undefined;
  return { kind: 'query', text: flags.query, params: flags.param, classification: verdict, table, column, explicitSource };
}

/** PostgreSQL text cannot hold NUL: refused here in one line, not as a protocol error from the server. */
function refuseNul(flags: Flags): void {
  const withNul = [['--query', flags.query], ['--category', flags.category], ...flags.param.map((value) => ['--param', value])]
    .find(([, value]) => value?.includes('\u0000'));
  if (withNul) throw usageError(`${withNul[0]} '${printable(withNul[1]!)}' contains a NUL byte, which PostgreSQL text cannot hold`, 'remove it');
}

/** The flags among `names` that were given (a repeatable one counts when it has values). */
function given(flags: Flags, names: (keyof ExplainFlags)[]): (keyof ExplainFlags)[] {
  return names.filter((name) => {
    const value = flags[name];
    return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== false;
  });
}

function flagName(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
