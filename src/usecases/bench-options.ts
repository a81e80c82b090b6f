/** Use case: what a bench run is asked to do, parsed from the flags (src/flags/bench-flags.ts). */
import type { ReplicaUrl } from '../config.js';
import type { Distribution } from '../measure/random.js';
import type { Shard } from '../measure/shard.js';
import type { ProgressEvent } from '../measure/runner.js';
import type { BenchFormat } from '../report/bench-report.js';
import type { Identifier } from '../workload/identifiers.js';
import type { WorkloadPathKind } from '../targets/workload-path.js';
import type { BuiltinScriptName } from '../workload/pgbench/index.js';
import type { OutputFile } from './publish.js';
import type { LockOptions } from './lock-options.js';

export interface BenchOptions {
  paths: string[];
  /** Concurrency levels, swept in this order. */
  concurrency: number[];
  /** Exactly one of durationMs and iterations. */
  durationMs?: number;
  iterations?: number;
  warmupMs: number;
  /** Open loop at this rate (ops/s); closed loop when absent. */
  ratePerSec?: number;
  trials: number;
  distribution: Distribution;
  /** Zipf exponent (zipf only). */
  skew?: number;
  seed: number;
  table: Identifier;
  column: Identifier;
  ttlSeconds: number;
  keepIndex: boolean;
  /** Waiting for another perfbench run on the same table (`--lock-timeout`, `--no-wait`). */
  lock: LockOptions;
  keepCache: boolean;
  format: BenchFormat;
  outputs: OutputFile[];
  baseline?: string;
  /** The slow-down the gate reports against; it trips (exit 3) only with `failIfSlower`. */
  thresholdPct: number;
  failIfSlower: boolean;
  /**
   * `bench --http`: the HTTP paths time `perfbench serve` at `url`, or (no url) one started
   * in-process for the run. Absent when no HTTP path runs.
   */
  http?: { url?: string };
  /** `bench --workload/--builtin`: pgbench scripts instead of the report. */
  workload?: WorkloadOptions;
  /** A workload's --paths; absent: as-is, no-index, and cache when every statement reads. */
  workloadPaths?: WorkloadPathKind[];
  /** `--replica-url`: the read replicas (absent: the configuration's PERFBENCH_REPLICA_URLS, if any). */
  replicaUrls?: ReplicaUrl[];
  /** `--replica-timeout`: the longest wait for the replicas to replay the run's setup. */
  replicaTimeoutMs?: number;
  /** `--workers N`: worker threads that generate the load together (absent or 1: this thread alone). */
  workers?: number;
  /** `--shard I/N`: this process generates shard I of the run's load (usecases/shard-start.ts). */
  shard?: ShardOptions;
}

/** How the shards of one run start together. */
export type ShardStart =
  | { kind: 'none' }
  /** `--start-at`: every shard sleeps until this instant (epoch ms). */
  | { kind: 'start-at'; atMs: number }
  /** `--barrier KEY`: every shard counts itself in at a Redis key and waits for all N, up to timeoutMs. */
  | { kind: 'barrier'; key: string; timeoutMs: number };

export interface ShardOptions {
  shard: Shard;
  /** The same for every shard of one run; merge checks it. */
  runId: string;
  start: ShardStart;
}

/** One script of a workload: a file (`--workload FILE@W`) or pgbench's built-in (`--builtin NAME@W`). */
export type WorkloadScriptSpec =
  | { source: 'file'; path: string; weight: number }
  | { source: 'builtin'; name: BuiltinScriptName; weight: number };

export interface WorkloadOptions {
  scripts: WorkloadScriptSpec[];
  /** -D NAME=VALUE. */
  defines: Record<string, string>;
  /** --scale; absent: the rows of pgbench_branches, else 1 (as pgbench). */
  scale?: number;
  /** --max-tries: tries per execution after a serialization failure or deadlock (1: none). */
  maxTries: number;
  /** --concurrently: the index= paths build and drop their candidate index CONCURRENTLY. */
  concurrently?: boolean;
  /** --driver libpq: the statements run on blocking libpq sessions, one client per worker process (absent: node-postgres). */
  driver?: 'libpq';
}

/** Progress and status of a run, for the spinner (TTY only); all optional. */
export interface BenchHooks {
  /** A phase of the preparation, e.g. "creating index …". */
  onStatus?(text: string): void;
  /** Runner progress, with the run's position in the whole bench. */
  onProgress?(event: ProgressEvent, position: { run: number; runs: number; trials: number }): void;
  /** Wraps every line bench writes to stderr (a spinner clears itself around it). */
  aroundTalk?(write: () => void): void;
}
