/**
 * Flags: the flags of `perfbench bench` and `perfbench merge`, parsed into typed options. Pure: every bad
 * value becomes a one-line usage error (exit 2) naming the flag, the value and what is accepted.
 */
import { extname } from 'node:path';
import { DEFAULT_ZIPF_SKEW } from '../workload/dataset.js';
import { DISTRIBUTIONS } from '../measure/random.js';
import { columnIdentifier, printable, tableIdentifier } from '../workload/identifiers.js';
import { DEFAULT_TTL_SECONDS } from '../cache/report-cache.js';
import { usageError } from '../errors.js';
import { DEFAULT_PATHS, HTTP_PATHS, pathDefinition, PATHS } from '../targets/registry.js';
import { redactUrl } from '../redact.js';
import { BENCH_FORMATS, type BenchFormat } from '../report/bench-report.js';
import type { BenchOptions } from '../usecases/bench-options.js';
import { REPORT_DEFAULTS } from '../workload/report.js';
import { lockOptions, type LockFlags } from './lock-flags.js';
import { choiceOption, durationOption, integerOption, numberOption } from './options.js';
import { libpqClients, MAX_WORKERS, workloadOptions, workloadPathsOption, type WorkloadFlags } from './workload-flags.js';
import { replicaOptions } from './replica-flags.js';
import { shardOptions, type ShardFlags } from './shard-flags.js';

/**
 * Defaults sized so that plain `perfbench bench` (5 paths x 3 trials) finishes in well under a
 * minute on 2 cores, with 3 trials so speed-ups and the gate get a trial-to-trial interval.
 */
export const BENCH_DEFAULTS = {
  table: REPORT_DEFAULTS.table,
  column: REPORT_DEFAULTS.column,
  concurrency: '1',
  duration: '2s',
  warmup: '0.5s',
  trials: '3',
  distribution: 'uniform',
  seed: '1',
  ttl: String(DEFAULT_TTL_SECONDS),
  format: 'table',
  failIfSlower: 10,
} as const;

/** The flags as commander hands them over (strings; lists joined with commas). */
export interface BenchFlags extends LockFlags, WorkloadFlags, ShardFlags {
  paths?: string;
  concurrency?: string;
  duration?: string;
  iterations?: string;
  warmup?: string;
  rate?: string;
  trials?: string;
  distribution?: string;
  skew?: string;
  seed?: string;
  table?: string;
  column?: string;
  ttl?: string;
  keepIndex?: boolean;
  keepCache?: boolean;
  format?: string;
  output?: string[];
  baseline?: string;
  failIfSlower?: string;
  /** `--http` alone (true) or `--http URL`. */
  http?: string | boolean;
  /** `--replica-url` (repeatable) and `--replica-timeout`: see replica-flags.ts. */
  replicaUrl?: string[];
  replicaTimeout?: string;
  workers?: string;
}

/**
 * `--workers N`: threads that share the concurrency, so each needs at least one of the lowest
 * level's clients (in an open loop, one of its outstanding operations).
 */
export function workersOption(text: string, concurrency: readonly number[]): number {
  const workers = integerOption(text, '--workers', 1, MAX_WORKERS);
  const lowest = Math.min(...concurrency);
  if (workers > lowest) {
    throw usageError(`--workers ${workers} is more than --concurrency ${lowest}: the worker threads share the concurrency, at least one client each`,
      `use --workers ${lowest} or fewer, or raise --concurrency`);
  }
  return workers;
}

/** `10%` or `10` -> 10 (strictly between 0 and 100). */
export function percentOption(text: string, flag: string): number {
  const cleaned = text.trim().replace(/%$/, '');
  const value = Number(cleaned);
  if (cleaned === '' || !Number.isFinite(value) || value <= 0 || value >= 100) {
    throw usageError(`${flag} '${printable(text)}' is not a percentage between 0 and 100`, 'e.g. --fail-if-slower 10%');
  }
  return value;
}

