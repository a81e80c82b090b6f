/**
 * Use case (bench --shard): starting the shards of one run together, so that their measured phases
 * overlap. `--start-at`: every shard sleeps until the agreed instant before its first run (the
 * later runs follow at the pace of the run itself). `--barrier KEY`: before every run (each path,
 * concurrency level and trial) every shard counts itself in at a Redis key and waits for all N, so
 * the shards are realigned at each run and drift between runs does not add up.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { interruptedError, UserError, usageError } from '../errors.js';
import { shardLabel } from '../measure/shard.js';
import type { Runtime } from '../runtime.js';
import type { ShardOptions } from './bench-options.js';

/** A --start-at this far in the past is still "now": clocks of machines differ by a little. */
export const START_AT_TOLERANCE_MS = 1000;
/** A --start-at further ahead than this is a typo, not a plan. */
const MAX_START_AHEAD_MS = 24 * 3600_000;

/** Checked before anything is prepared: an instant already gone (or absurdly far) is a usage error (exit 2). */
export function checkStartAt(options: ShardOptions, nowMs = Date.now()): void {
  const { start } = options;
  if (start.kind !== 'start-at') return;
  const at = new Date(start.atMs).toISOString();
  if (start.atMs < nowMs - START_AT_TOLERANCE_MS) {
    throw usageError(`--start-at ${at} is ${((nowMs - start.atMs) / 1000).toFixed(1)} s in the past`,
      'give every shard the same instant far enough ahead for all of them to start and prepare, e.g. a minute from now');
  }
  if (start.atMs > nowMs + MAX_START_AHEAD_MS) throw usageError(`--start-at ${at} is more than 24 hours ahead`, 'give an instant within the next day');
}

/** Waits, before run number `run` (1-based), until this shard may start it. */
export type ShardGate = (run: number) => Promise<void>;

export function shardGate(runtime: Runtime, options: ShardOptions, say: (line: string) => void): ShardGate {
  const { start, shard } = options;
  if (start.kind === 'none') return async () => undefined;
  if (start.kind === 'start-at') {
    return async (run) => {
      if (run !== 1) return;
      const waitMs = start.atMs - Date.now();
      const at = new Date(start.atMs).toISOString();
      if (waitMs < -START_AT_TOLERANCE_MS) {
        throw new UserError(`shard ${shardLabel(shard)} was ready ${(-waitMs / 1000).toFixed(1)} s after --start-at ${at}, so its measured phases would not overlap the others'`,
          'give the shards more time to prepare: a later --start-at');
      }
      if (waitMs > 0) {
        say(`shard ${shardLabel(shard)} (run ${options.runId}): waiting ${(waitMs / 1000).toFixed(1)} s for --start-at ${at}`);
        await sleep(waitMs, undefined, { signal: runtime.signal }).catch(() => undefined);
        if (runtime.signal.aborted) throw interruptedError('stopped while waiting for --start-at; nothing was measured');
      }
    };
  }
  return async (run) => {
    const tier = await runtime.cache();
    if (!tier.meet || tier.kind !== 'redis') {
      throw usageError(`--barrier needs a Redis server that every shard reaches, but this shard's cache is ${tier.label}`,
        'set REDIS_URL (or --redis-url) to the same Redis for every shard, or use --start-at');
    }
    const key = `perfbench:barrier:${start.key}:${run}`;
    if (run === 1) say(`shard ${shardLabel(shard)} (run ${options.runId}): waiting at barrier ${start.key} for ${shard.count} shards`);
    const met = await tier.meet(key, shard.count, start.timeoutMs, runtime.signal);
    if (met.outcome === 'open') return;
    if (met.outcome === 'aborted') throw interruptedError('stopped while waiting at the barrier');
    if (met.outcome === 'overfull') {
      throw new UserError(`barrier ${start.key} counted ${met.arrived} shards for run ${run}, more than the ${shard.count} of --shard ${shardLabel(shard)}`,
        'give every run its own --barrier key (another run, or a shard started twice, is using this one)');
    }
    throw new UserError(`barrier ${start.key}: only ${met.arrived} of ${shard.count} shards arrived within ${(start.timeoutMs / 1000).toFixed(0)} s (run ${run})`,
      'start all N shards with the same --barrier key and Redis, or raise --barrier-timeout');
  };
}
