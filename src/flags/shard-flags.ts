/**
 * Flags: `perfbench bench --shard I/N [--run-id ID] [--start-at TIME | --barrier KEY [--barrier-timeout T]]`,
 * parsed into the run's ShardOptions. Pure (the clock is read when the shard starts, not here): every
 * bad value is a one-line usage error (exit 2). The checks against the rest of the options (each
 * shard needs at least one worker and one iteration) are here too, so a bad split fails before
 * anything is prepared.
 */
import { createHash } from 'node:crypto';
import { usageError } from '../errors.js';
import type { Shard } from '../measure/shard.js';
import type { BenchOptions, ShardOptions, ShardStart } from '../usecases/bench-options.js';
import { printable } from '../workload/identifiers.js';

export interface ShardFlags {
  shard?: string;
  runId?: string;
  startAt?: string;
  barrier?: string;
  barrierTimeout?: string;
}

export const SHARD_FLAG_HELP = {
  shard: 'generate shard I of N of the run: its share of --concurrency (and --iterations, --rate) and every Nth operation; merge the N results',
  runId: 'the id every shard of one run shares, checked by merge (default: derived from the options, N and --start-at/--barrier)',
  startAt: 'with --shard: start the first measured phase at this ISO 8601 instant, e.g. 2026-12-01T22:00:00Z (every shard the same)',
  barrier: 'with --shard: wait before each measured phase until all N shards have counted themselves in at this Redis key',
  barrierTimeout: 'with --barrier: how long to wait for the other shards, e.g. 30s or 5m',
} as const;

export const DEFAULT_BARRIER_TIMEOUT_MS = 5 * 60_000;
const MAX_SHARDS = 1024;

/** `3/4` -> shard 3 of 4. */
export function shardOption(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || count > MAX_SHARDS || index < 1 || index > count) {
    throw usageError(`--shard '${printable(text)}' is not I/N with 1 <= I <= N <= ${MAX_SHARDS}`, 'e.g. --shard 1/4 … --shard 4/4, one per process');
  }
  return { index, count };
}

/** An ISO 8601 instant with a date, a time and a zone (a zone-less time would mean different instants on different machines). */
export function startAtOption(text: string): number {
  const trimmed = text.trim();
  const ms = Date.parse(trimmed);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed) || !Number.isFinite(ms)) {
    throw usageError(`--start-at '${printable(text)}' is not an ISO 8601 instant with a time zone`, 'e.g. --start-at 2026-12-01T22:00:00Z (the same for every shard)');
  }
  return ms;
}

function idOption(text: string, flag: string, example: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(text)) {
    throw usageError(`${flag} '${printable(text)}' is not an id`, `use up to 128 letters, digits and . _ : -, e.g. ${flag} ${example}`);
  }
  return text;
}

/** The shard options, or undefined without --shard (then the other shard flags are refused). */
export function shardOptions(flags: ShardFlags, options: BenchOptions, durationOption: (text: string, flag: string) => number): ShardOptions | undefined {
  if (flags.shard === undefined) {
    const stray = (['runId', 'startAt', 'barrier', 'barrierTimeout'] as const).find((key) => flags[key] !== undefined);
    if (stray) throw usageError(`--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies only with --shard`, 'add --shard I/N, or drop it');
    return undefined;
  }
  const shard = shardOption(flags.shard);
  if (flags.startAt !== undefined && flags.barrier !== undefined) throw usageError('give either --start-at or --barrier, not both');
  if (flags.barrierTimeout !== undefined && flags.barrier === undefined) throw usageError('--barrier-timeout applies only with --barrier');
  if (options.workload) throw usageError('--shard splits the report\'s paths; a --workload/--builtin run cannot be sharded yet', 'drop --shard, or bench the report');
  const tooFew = options.concurrency.find((c) => c < shard.count);
  if (tooFew !== undefined) {
    throw usageError(`--concurrency ${tooFew} is less than the ${shard.count} shards: each shard needs at least one worker`, `give every level at least ${shard.count}, or use fewer shards`);
  }
  if (options.iterations !== undefined && options.iterations < shard.count) {
    throw usageError(`--iterations ${options.iterations} is less than the ${shard.count} shards: each shard needs at least one operation`, `give at least ${shard.count}`);
  }
  let start: ShardStart = { kind: 'none' };
  if (flags.startAt !== undefined) {
    start = { kind: 'start-at', atMs: startAtOption(flags.startAt) };
  } else if (flags.barrier !== undefined) {
    const key = idOption(flags.barrier, '--barrier', 'perfbench-run-7');
    start = { kind: 'barrier', key, timeoutMs: flags.barrierTimeout === undefined ? DEFAULT_BARRIER_TIMEOUT_MS : durationOption(flags.barrierTimeout, '--barrier-timeout') };
  }
  const runId = flags.runId === undefined ? derivedRunId(options, shard, start) : idOption(flags.runId, '--run-id', 'nightly-42');
  return { shard, runId, start };
}

/**
 * The default run id: a hash of what every shard of one run is given alike (the options that define
 * the benchmark, N, and the start instant or barrier key), so N processes started with the same
 * command line but their shard number agree on it without talking. Two runs given all of that alike
 * get the same id: pass --run-id (or a new --start-at) to tell them apart.
 */
export function derivedRunId(options: BenchOptions, shard: Shard, start: ShardStart): string {
  const defining = {
    paths: [...options.paths].sort(), concurrency: options.concurrency, durationMs: options.durationMs, iterations: options.iterations,
    warmupMs: options.warmupMs, ratePerSec: options.ratePerSec, trials: options.trials, distribution: options.distribution, skew: options.skew,
    seed: options.seed, table: options.table.text, column: options.column.text, ttlSeconds: options.ttlSeconds, shards: shard.count,
    start: start.kind === 'start-at' ? new Date(start.atMs).toISOString() : start.kind === 'barrier' ? `barrier:${start.key}` : 'none',
  };
  return `run-${createHash('sha256').update(JSON.stringify(defining)).digest('hex').slice(0, 12)}`;
}