/** A comma-separated list of whole numbers, e.g. `1,4,16`; duplicates removed, order kept. */
export function integerListOption(text: string, flag: string, min: number, max: number): number[] {
  const parts = text.split(',').map((part) => part.trim()).filter(Boolean);
  if (parts.length === 0) throw usageError(`${flag} is empty`, `give one or more numbers, e.g. ${flag} 1,4,16`);
  return [...new Set(parts.map((part) => integerOption(part, flag, min, max)))];
}

export function pathsOption(text: string): string[] {
  const names = [...new Set(text.split(',').map((part) => part.trim()).filter(Boolean))];
  if (names.length === 0) throw usageError('--paths is empty', `choose from ${DEFAULT_PATHS.join(', ')}`);
  for (const name of names) {
    if (!pathDefinition(name)) throw usageError(`--paths: unknown path '${printable(name)}'`, `choose from ${PATHS.map((p) => p.name).join(', ')}`);
  }
  return names;
}

/** `--http URL`: an absolute http:// or https:// URL (a path prefix is kept), without query or fragment. */
export function httpUrlOption(text: string): string {
  const trimmed = text.trim();
  const fail = (): never => {
    throw usageError(`--http '${printable(redactUrl(trimmed))}' is not an http:// or https:// URL`,
      'e.g. --http http://127.0.0.1:8080 for a running `perfbench serve`, or --http alone to start one in-process');
  };
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return fail();
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.search !== '' || url.hash !== '') return fail();
  if (url.username !== '' || url.password !== '') {
    // perfbench serve takes no credentials, and a URL that holds them would be copied into results.
    throw usageError(`--http '${printable(redactUrl(trimmed))}' carries credentials`, 'pass the URL without user or password');
  }
  return trimmed.replace(/\/+$/, '');
}

/** The format of an --output file, from its extension. */
export function outputFormat(path: string): BenchFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.md' || ext === '.markdown') return 'markdown';
  if (ext === '.csv') return 'csv';
  if (ext === '.txt') return 'table';
  if (ext === '.html' || ext === '.htm') return 'html';
  throw usageError(`--output ${printable(path)}: cannot tell the format from the extension`, 'use .json, .md, .csv, .txt or .html');
}

/**
 * `bench --workload/--builtin`: the shared flags as for the report, the workload's own paths
 * (as-is, no-index, index=EXPR, cache, and with --http http-slow and http-fast; the default set is
 * decided once the scripts are read).
 */
function workloadBenchOptions(flags: BenchFlags, workload: NonNullable<BenchOptions['workload']>, http: BenchOptions['http']): BenchOptions {
  const kinds = flags.paths === undefined ? undefined : workloadPathsOption(flags.paths);
  const timesHttp = kinds?.some((kind) => kind.kind === 'http');
  if (http && kinds && !timesHttp) {
    throw usageError(`--http times the ${HTTP_PATHS.join(' and ')} paths, but --paths leaves them out`, `add ${HTTP_PATHS.join(',')} to --paths, or drop --paths`);
  }
  if (!http && timesHttp) throw usageError(`--paths ${HTTP_PATHS.join(' and ')} need --http`, 'add --http (a perfbench serve --workload in-process) or --http URL');
  const options = unshardedOptions({ ...flags, workload: [], builtin: [], define: [], scale: undefined, maxTries: undefined, concurrently: undefined, driver: undefined, paths: undefined, http: undefined } as BenchFlags);
  options.workload = workload;
  options.paths = [];
  if (kinds) options.workloadPaths = kinds;
  if (http) options.http = http;
  if (workload.driver === 'libpq') {
    const clients = libpqClients(options.concurrency, options.workers, options.replicaUrls !== undefined);
    if (clients > 1) options.workers = clients;
  }
  return options;
}

