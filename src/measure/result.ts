/**
 * Measurement domain (pure): the result contract of `perfbench bench`, one versioned JSON object
 * that reporters read, `merge` adds up and baselines are old copies of. Every path embeds its
 * encoded HDR histogram, so nothing is lost between machines: statistics are recomputed from
 * histograms, never averaged.
 *
 * Compatibility: adding an optional field keeps `schemaVersion`; renaming, removing or changing
 * the meaning of a field bumps it, and `validateResult` then refuses older files with a hint
 * (unless they still read as the new version: see `RESULT_SCHEMA_OLDEST`).
 */
import { usageError } from '../errors.js';
import type { PlanRecord } from '../plan/plan-record.js';
import { addEncoded, LatencyHistogram, summarizeEncoded, type LatencySummary } from './histogram.js';
import { addSamples, concatSamples, type IntervalSamples } from './intervals.js';
import type { EventLoopLag } from './loop-lag.js';
import type { ReplicationRecord } from './replication.js';
import { combineServers, type ServerRecord } from './servers.js';
import { startSkewMs } from './shard.js';
import type { TargetKind } from './target.js';

/**
 * 2: paths carry `samples` (throughput and percentiles over time) and plans their `tree`. Version 1
 * files are still read: they are version 2 files without either.
 */
export const RESULT_SCHEMA_VERSION = 2;
/** The oldest schemaVersion this perfbench reads. */
export const RESULT_SCHEMA_OLDEST = 1;
export const RESULT_KIND = 'perfbench.bench';

/** Closed loop (N workers, each awaiting its reply) or open loop (a fixed-rate schedule). */
export type LoopMode = 'closed' | 'open';

/**
 * Where and on what the run happened; the caller fills it. Known keys are typed, others are
 * allowed. The regression gate lists the keys whose values differ from the baseline's.
 */
export interface Environment {
  node?: string;
  postgres?: string;
  redis?: string;
  cpu?: string;
  cpus?: number;
  os?: string;
  /** The dataset's fingerprint (rows, categories, seed…): different data, different numbers. */
  dataset?: string;
  /** Indexes present on the table during the run. */
  indexes?: string[];
  /** Key PostgreSQL settings (shared_buffers, work_mem, jit…). */
  settings?: Record<string, string>;
  /** The hdr-histogram-js build that recorded the run. */
  histogramBackend?: string;
  [key: string]: unknown;
}

/** The options the run was made with (open: the CLI may add its own keys). */
export interface RunOptionsRecord {
  mode: LoopMode;
  /** The concurrency levels swept (closed loop) or the outstanding-op bound (open loop). */
  concurrency: number[];
  durationMs?: number;
  iterations?: number;
  warmupMs?: number;
  warmupIterations?: number;
  ratePerSec?: number;
  trials: number;
  distribution: string;
  skew?: number;
  seed: number;
  categories?: number;
  workers?: number;
  /** bench --driver libpq (absent: node-postgres). */
  driver?: 'libpq';
  [key: string]: unknown;
}

/** Schedule lag of an open-loop run: actual start minus intended start (as pgbench reports it). */
export interface ScheduleLag {
  meanUs: number;
  maxUs: number;
  /** Operations that started more than 1 ms after their intended time. */
  lateOps: number;
}

/**
 * What the server said about an HTTP path's measured responses (`bench --http`): the mean of each
 * `Server-Timing` field and the `X-Cache` outcomes. Client-side latency minus `meanMs.total` is the
 * time outside the server's handler (network, HTTP parsing, the client itself).
 */
export interface ServerTimingRecord {
  /** The responses counted as operations (http-fast: only its HITs), the ones the latency histogram holds. */
  responses: number;
  /** Mean of each Server-Timing field over those responses, ms: queue, cache, db, total. */
  meanMs: Record<string, number>;
  /**
   * Every measured 200 response by `X-Cache` value: HIT, MISS, BYPASS (`none` when absent). For
   * http-fast this counts the non-hits apart: they are errors of the path, not in `responses`.
   */
  xCache: Record<string, number>;
  /**
   * The client-side mean per response, ms, when an operation is several responses (a workload's
   * execution, one GET per read statement); absent: an operation is one response, and its mean is it.
   */
  clientMeanMs?: number;
  /**
   * GETs the client sent a second time because the server closed a reused keep-alive connection
   * as the GET went out (each still one response, its latency spanning both sends); absent when none.
   */
  resent?: number;
}

/**
 * A summary of the plan a DB path ran, captured once after its run (outside the measurement) so
 * a reader can tell whether the path timed the plan its name promises.
 */
