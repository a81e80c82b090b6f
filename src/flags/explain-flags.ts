/**
 * Flags: the flags of `perfbench explain`, parsed into ExplainOptions. Pure: every bad combination
 * becomes a one-line usage error (exit 2) before anything connects, so a refused statement never
 * reaches the database.
 */
import { usageError } from '../errors.js';
import type { ExplainRequest, ExplainTarget } from '../plan/explain.js';
import { parsePgSize, type AdviseRequest } from '../plan/index-advice.js';
import { classifyStatement } from '../plan/statement.js';
import { EXPLAIN_FORMATS, type ExplainFormat } from '../report/explain-output.js';
import { columnIdentifier, printable, tableIdentifier, type Identifier } from '../workload/identifiers.js';
import { REPORT_DEFAULTS } from '../workload/report.js';
import type { WorkloadAdviseRequest } from '../usecases/explain-advise-workload.js';
import { choiceOption, integerOption } from './options.js';
import { BENCH_DEFAULTS } from './bench-flags.js';
import { workloadOptions } from './workload-flags.js';

/** Before/after runs of --compare when --runs is not given. */
export const DEFAULT_RUNS = 3;
/** --timeout when not given: long enough for the report on a large table, short enough to stop a runaway. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** --max-table-size when not given: a B-tree build on a 1 GB heap takes seconds to a minute, with writes waiting. */
export const DEFAULT_MAX_TABLE_SIZE = '1GB';
/** --max-candidates when not given. */
export const DEFAULT_MAX_CANDIDATES = 8;

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
  /** --advise and the flags only it takes. */
  advise?: boolean;
  force?: boolean;
  maxTableSize?: string;
  maxCandidates?: string;
  /** --advise --workload/--builtin: a pgbench script's statements, with the values bench binds (-D, --scale, --seed). */
  workload?: string[];
  builtin?: string[];
  define?: string[];
  scale?: string;
  seed?: string;
}

/** What the flags ask for, validated: which use case to run, with what, and the output format. */
export type ExplainOptions =
  | { mode: 'file'; path: string; format: ExplainFormat }
  | { mode: 'explain'; request: ExplainRequest; format: ExplainFormat }
  | { mode: 'compare'; request: ExplainRequest; runs: number; format: ExplainFormat }
  | { mode: 'advise'; request: AdviseRequest; format: ExplainFormat }
  | { mode: 'advise-workload'; request: WorkloadAdviseRequest; format: ExplainFormat };

type Flags = ExplainFlags & { param: string[] };

export function explainOptions(input: ExplainFlags): ExplainOptions {
  const flags: Flags = { ...input, param: input.param ?? [] };
  const format = choiceOption(flags.format, '--format', EXPLAIN_FORMATS);
  const workloadFlags = given(flags, ['workload', 'builtin', 'define', 'scale', 'seed']);
  if (workloadFlags.length > 0 && !flags.advise) {
    throw usageError(`${workloadFlags.map(flagName).join(', ')} ${workloadFlags.length === 1 ? 'applies' : 'apply'} to --advise`, 'add --advise, or drop them');
  }
  if (flags.advise && workloadFlags.length > 0) return { mode: 'advise-workload', request: workloadAdviseRequest(flags), format };
  if (flags.advise) return { mode: 'advise', request: adviseRequest(flags), format };
  const adviseOnly = given(flags, ['force', 'maxTableSize', 'maxCandidates']);
  if (adviseOnly.length > 0) throw usageError(`${adviseOnly.map(flagName).join(', ')} ${adviseOnly.length === 1 ? 'applies' : 'apply'} to --advise`, 'add --advise, or drop them');
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

/**
 * --advise: the report (default), a --query, or a --file whose content (a SQL statement, or a saved
 * plan measured with --query) the use case reads. Measured like --compare: --runs per side.
 */
function adviseRequest(flags: Flags): AdviseRequest {
  const common = adviseMeasurement(flags);
  const elsewhere = flags.query !== undefined || flags.file !== undefined;
  const pick = given(flags, ['table', 'column']);
  if (elsewhere && pick.length > 0) {
    throw usageError(`${pick.map(flagName).join(', ')} pick${pick.length === 1 ? 's' : ''} the report query's table; --advise finds the tables of --query or --file in its plan`, `drop ${pick.map(flagName).join(', ')}`);
  }
  if (flags.file !== undefined) {
    if (flags.category !== undefined) throw usageError('--category applies to the report query, not to --file');
    // With --query, the file must be a saved plan (checked once it is read) and --param belongs to --query.
    const target = flags.query === undefined ? null : targetOf(flags, tableIdentifier(REPORT_DEFAULTS.table), columnIdentifier(REPORT_DEFAULTS.column));
    return { ...common, target, file: flags.file, params: flags.param };
  }
  const table = tableIdentifier(flags.table ?? REPORT_DEFAULTS.table);
  const column = columnIdentifier(flags.column ?? REPORT_DEFAULTS.column);
  return { ...common, target: targetOf(flags, table, column), file: null, params: flags.param };
}

/** How --advise measures, whatever the statement: --runs, --timeout, the size bound, --max-candidates. */
function adviseMeasurement(flags: Flags): WorkloadAdviseRequest['advise'] {
  if (flags.compare) throw usageError('--advise and --compare are different measurements', 'pass one of them');
  refuseNul(flags);
  const timeoutMs = integerOption(flags.timeout, '--timeout', 1, 86_400_000);
  const runs = integerOption(flags.runs ?? String(DEFAULT_RUNS), '--runs', 1, 100);
  const maxCandidates = integerOption(flags.maxCandidates ?? String(DEFAULT_MAX_CANDIDATES), '--max-candidates', 1, 50);
  const sizeText = flags.maxTableSize ?? DEFAULT_MAX_TABLE_SIZE;
  const maxTableBytes = parsePgSize(sizeText);
  if (maxTableBytes === undefined) throw usageError(`--max-table-size '${printable(sizeText)}' is not a size`, "write it as PostgreSQL does: 1GB, 500MB, 64kB (1 kB = 1024 bytes)");
  return { timeoutMs, runs, maxTableBytes, force: Boolean(flags.force), maxCandidates };
}

/**
 * --advise --workload/--builtin: the scripts (read as bench reads them: FILE@WEIGHT, -D, --scale)
 * and bench's --seed; the statement comes from the scripts, so --query, --file and the report's
 * flags are refused.
 */
function workloadAdviseRequest(flags: Flags): WorkloadAdviseRequest {
  const clash = given(flags, ['query', 'file', 'param', 'category', 'table', 'column']);
  if (clash.length > 0) throw usageError(`--workload/--builtin give the statements; ${clash.map(flagName).join(', ')} cannot be combined with them`, `drop ${clash.map(flagName).join(', ')}`);
  if (!flags.workload?.length && !flags.builtin?.length) throw usageError('-D, --scale and --seed apply to --workload or --builtin', 'add --workload FILE or --builtin NAME');
  const advise = adviseMeasurement(flags);
  const workload = workloadOptions({ workload: flags.workload, builtin: flags.builtin, define: flags.define, scale: flags.scale })!;
  // bench's default seed: the values a default bench run binds.
  const seed = integerOption(flags.seed ?? BENCH_DEFAULTS.seed, '--seed', 0, 2 ** 32 - 1);
  return { advise, workload, seed };
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
