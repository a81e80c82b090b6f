/**
 * Flags: `perfbench bench --workload FILE[@WEIGHT] / --builtin NAME[@WEIGHT]`, `-D NAME=VALUE`,
 * `--scale`, `--max-tries`, `--driver`, and the workload's `--paths` (as-is, no-index, index=EXPR,
 * cache). Pure: every bad value is a one-line usage error (exit 2).
 */
import { createHash } from 'node:crypto';
import { usageError, type UserError } from '../errors.js';
import type { CandidateIndex } from '../targets/workload-index.js';
import type { WorkloadPathKind } from '../targets/workload-path.js';
import type { WorkloadOptions, WorkloadScriptSpec } from '../usecases/bench-options.js';
import { columnIdentifier, printable, quote, tableIdentifier } from '../workload/identifiers.js';
import { BUILTIN_SCRIPT_NAMES, isBuiltinScriptName, parseDefine, parseScriptSpec } from '../workload/pgbench/index.js';
import { choiceOption, integerOption } from './options.js';

export interface WorkloadFlags {
  workload?: string[];
  builtin?: string[];
  define?: string[];
  scale?: string;
  maxTries?: string;
  /** `--concurrently`: the index= paths build and drop their candidate CONCURRENTLY. */
  concurrently?: boolean;
  /** bench's --paths (read here only to check that --concurrently has an index= path to apply to). */
  paths?: string;
  /** `--driver pg|libpq`: the client library the scripts' statements run on. */
  driver?: string;
}

export const DRIVERS = ['pg', 'libpq'] as const;
/** The most worker threads (--workers) or processes (--driver libpq, one per client) bench starts. */
export const MAX_WORKERS = 64;
export const DRIVER_HELP = 'with a workload: the client the statements run on: pg (node-postgres, asynchronous) or libpq ' +
  '(blocking calls, one client per worker process, as pgbench; needs the optional libpq module)';

/** The names a workload's --paths accepts besides index=EXPR. */
export const WORKLOAD_PATH_NAMES = ['as-is', 'no-index', 'cache'] as const;

/** The workload flags, or undefined when neither --workload nor --builtin was given. */
export function workloadOptions(flags: WorkloadFlags): WorkloadOptions | undefined {
  const scripts: WorkloadScriptSpec[] = [];
  for (const spec of flags.workload ?? []) {
    const { path, weight } = parseScriptSpec(spec);
    if (path === '') throw usageError(`--workload '${printable(spec)}' names no file`, 'write --workload FILE or FILE@WEIGHT');
    scripts.push({ source: 'file', path, weight });
  }
  for (const spec of flags.builtin ?? []) {
    const { path: name, weight } = parseScriptSpec(spec);
    if (!isBuiltinScriptName(name)) throw usageError(`--builtin: unknown script '${printable(name)}'`, `choose from ${BUILTIN_SCRIPT_NAMES.join(', ')}`);
    scripts.push({ source: 'builtin', name, weight });
  }
  const workloadOnly = flags.define?.length || flags.scale !== undefined || flags.maxTries !== undefined;
  const driver = flags.driver === undefined ? 'pg' : choiceOption(flags.driver, '--driver', DRIVERS);
  if (scripts.length === 0) {
    if (flags.driver !== undefined) throw usageError('--driver applies only to a workload (the report runs on node-postgres)', 'add --workload FILE or --builtin NAME, or drop --driver');
    if (workloadOnly) throw usageError('-D, --scale and --max-tries apply only to a workload', 'add --workload FILE or --builtin NAME');
    if (flags.concurrently) throw usageError("--concurrently applies to a workload's index=TABLE(COLUMN) paths", 'add --workload FILE or --builtin NAME with --paths index=…, or drop --concurrently');
    return undefined;
  }
  if (flags.concurrently && !splitPathList(flags.paths ?? '').some((name) => name.startsWith('index='))) {
    throw usageError('--concurrently applies to the index=TABLE(COLUMN) paths, and --paths names none', "add one, e.g. --paths 'as-is,index=orders(customer_id)', or drop --concurrently");
  }
  if (scripts.every((s) => s.weight === 0)) throw usageError('every script has weight 0', 'give at least one script a weight above 0');
  const defines: Record<string, string> = {};
  for (const text of flags.define ?? []) {
    const [name, value] = parseDefine(text);
    defines[name] = value;
  }
  const options: WorkloadOptions = {
    scripts,
    defines,
    maxTries: flags.maxTries === undefined ? 1 : integerOption(flags.maxTries, '--max-tries', 1, 1_000_000),
  };
  if (flags.scale !== undefined) options.scale = integerOption(flags.scale, '--scale', 1, 1_000_000_000);
  if (flags.concurrently) options.concurrently = true;
  if (driver === 'libpq') options.driver = 'libpq';
  return options;
}