export interface PlanSummary {
  /** The category the plan was captured for. */
  category: string;
  /** The root node's operation, e.g. `Sort`, `Gather Merge`. */
  root: string;
  /** How the table was read, e.g. `Bitmap Heap Scan on products using products_category_btree_pb`. */
  scan: string;
  /** The scan node's operation: `Seq Scan`, `Parallel Seq Scan`, `Index Scan`, `Bitmap Heap Scan`… */
  scanType: string;
  /** Indexes the scan read (empty for a Seq Scan). */
  indexes: string[];
  usesIndex: boolean;
  /** Shared buffers of the whole plan, 8 kB blocks: hit in PostgreSQL's cache, and read from the OS. */
  sharedHitBlocks: number;
  sharedReadBlocks: number;
  executionTimeMs: number;
  planningTimeMs: number;
  /** The whole plan as a tree (nodes, exclusive times, buffers, warnings), for reports that draw it. */
  tree?: PlanRecord;
}

/**
 * Cache hits (or misses) as the client saw them against the server's INFO counters: a cache path
 * whose hits the server did not count timed something other than a cache hit.
 */
export interface CacheCheck {
  tier: string;
  /** GETs the path issued in the run (warm-up included). */
  gets: number;
  /** GETs that returned a value / nothing, as the client saw them. */
  hits: number;
  misses: number;
  /** The server's keyspace_hits / keyspace_misses delta over the same stretch (other clients add to it). */
  serverHits: number;
  serverMisses: number;
  /** True when the server counted at least the hits (cache) or misses (miss) the client saw. */
  verified: boolean;
}

/**
 * A stretch in which a DB path had no connection to PostgreSQL (a server restart, a terminated
 * backend, a network cut), as the path saw it: from its first operation that failed for want of a
 * connection to the reconnect that ended it. The operations in between failed and are counted in
 * `errors`; the path retried with a bounded backoff (at most one attempt per second), not in a loop.
 */
export interface ConnectionOutage {
  /** ISO 8601: the first operation (or reconnect) that failed. */
  startedAt: string;
  /** ISO 8601: the reconnect that ended it. Absent: still without a connection when the path's run ended. */
  endedAt?: string;
  /** endedAt - startedAt; without endedAt, up to the end of the run. */
  durationMs: number;
  /** Reconnect attempts so far, the successful one included. */
  reconnectAttempts: number;
  /** The first failure, one line. */
  error: string;
  /** With read replicas (`bench --replica-url`): the server (`host:port`) the path lost. */
  server?: string;
}

/**
 * `bench --workload`: one script statement's figures in one run, like a line of `pgbench -r`, with
 * its own HDR histogram (encoded, so merge adds it exactly). `ops` counts its successful executions,
 * `errors` its failed ones (retried executions included).
 */
export interface StatementRecord {
  /** The script it belongs to (file name or builtin name). */
  script: string;
  /** `-- name: x`, else `<script>#<k>`. */
  name: string;
  /** 1-based line in the script. */
  line: number;
  /** read, write or transaction (the cache path's decision). */
  access: string;
  ops: number;
  errors: number;
  summary: LatencySummary;
  histogram: string;
}

/** `bench --workload`: one script's executions (pgbench's transactions) in one run. */
export interface ScriptRecord {
  name: string;
  ops: number;
  errors: number;
}

/** The workload fields a run adds to its PathResult (all optional there). */
export interface WorkloadRecord {
  statements: StatementRecord[];
  scripts: ScriptRecord[];
  /** Failed executions by SQLSTATE (`client` for errors that never reached the server). */
  failures: Record<string, number>;
  /** Executions rerun after a serialization failure or deadlock (--max-tries). */
  retries: number;
  /** The cache path: read statements answered from the cache, and from PostgreSQL. */
  cacheHits?: number;
  cacheMisses?: number;
}

/** How a speed-up's interval was obtained (see compare.ts). */
export type IntervalMethod = 'trials' | 'bootstrap';

/** A ratio with its interval; `low <= estimate <= high` unless the data are degenerate. */
export interface RatioEstimate {
  estimate: number;
  low: number;
  high: number;
}

/**
 * How many times faster `path` is than `baseline`: baseline latency / path latency (2 = twice as
 * fast). Latencies below the histogram's 1 µs resolution count as 1 µs, so ratios stay finite.
 * Part of the contract because result files may carry them (`BenchResult.comparisons`); compare.ts
 * computes them.
 *
 * A union on `method`: a pair in which either side had no successful operation has no latency, so
 * no ratio either (`method: 'none'`, `p50`/`p99` null, and the `reason` in words). Without this, an
 * empty histogram reads as 0 µs, is floored to 1 µs, and a path whose every operation failed shows
 * a speed-up of thousands.
 */
export type Comparison = MeasuredComparison | UnavailableComparison;

/** What every comparison names: which path against which, in which mode, at which concurrency. */
export interface ComparisonHead {
  path: string;
  baseline: string;
  mode: LoopMode;
  concurrency: number;
}

