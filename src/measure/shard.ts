/**
 * Measurement domain (pure): one run's load split across N generator processes (`bench --shard I/N`).
 * Shard I of N runs its share of every whole-number quantity (workers, iterations): the total
 * divided by N, with the remainder going one each to the first shards, so the shares add up to
 * exactly the total. A rate is divided evenly. Operation indexes are dealt round-robin: shard I
 * asks for operations I-1, I-1+N, I-1+2N… of the one sequence a single process would draw, so the
 * shards' slices are disjoint and, when each runs its share of the iterations, their union is
 * exactly operations 0…iterations-1 (a run by duration covers a near-prefix instead: each shard
 * stops at the end time, wherever it is in its slice).
 */

/** Which part of the run this process generates: 1-based `index` of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** Shard I's share of a whole-number total: floor(total/N), +1 for the first total mod N shards. */
export function shareOf(total: number, shard: Shard): number {
  const base = Math.floor(total / shard.count);
  return base + (shard.index - 1 < total % shard.count ? 1 : 0);
}

/** Shard I's share of a rate (operations per second): an even split. */
export function rateShare(ratePerSec: number, shard: Shard): number {
  return ratePerSec / shard.count;
}

/** Where the k-th operation of shard I sits in the run's one sequence: I-1 + k*N. */
export interface OperationSlice {
  offset: number;
  stride: number;
}

export function operationSlice(shard: Shard): OperationSlice {
  return { offset: shard.index - 1, stride: shard.count };
}

/** `2/4`: how flags, results and messages write a shard. */
export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/**
 * Start skew of one measurement made by several generators: the latest measured-phase start minus
 * the earliest, ms (0 for one start; undefined without any).
 */
export function startSkewMs(startedAt: readonly string[]): number | undefined {
  const times = startedAt.map((at) => Date.parse(at)).filter((t) => Number.isFinite(t));
  if (times.length === 0) return undefined;
  return Math.max(...times) - Math.min(...times);
}