/** Splits `a,index=t(x, y),b` at the commas outside parentheses and double quotes. */
export function splitPathList(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    if (ch === ',' && depth === 0 && !quoted) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  parts.push(current.trim());
  return parts.filter(Boolean);
}

/** A workload's --paths: as-is, no-index, cache, index=EXPR, http-slow and http-fast, duplicates removed, order kept. */
export function workloadPathsOption(text: string): WorkloadPathKind[] {
  const names = [...new Set(splitPathList(text))];
  if (names.length === 0) throw usageError('--paths is empty', 'choose from as-is, no-index, cache, index=TABLE(COLUMN), http-slow, http-fast');
  return names.map((name) => {
    if (name === 'as-is' || name === 'no-index' || name === 'cache') return { kind: name };
    if (name === 'http-slow' || name === 'http-fast') return { kind: 'http', route: name === 'http-slow' ? 'slow' : 'fast' };
    if (name.startsWith('index=')) return { kind: 'index', index: candidateIndex(name.slice('index='.length)) };
    throw usageError(`--paths: unknown workload path '${printable(name)}'`, 'choose from as-is, no-index, cache, index=TABLE(COLUMN[, COLUMN…]), http-slow, http-fast');
  });
}

/**
 * `TABLE(COLUMN[, COLUMN…])`, names read as PostgreSQL reads them (`"Sales"."Order Items"("Customer Id")`):
 * the candidate index of an index=EXPR path, with a name of perfbench's own derived from the expression.
 */
export function candidateIndex(expression: string): CandidateIndex {
  const fail = (): never => {
    throw usageError(`--paths: index=${printable(expression)} is not TABLE(COLUMN[, COLUMN…])`, "e.g. index=pgbench_accounts(aid) or index='\"Sales\".\"Order Items\"(\"Customer Id\")'");
  };
  let open = -1;
  let quoted = false;
  for (let k = 0; k < expression.length; k++) {
    const ch = expression[k];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') {
      open = k;
      break;
    }
  }
  if (open <= 0 || !expression.endsWith(')')) return fail();
  const table = tableIdentifier(expression.slice(0, open).trim(), '--paths index=');
  const columns = splitPathList(expression.slice(open + 1, -1)).map((column) => columnIdentifier(column, '--paths index='));
  if (columns.length === 0) return fail();
  const name = `pbw_${createHash('sha1').update(`${table.sql}(${columns.map((c) => c.sql).join(',')})`).digest('hex').slice(0, 12)}`;
  return {
    expression: `${table.text}(${columns.map((c) => c.text).join(', ')})`,
    name,
    nameSql: table.schema === undefined ? quote(name) : `${quote(table.schema)}.${quote(name)}`,
    tableSql: table.sql,
    columnsSql: columns.map((c) => c.sql).join(', '),
    table,
    columns,
    concurrently: false,
  };
}

/**
 * `--driver libpq`: each client blocks its process for its round trips, so there is one client per
 * worker process: --workers equal to --concurrency (given, or set so), one level, and no replicas
 * (their per-operation routing needs a connection per server in each client).
 */
export function libpqClients(concurrency: readonly number[], workers: number | undefined, replicas: boolean): number {
  if (concurrency.length > 1) throw usageError('--driver libpq runs one level of --concurrency (one worker process per client)', 'give one level, e.g. --concurrency 2');
  const clients = concurrency[0]!;
  if (clients > MAX_WORKERS) throw usageError(`--driver libpq starts a process per client: at most ${MAX_WORKERS}, not --concurrency ${clients}`, 'lower --concurrency, or use --driver pg');
  if (workers !== undefined && workers !== clients) {
    throw usageError(`--driver libpq runs one client per worker process, so --workers must equal --concurrency (${clients})`, `drop --workers, or give --workers ${clients}`);
  }
  if (replicas) throw libpqReplicasRefused();
  return clients;
}

/** --driver libpq with read replicas, from --replica-url here or PERFBENCH_REPLICA_URLS in the use case. */
export function libpqReplicasRefused(): UserError {
  return usageError('--driver libpq does not route reads to replicas', 'drop --replica-url (and PERFBENCH_REPLICA_URLS), or use --driver pg');
}