/** A speed-up measured on both sides' recorded latencies. */
export interface MeasuredComparison extends ComparisonHead {
  p50: RatioEstimate;
  p99: RatioEstimate;
  method: IntervalMethod;
  /** Trials used (paired trials for `trials`, folded trials for `bootstrap`). */
  trials: number;
  /** `bootstrap` only: the interval's confidence level and the number of resamples. */
  confidence?: number;
  resamples?: number;
}

/** No speed-up: at least one side recorded no successful operation (reporters show "—" and the reason). */
export interface UnavailableComparison extends ComparisonHead {
  p50: null;
  p99: null;
  method: 'none';
  trials: 0;
  /** Why, in words: e.g. `cache had no successful operation (1 error)`. */
  reason: string;
}

/** One path at one concurrency in one trial (or the exact sum of several, see `mergeResults`). */
export interface PathResult {
  name: string;
  kind: TargetKind;
  mode: LoopMode;
  /** Workers (closed loop) or the bound on outstanding operations (open loop), per process. */
  concurrency: number;
  /** Target rate of an open-loop run, operations per second. */
  ratePerSec?: number;
  /** 1-based trial number. */
  trial: number;
  /** How many runs were added into this one (processes or machines); 1 for a plain run. */
  sources: number;
  /**
   * Load-generating threads behind this result, over all its sources (`bench --workers`); absent:
   * one per source. A process's threads share its `concurrency`, which counts them all.
   */
  workers?: number;
  /**
   * `bench --shard`: the run's concurrency level, of which `concurrency` is this process's share
   * (after a merge, `concurrency` is the sum of the shares: the level again). Paths are matched by it.
   */
  totalConcurrency?: number;
  /** ISO 8601 (wall clock, ms): when the measured phase began; merged: the earliest source's. */
  measureStartedAt?: string;
  /** Merged from several generators: the latest measured-phase start minus the earliest, ms. */
  startSkewMs?: number;
  /**
   * Completed operations that were recorded (errors excluded). With 0 there is no latency: `summary`
   * then holds zeros with `count` 0, and reporters show "—" instead of its figures.
   */
  ops: number;
  errors: number;
  /** The first error's message, to tell the user what went wrong. */
  firstError?: string;
  /** The measured phase's wall time. */
  elapsedMs: number;
  /** Recorded operations per second of elapsed time. */
  throughputOpsPerSec: number;
  /**
   * True when `summary`/`histogram` are measured from each operation's intended start (open
   * loop, coordinated omission corrected); false for a closed loop.
   */
  coCorrected: boolean;
  summary: LatencySummary;
  /** HdrHistogram compressed base64, microseconds. */
  histogram: string;
  /** Open loop only: the same operations measured from their actual send. */
  uncorrected?: { summary: LatencySummary; histogram: string };
  scheduleLag?: ScheduleLag;
  eventLoopLag?: EventLoopLag;
  /**
   * CPU time the load-generating process used during the measured phase (all its threads), ms.
   * Divided by `elapsedMs` x `sources` it tells how busy the client was (see self-check.ts).
   */
  clientCpuMs?: number;
  /** The run stopped early (Ctrl-C): the figures cover what was measured until then. */
  interrupted: boolean;
  /** Throughput and percentiles over the measured phase, interval by interval (schemaVersion 2). */
  samples?: IntervalSamples;
  /** HTTP paths: the server's own timing of the measured responses. */
  serverTiming?: ServerTimingRecord;
  /** DB paths: the plan the path ran. */
  plan?: PlanSummary;
  /** Cache paths: whether the server counted the hits (or misses) the client saw. */
  cacheCheck?: CacheCheck;
  /**
   * DB paths: the connection outages this run saw (flag `connection-lost`), each within the run: one
   * still going on when the run ended has no `endedAt`, and the next run records its own.
   */
  outages?: ConnectionOutage[];
  /** DB paths with read replicas (`bench --replica-url`): the operations and latency of each server. */
  servers?: ServerRecord[];
  /** `bench --workload`: per-statement figures, like `pgbench -r` with percentiles. */
  statements?: StatementRecord[];
  /** `bench --workload`: executions per script. */
  scripts?: ScriptRecord[];
  /** `bench --workload`: failed executions by SQLSTATE. */
  failures?: Record<string, number>;
  /** `bench --workload`: executions retried after a serialization failure or deadlock. */
  retries?: number;
  /** `bench --workload`, cache path: reads answered by the cache and by PostgreSQL. */
  cacheHits?: number;
  cacheMisses?: number;
  notes?: string[];
  /** Short machine-readable warnings, e.g. `plan-mismatch`, `client-bound`. */
  flags?: string[];
}

