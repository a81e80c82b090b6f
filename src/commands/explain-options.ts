import { classifyStatement } from '../plan/statement.js';
import { columnIdentifier, printable, tableIdentifier } from '../workload/identifiers.js';
import { usageError } from '../errors.js';
import type { ExplainRequest, ExplainTarget } from './explain.js';
import { choiceOption, integerOption } from '../flags/options.js';

export const EXPLAIN_FORMATS = ['text', 'json', 'markdown'] as const;
export type ExplainFormat = (typeof EXPLAIN_FORMATS)[number];
/** Before/after runs of --compare when --runs is not given. */
export const DEFAULT_RUNS = 3;

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

/** What the flags ask for, validated: one-line usage errors before anything connects or runs. */
export type ExplainPlan =
  | { mode: 'file'; path: string; format: ExplainFormat }
  | { mode: 'explain'; request: ExplainRequest; format: ExplainFormat }
  | { mode: 'compare'; request: ExplainRequest; runs: number; format: ExplainFormat };

export function explainOptions(input: ExplainFlags): ExplainPlan {
  const flags = { ...input, param: input.param ?? [] };
  const format = choiceOption(flags.format, '--format', EXPLAIN_FORMATS);
  const given = (names: (keyof ExplainFlags)[]) => names.filter((name) => {
    const value = flags[name];
    return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== false;
  });
  const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

  if (flags.file !== undefined) {
    const clash = given(['category', 'table', 'column', 'query', 'param', 'compare', 'runs']);
    if (clash.length > 0) throw usageError(`--file renders a saved plan; it cannot be combined with ${clash.map(flag).join(', ')}`);
    return { mode: 'file', path: flags.file, format };
  }
  // PostgreSQL text cannot hold NUL: refused here in one line, not as a protocol error from the server.
  const withNul = [['--query', flags.query], ['--category', flags.category], ...flags.param.map((value) => ['--param', value])]
    .find(([, value]) => value?.includes('\u0000'));
  if (withNul) throw usageError(`${withNul[0]} '${printable(withNul[1]!)}' contains a NUL byte, which PostgreSQL text cannot hold`, 'remove it');
  const timeoutMs = integerOption(flags.timeout, '--timeout', 1, 86_400_000);
  const table = tableIdentifier(flags.table ?? 'products');
  const column = columnIdentifier(flags.column ?? 'category');
  let target: ExplainTarget;
  if (flags.query !== undefined) {
    if (flags.category !== undefined) throw usageError('--category applies to the report query; with --query pass values with --param');
    const verdict = classifyStatement(flags.query);
    if (!verdict.ok) throw usageError(verdict.message);
    if (verdict.parameters !== flags.param.length) {
      const uses = verdict.parameters === 0 ? 'no $n placeholders' : verdict.parameters === 1 ? '$1' : `$1..$${verdict.parameters}`;
      throw usageError(`--query uses ${uses} but ${flags.param.length} --param value${flags.param.length === 1 ? ' was' : 's were'} given`, 'pass one --param per placeholder, in order');
    }
    target = { kind: 'query', text: flags.query, params: flags.param, statement: verdict, table, column, explicitSource: flags.table !== undefined || flags.column !== undefined };
  } else {
    if (flags.param.length > 0) throw usageError('--param applies to --query; the report query takes --category');
    target = { kind: 'report', table, column, category: flags.category };
  }
  const request: ExplainRequest = { target, timeoutMs };
  if (flags.compare) {
    return { mode: 'compare', request, runs: integerOption(flags.runs ?? String(DEFAULT_RUNS), '--runs', 1, 100), format };
  }
  if (flags.runs !== undefined) throw usageError('--runs applies to --compare', 'add --compare, or drop --runs');
  return { mode: 'explain', request, format };
}