export function benchOptions(flags: BenchFlags): BenchOptions {
  const options = unshardedOptions(flags);
  const shard = shardOptions(flags, options, durationOption);
  if (shard) options.shard = shard;
  return options;
}

function unshardedOptions(flags: BenchFlags): BenchOptions {
  const d = BENCH_DEFAULTS;
  if (flags.duration !== undefined && flags.iterations !== undefined) {
    throw usageError('give either --duration or --iterations, not both');
  }
  const iterations = flags.iterations === undefined ? undefined : integerOption(flags.iterations, '--iterations', 1, 1_000_000_000);
  const durationMs = iterations === undefined ? durationOption(flags.duration ?? d.duration, '--duration') : undefined;
  const distribution = choiceOption(flags.distribution ?? d.distribution, '--distribution', DISTRIBUTIONS);
  if (flags.skew !== undefined && distribution !== 'zipf') throw usageError('--skew applies only with --distribution zipf');
  if (flags.failIfSlower !== undefined && flags.baseline === undefined) {
    throw usageError('--fail-if-slower needs --baseline', 'pass the JSON result of an earlier run: --baseline baseline.json');
  }
  const http = flags.http === undefined || flags.http === false ? undefined : flags.http === true ? {} : { url: httpUrlOption(flags.http) };
  const workload = workloadOptions(flags);
  if (workload) return workloadBenchOptions(flags, workload, http);
  const paths = flags.paths === undefined ? [...DEFAULT_PATHS, ...(http ? HTTP_PATHS : [])] : pathsOption(flags.paths);
  const timesHttp = paths.some((name) => HTTP_PATHS.includes(name));
  if (http && !timesHttp) {
    throw usageError(`--http times the ${HTTP_PATHS.join(' and ')} paths, but --paths leaves them out`, `add ${HTTP_PATHS.join(',')} to --paths, or drop --paths`);
  }
  const options: BenchOptions = {
    paths,
    concurrency: integerListOption(flags.concurrency ?? d.concurrency, '--concurrency', 1, 1024),
    warmupMs: durationOption(flags.warmup ?? d.warmup, '--warmup', true),
    trials: integerOption(flags.trials ?? d.trials, '--trials', 1, 1000),
    distribution,
    seed: integerOption(flags.seed ?? d.seed, '--seed', 0, 2 ** 32 - 1),
    table: tableIdentifier(flags.table ?? d.table),
    column: columnIdentifier(flags.column ?? d.column),
    ttlSeconds: integerOption(flags.ttl ?? d.ttl, '--ttl', 1, 30 * 24 * 3600),
    keepIndex: Boolean(flags.keepIndex),
    lock: lockOptions(flags),
    keepCache: Boolean(flags.keepCache),
    format: choiceOption(flags.format ?? d.format, '--format', BENCH_FORMATS),
    outputs: (flags.output ?? []).map((path) => ({ path, format: outputFormat(path) })),
    thresholdPct: flags.failIfSlower === undefined ? d.failIfSlower : percentOption(flags.failIfSlower, '--fail-if-slower'),
    failIfSlower: flags.failIfSlower !== undefined,
  };
  if (iterations !== undefined) options.iterations = iterations;
  if (durationMs !== undefined) options.durationMs = durationMs;
  if (flags.rate !== undefined) options.ratePerSec = numberOption(flags.rate, '--rate', 0.001, 10_000_000);
  if (flags.workers !== undefined) options.workers = workersOption(flags.workers, options.concurrency);
  Object.assign(options, replicaOptions(flags));
  if (distribution === 'zipf') options.skew = flags.skew === undefined ? DEFAULT_ZIPF_SKEW : numberOption(flags.skew, '--skew', 0.01, 10);
  if (flags.baseline !== undefined) options.baseline = flags.baseline;
  // An HTTP path in --paths without --http: the server is started in-process, as with --http alone.
  if (timesHttp) options.http = http ?? {};
  return options;
}