/** `bench --shard I/N`: which part of which run this result is. */
export interface ShardRecord {
  /** 1-based shard index, and the number of shards of the run. */
  index: number;
  count: number;
  /** The run's id: every shard of one run has the same (`--run-id`, or derived from the options). */
  runId: string;
  /** How the shards started together: at an agreed instant, at a Redis barrier, or not at all. */
  start: 'start-at' | 'barrier' | 'none';
  /** ISO 8601: the agreed instant (`--start-at`). */
  startAt?: string;
  /** The barrier key (`--barrier`). */
  barrier?: string;
}

/** A merge of the shards of one run: how many generators, and how well their measured phases overlapped. */
export interface GeneratorsRecord {
  count: number;
  runId: string;
  /** The shard indexes merged, ascending. */
  shards: number[];
  /** The largest start skew of any measured phase (every path, concurrency and trial), ms. */
  maxStartSkewMs: number;
  /** The start skew of the first measured phase (the one --start-at or the barrier aligned first), ms. */
  firstStartSkewMs: number;
}

/** The whole result file. */
export interface BenchResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  kind: typeof RESULT_KIND;
  /** ISO 8601. */
  createdAt: string;
  environment: Environment;
  options: RunOptionsRecord;
  paths: PathResult[];
  /** The run as a whole stopped early. */
  interrupted: boolean;
  /** `bench --shard`: this result is one shard of a run (optional: results without it read as before). */
  shard?: ShardRecord;
  /** `merge` of shards: the generators behind this result. */
  generators?: GeneratorsRecord;
  notes?: string[];
  /** Speed-ups computed when the file was written (derived; recomputed by readers that need them). */
  comparisons?: Comparison[];
  /** `bench --replica-url`: the replicas, the replay wait and their lag at the start and end of the measuring. */
  replication?: ReplicationRecord;
}

/** Builds a result object around measured paths. */
export function createResult(input: {
  environment: Environment;
  options: RunOptionsRecord;
  paths: PathResult[];
  createdAt?: Date;
  notes?: string[];
  replication?: ReplicationRecord;
}): BenchResult {
  const result: BenchResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    kind: RESULT_KIND,
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    environment: input.environment,
    options: input.options,
    paths: input.paths,
    interrupted: input.paths.some((p) => p.interrupted),
  };
  if (input.notes?.length) result.notes = input.notes;
  if (input.replication) result.replication = input.replication;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Validation

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const SUMMARY_KEYS: readonly (keyof LatencySummary)[] = [
  'count', 'meanUs', 'stddevUs', 'minUs', 'p50Us', 'p90Us', 'p99Us', 'p999Us', 'maxUs',
];

/**
 * Checks that `json` is a perfbench bench result this version reads, and returns it typed.
 * Throws a usage error (exit 2) with one line naming the file and the first problem.
 * `checkHistograms` also decodes every embedded histogram (catches truncated or edited files).
 */
export function validateResult(json: unknown, source = 'result', checkHistograms = true): BenchResult {
  const fail = (what: string, hint = 'pass a JSON file written by `perfbench bench --format json`'): never => {
    throw usageError(`${source}: ${what}`, hint);
  };
  if (!isObject(json)) return fail('not a perfbench result (expected a JSON object)');
  if (json['kind'] !== RESULT_KIND) return fail(`not a perfbench bench result (kind is ${JSON.stringify(json['kind'] ?? null)})`);
  const version = json['schemaVersion'];
  if (!isNumber(version)) return fail('corrupt result: schemaVersion is missing');
  if (version < RESULT_SCHEMA_OLDEST) {
    return fail(`result schemaVersion ${version} is older than this perfbench reads (${RESULT_SCHEMA_OLDEST})`, 're-run the benchmark to make a new baseline');
  }
  if (version > RESULT_SCHEMA_VERSION) {
    return fail(`result schemaVersion ${version} is newer than this perfbench reads (${RESULT_SCHEMA_VERSION})`, 'upgrade perfbench');
  }
  if (typeof json['createdAt'] !== 'string' || Number.isNaN(Date.parse(json['createdAt']))) return fail('corrupt result: createdAt is not a date');
  if (!isObject(json['environment'])) return fail('corrupt result: environment is missing');
  const options = json['options'];
  if (!isObject(options) || (options['mode'] !== 'closed' && options['mode'] !== 'open')) return fail('corrupt result: options.mode is missing');
  const paths = json['paths'];
  if (!Array.isArray(paths)) return fail('corrupt result: paths is not an array');
  paths.forEach((p: unknown, i) => {
    const at = `paths[${i}]`;
    if (!isObject(p)) return fail(`corrupt result: ${at} is not an object`);
    if (typeof p['name'] !== 'string' || p['name'] === '') fail(`corrupt result: ${at}.name is missing`);
    for (const key of ['concurrency', 'trial', 'ops', 'errors', 'elapsedMs', 'throughputOpsPerSec'] as const) {
      if (!isNumber(p[key])) fail(`corrupt result: ${at}.${key} is not a number`);
    }
    if (p['mode'] !== 'closed' && p['mode'] !== 'open') fail(`corrupt result: ${at}.mode is missing`);
    checkSummary(p['summary'], `${at}.summary`, fail);
    checkEncoded(p['histogram'], `${at}.histogram`, checkHistograms, fail);
    const uncorrected = p['uncorrected'];
    if (uncorrected !== undefined) {
      if (!isObject(uncorrected)) return fail(`corrupt result: ${at}.uncorrected is not an object`);
      checkSummary(uncorrected['summary'], `${at}.uncorrected.summary`, fail);
      checkEncoded(uncorrected['histogram'], `${at}.uncorrected.histogram`, checkHistograms, fail);
    }
    const samples = p['samples'];
    if (samples !== undefined && (!isObject(samples) || !isNumber(samples['intervalMs']) || !Array.isArray(samples['points']) ||
      !samples['points'].every((s: unknown) => isObject(s) && isNumber(s['startMs']) && isNumber(s['endMs']) && isNumber(s['ops'])))) {
      fail(`corrupt result: ${at}.samples is not a list of intervals`);
    }
    checkWorkload(p, at, checkHistograms, fail);
    const servers = p['servers'];
    if (servers !== undefined) {
      if (!Array.isArray(servers) || !servers.every((s: unknown) => isObject(s) && typeof s['server'] === 'string' && isNumber(s['ops']) && isNumber(s['errors']))) {
        fail(`corrupt result: ${at}.servers is not a list of per-server figures`);
      }
      (servers as Json[]).forEach((s, k) => checkEncoded(s['histogram'], `${at}.servers[${k}].histogram`, checkHistograms, fail));
    }
    return undefined;
  });
  // A version 1 file is a version 2 file without samples and plan trees: read as the current version.
  return (version === RESULT_SCHEMA_VERSION ? json : { ...json, schemaVersion: RESULT_SCHEMA_VERSION }) as unknown as BenchResult;
}

/** The optional `bench --workload` fields of a path, when present. */
function checkWorkload(p: Json, at: string, checkHistograms: boolean, fail: (what: string) => never): void {
  const statements = p['statements'];
  if (statements !== undefined) {
    if (!Array.isArray(statements)) fail(`corrupt result: ${at}.statements is not an array`);
    (statements as unknown[]).forEach((s, k) => {
      const sat = `${at}.statements[${k}]`;
      if (!isObject(s) || typeof s['name'] !== 'string' || typeof s['script'] !== 'string' || !isNumber(s['ops']) || !isNumber(s['errors']) || !isNumber(s['line'])) {
        fail(`corrupt result: ${sat} is not a statement record`);
      }
      checkSummary((s as Json)['summary'], `${sat}.summary`, fail);
      checkEncoded((s as Json)['histogram'], `${sat}.histogram`, checkHistograms, fail);
    });
  }
  const scripts = p['scripts'];
  if (scripts !== undefined && (!Array.isArray(scripts) || !scripts.every((s: unknown) => isObject(s) && typeof s['name'] === 'string' && isNumber(s['ops']) && isNumber(s['errors'])))) {
    fail(`corrupt result: ${at}.scripts is not a list of script counts`);
  }
  const failures = p['failures'];
  if (failures !== undefined && (!isObject(failures) || !Object.values(failures).every(isNumber))) fail(`corrupt result: ${at}.failures is not a count by SQLSTATE`);
  for (const key of ['retries', 'cacheHits', 'cacheMisses'] as const) {
    if (p[key] !== undefined && !isNumber(p[key])) fail(`corrupt result: ${at}.${key} is not a number`);
  }
}

function checkSummary(summary: unknown, at: string, fail: (what: string) => never): void {
  if (!isObject(summary)) fail(`corrupt result: ${at} is missing`);
  for (const key of SUMMARY_KEYS) if (!isNumber((summary as Json)[key])) fail(`corrupt result: ${at}.${key} is not a number`);
}

function checkEncoded(encoded: unknown, at: string, decode: boolean, fail: (what: string) => never): void {
  if (typeof encoded !== 'string' || encoded === '') fail(`corrupt result: ${at} is missing`);
  if (!decode) return;
  let ok = true;
  try {
    LatencyHistogram.decode(encoded as string, 'js').destroy();
  } catch {
    ok = false;
  }
  if (!ok) fail(`corrupt result: ${at} is not a valid encoded histogram`);
}

// ---------------------------------------------------------------------------------------------
// Combining

/**
 * Server-Timing records added up: responses and X-Cache counts summed, each field's mean weighted
 * by the responses behind it (exact for `perfbench serve`, whose every report carries every field).
 */
export function combineServerTiming(parts: readonly ServerTimingRecord[]): ServerTimingRecord {
  const responses = sum(parts, (t) => t.responses);
  const weighted: Record<string, number> = {};
  const weights: Record<string, number> = {};
  const xCache: Record<string, number> = {};
  for (const t of parts) {
    for (const [field, mean] of Object.entries(t.meanMs)) {
      weighted[field] = (weighted[field] ?? 0) + mean * t.responses;
      weights[field] = (weights[field] ?? 0) + t.responses;
    }
    for (const [status, count] of Object.entries(t.xCache)) xCache[status] = (xCache[status] ?? 0) + count;
  }
  const meanMs: Record<string, number> = {};
  for (const field of Object.keys(weighted)) meanMs[field] = weights[field]! > 0 ? weighted[field]! / weights[field]! : 0;
  const clientMeanMs = parts.every((t) => t.clientMeanMs !== undefined) && responses > 0
    ? sum(parts, (t) => t.clientMeanMs! * t.responses) / responses : undefined;
  const resent = sum(parts, (t) => t.resent ?? 0);
  return { responses, meanMs, xCache, ...(clientMeanMs !== undefined ? { clientMeanMs } : {}), ...(resent > 0 ? { resent } : {}) };
}

/**
 * How parts relate in time. `concurrent`: they ran at the same time (worker threads, machines),
 * so throughput adds up. `sequential`: one after the other (trials), so throughput is total ops
 * over total time.
 */
export type Combination = 'concurrent' | 'sequential';

/** The key under which paths are combined. */
export function pathKey(p: Pick<PathResult, 'name' | 'mode' | 'concurrency' | 'totalConcurrency'>): string {
  return `${p.name}\u0000${p.mode}\u0000${p.totalConcurrency ?? p.concurrency}`;
}

/**
 * The concurrency a path ran at in all: every source's workers added. Shards (`totalConcurrency`)
 * ran unequal shares, which `concurrency` already adds up when they are merged.
 */
export function runConcurrency(p: Pick<PathResult, 'concurrency' | 'sources' | 'totalConcurrency'>): number {
  return p.totalConcurrency !== undefined ? p.concurrency : p.concurrency * p.sources;
}

/**
 * Combines results of the same path: histograms are added exactly, counts summed, statistics
 * recomputed from the sum. Notes and flags are united; the first error message is kept.
 */
export function combinePaths(parts: readonly PathResult[], how: Combination): PathResult {
  const first = parts[0];
  if (!first) throw new RangeError('combinePaths needs at least one path');
  if (parts.length === 1) return first;
  const histogram = addEncoded(parts.map((p) => p.histogram));
  const ops = sum(parts, (p) => p.ops);
  const elapsedMs = how === 'concurrent' ? Math.max(...parts.map((p) => p.elapsedMs)) : sum(parts, (p) => p.elapsedMs);
  const throughputOpsPerSec = how === 'concurrent'
    ? sum(parts, (p) => p.throughputOpsPerSec)
    : elapsedMs > 0 ? (ops * 1000) / elapsedMs : 0;
  const combined: PathResult = {
    ...first,
    sources: how === 'concurrent' ? sum(parts, (p) => p.sources) : first.sources,
    ops,
    errors: sum(parts, (p) => p.errors),
    elapsedMs,
    throughputOpsPerSec,
    summary: summarizeEncoded(histogram),
    histogram,
    interrupted: parts.some((p) => p.interrupted),
  };
  if (how === 'concurrent' && parts.some((p) => p.workers !== undefined)) combined.workers = sum(parts, (p) => p.workers ?? p.sources);
  const firstError = parts.find((p) => p.firstError !== undefined)?.firstError;
  if (firstError !== undefined) combined.firstError = firstError;
  else delete combined.firstError;
  const timings = parts.map((p) => p.serverTiming).filter((t): t is ServerTimingRecord => t !== undefined);
  if (timings.length > 0) combined.serverTiming = combineServerTiming(timings);
  else delete combined.serverTiming;
  if (how === 'concurrent' && first.ratePerSec !== undefined) combined.ratePerSec = sum(parts, (p) => p.ratePerSec ?? 0);
  // Shards ran shares of one level: added, the shares are the level again.
  if (how === 'concurrent' && first.totalConcurrency !== undefined) combined.concurrency = sum(parts, (p) => p.concurrency);
  const starts = parts.map((p) => p.measureStartedAt).filter((at): at is string => at !== undefined);
  if (how === 'concurrent' && starts.length > 0) {
    combined.measureStartedAt = [...starts].sort()[0]!;
    combined.startSkewMs = Math.max(startSkewMs(starts) ?? 0, ...parts.map((p) => p.startSkewMs ?? 0));
  }
  const uncorrected = parts.map((p) => p.uncorrected?.histogram).filter((h): h is string => h !== undefined);
  if (uncorrected.length === parts.length) {
    const added = addEncoded(uncorrected);
    combined.uncorrected = { summary: summarizeEncoded(added), histogram: added };
  } else delete combined.uncorrected;
  const lags = parts.map((p) => p.scheduleLag);
  if (lags.every((l) => l !== undefined)) {
    combined.scheduleLag = {
      meanUs: ops > 0 ? sum(parts, (p) => p.scheduleLag!.meanUs * p.ops) / ops : 0,
      maxUs: Math.max(...lags.map((l) => l!.maxUs)),
      lateOps: sum(parts, (p) => p.scheduleLag!.lateOps),
    };
  } else delete combined.scheduleLag;
  const loops = parts.map((p) => p.eventLoopLag).filter((l): l is EventLoopLag => l !== undefined);
  if (loops.length > 0) {
    // Per-part loop histograms are not kept, so the combined p99 is the worst part's (an upper bound).
    combined.eventLoopLag = {
      meanUs: loops.reduce((a, l) => a + l.meanUs, 0) / loops.length,
      p99Us: Math.max(...loops.map((l) => l.p99Us)),
      maxUs: Math.max(...loops.map((l) => l.maxUs)),
    };
  }
  if (parts.every((p) => p.clientCpuMs !== undefined)) combined.clientCpuMs = sum(parts, (p) => p.clientCpuMs!);
  else delete combined.clientCpuMs;
  const samples = how === 'concurrent' ? addSamples(parts.map((p) => p.samples)) : concatSamples(parts);
  if (samples) combined.samples = samples;
  else delete combined.samples;
  const outages = combineOutages(parts.flatMap((p) => p.outages ?? []));
  if (outages.length) combined.outages = outages;
  else delete combined.outages;
  combineWorkload(parts, combined);
  const servers = combineServers(parts.map((p) => p.servers));
  if (servers) combined.servers = servers;
  else delete combined.servers;
  const notes = unique(parts.flatMap((p) => p.notes ?? []));
  const flags = unique(parts.flatMap((p) => p.flags ?? []));
  if (notes.length) combined.notes = notes;
  if (flags.length) combined.flags = flags;
  return combined;
}

/**
 * The `bench --workload` fields of several runs of one path: statement histograms added exactly
 * (statements matched by script and name), counts and failures summed. Absent when no part has them.
 */
export function combineWorkload(parts: readonly Partial<WorkloadRecord>[], into: Partial<WorkloadRecord>): void {
  const withStatements = parts.filter((p) => p.statements !== undefined);
  if (withStatements.length > 0) {
    const groups = new Map<string, StatementRecord[]>();
    for (const s of withStatements.flatMap((p) => p.statements!)) {
      const key = `${s.script}\u0000${s.name}\u0000${s.line}`;
      const group = groups.get(key);
      if (group) group.push(s);
      else groups.set(key, [s]);
    }
    into.statements = [...groups.values()].map((group) => {
      const histogram = group.length === 1 ? group[0]!.histogram : addEncoded(group.map((s) => s.histogram));
      return { ...group[0]!, ops: sum(group, (s) => s.ops), errors: sum(group, (s) => s.errors), summary: group.length === 1 ? group[0]!.summary : summarizeEncoded(histogram), histogram };
    });
  } else delete into.statements;
  const withScripts = parts.filter((p) => p.scripts !== undefined);
  if (withScripts.length > 0) {
    const scripts = new Map<string, ScriptRecord>();
    for (const s of withScripts.flatMap((p) => p.scripts!)) {
      const seen = scripts.get(s.name);
      scripts.set(s.name, seen ? { name: s.name, ops: seen.ops + s.ops, errors: seen.errors + s.errors } : { ...s });
    }
    into.scripts = [...scripts.values()];
  } else delete into.scripts;
  const withFailures = parts.filter((p) => p.failures !== undefined);
  if (withFailures.length > 0) {
    const failures: Record<string, number> = {};
    for (const p of withFailures) for (const [code, n] of Object.entries(p.failures!)) failures[code] = (failures[code] ?? 0) + n;
    into.failures = failures;
  } else delete into.failures;
  for (const key of ['retries', 'cacheHits', 'cacheMisses'] as const) {
    if (parts.some((p) => p[key] !== undefined)) into[key] = sum(parts, (p) => p[key] ?? 0);
    else delete into[key];
  }
}

/**
 * Outages of several runs (trials, or sources merged) as one list, in order of start. Records with
 * the same `startedAt` are one outage told twice: the one that ended it, or else the longest, stays.
 */
export function combineOutages(outages: readonly ConnectionOutage[]): ConnectionOutage[] {
  const byStart = new Map<string, ConnectionOutage>();
  for (const outage of outages) {
    const seen = byStart.get(outage.startedAt);
    const better = !seen || (outage.endedAt !== undefined && seen.endedAt === undefined) ||
      ((outage.endedAt === undefined) === (seen.endedAt === undefined) && outage.durationMs > seen.durationMs);
    if (better) byStart.set(outage.startedAt, outage);
  }
  return [...byStart.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/**
 * Adds results of runs that generated load at the same time (worker threads, machines) into one:
 * paths with the same name, mode, concurrency and trial are combined with `combinePaths`.
 * Environment and options come from the first result; a note lists the environment keys that differ.
 * Stored comparisons are dropped (they no longer describe the sum).
 */
export function mergeResults(results: readonly BenchResult[]): BenchResult {
  const first = results[0];
  if (!first) throw usageError('nothing to merge', 'pass at least one result file');
  // Trials stay apart: the same trial of the same path from every source is one measurement.
  const groups = groupPaths(results.flatMap((r) => r.paths), (p) => `${pathKey(p)}\u0000${p.trial}`);
  const paths = [...groups.values()].map((g) => combinePaths(g, 'concurrent'));
  const notes = unique(results.flatMap((r) => r.notes ?? []));
  const differing = unique(results.slice(1).flatMap((r) => environmentDifferences(first.environment, r.environment).map((d) => d.key)));
  if (differing.length) notes.push(`merged results from different environments (${differing.join(', ')})`);
  const merged: BenchResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    kind: RESULT_KIND,
    createdAt: first.createdAt,
    environment: first.environment,
    options: { ...first.options, ...mergedWorkers(results) },
    paths,
    interrupted: results.some((r) => r.interrupted),
  };
  if (notes.length) merged.notes = notes;
  // Each source saw the same replicas; the first one's lag stands for the run (the paths keep every server's figures).
  if (first.replication) merged.replication = first.replication;
  const generators = generatorsOf(results, paths);
  if (generators) merged.generators = generators;
  return merged;
}

/**
 * The threads behind merged results: every source's added, but only when some source ran more than
 * one (`bench --workers`). Single-threaded shards are processes, not threads, and the merged report
 * counts them as generators instead.
 */
function mergedWorkers(results: readonly BenchResult[]): { workers?: number } {
  if (!results.some((r) => (r.options.workers ?? 1) > 1)) return {};
  return { workers: sum(results, (r) => r.options.workers ?? 1) };
}

/** The generators behind merged shards: their count, run id and start skew (undefined: no shard among them). */
function generatorsOf(results: readonly BenchResult[], merged: readonly PathResult[]): GeneratorsRecord | undefined {
  const shards = results.map((r) => r.shard).filter((s): s is ShardRecord => s !== undefined);
  if (shards.length === 0) return undefined;
  const skews = merged.map((p) => p.startSkewMs ?? 0);
  const first = results.map((r) => r.paths[0]?.measureStartedAt).filter((at): at is string => at !== undefined);
  return {
    count: results.length,
    runId: shards[0]!.runId,
    shards: shards.map((s) => s.index).sort((a, b) => a - b),
    maxStartSkewMs: skews.length > 0 ? Math.max(...skews) : 0,
    firstStartSkewMs: startSkewMs(first) ?? 0,
  };
}

/** Paths grouped by name, mode and concurrency (the trials of one path), or by the key given. */
export function groupPaths(paths: readonly PathResult[], keyOf: (p: PathResult) => string = pathKey): Map<string, PathResult[]> {
  const groups = new Map<string, PathResult[]>();
  for (const p of paths) {
    const key = keyOf(p);
    const group = groups.get(key);
    if (group) group.push(p);
    else groups.set(key, [p]);
  }
  return groups;
}

/**
 * The paths of a result with trials folded together (sequentially), one per name, mode and
 * concurrency, in first-seen order: what tables show.
 */
export function foldTrials(paths: readonly PathResult[]): PathResult[] {
  return [...groupPaths(paths).values()].map((g) => combinePaths(g, 'sequential'));
}

/** One environment key whose value differs between two results. */
export interface EnvironmentDifference {
  key: string;
  baseline: unknown;
  current: unknown;
}

/** The environment keys whose values differ (deep, order-sensitive comparison via JSON). */
export function environmentDifferences(baseline: Environment, current: Environment): EnvironmentDifference[] {
  const keys = unique([...Object.keys(baseline), ...Object.keys(current)]).sort();
  return keys
    .filter((key) => JSON.stringify(baseline[key]) !== JSON.stringify(current[key]))
    .map((key) => ({ key, baseline: baseline[key], current: current[key] }));
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += of(item);
  return total;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
