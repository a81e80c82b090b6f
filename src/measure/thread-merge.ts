/**
 * Measurement domain (pure): the runs that the worker threads of one process made together
 * (`bench --workers N`) as one run of that process. Histograms and counts add exactly
 * (`combinePaths`); what differs from adding the runs of several machines is what stays the
 * process's: the concurrency is the process's (the threads' shares added), it is one source, and
 * the CPU time each thread read is the whole process's, so it is taken once, not N times (worker
 * processes, bench --driver libpq's, read their own: theirs add).
 */
import type { CacheCheck, PathResult } from './result.js';
import { combinePaths } from './result.js';

/**
 * The threads' results of one run of one path, added; `concurrency` is the process's in all.
 * `cpuClock`: whether the workers read one CPU clock (threads of one process) or one each (the
 * child processes of bench --driver libpq).
 */
export function combineThreads(parts: readonly PathResult[], concurrency: number, cpuClock: 'shared' | 'per-worker' = 'shared'): PathResult {
  if (parts.length === 0) throw new RangeError('combineThreads needs at least one part');
  const combined: PathResult = { ...combinePaths(parts, 'concurrent'), concurrency, sources: 1, workers: parts.length };
  // process.cpuUsage() in a thread is the process's: every thread read the same clock over (nearly)
  // the same stretch, so the largest reading is the process's CPU time, not their sum. Worker
  // processes read their own clocks: their CPU times add.
  const cpu = parts.map((p) => p.clientCpuMs);
  if (cpu.every((ms) => ms !== undefined)) combined.clientCpuMs = cpuClock === 'per-worker' ? cpu.reduce((a, ms) => a! + ms!, 0) : Math.max(...(cpu as number[]));
  return combined;
}

/**
 * The threads' cache checks as one: what the clients saw adds up. Each thread read the server's
 * counters from before any thread's warm-up to after every thread's measured phase (bench-threads.ts
 * holds the threads in step), so each reading covers the operations of all; the smallest is shown.
 * Confirmed when every thread's own check was.
 */
export function combineCacheChecks(checks: readonly CacheCheck[]): CacheCheck {
  const first = checks[0]!;
  if (checks.length === 1) return first;
  const sum = (pick: (c: CacheCheck) => number) => checks.reduce((a, c) => a + pick(c), 0);
  const serverHits = Math.min(...checks.map((c) => c.serverHits));
  const serverMisses = Math.min(...checks.map((c) => c.serverMisses));
  return {
    ...first,
    gets: sum((c) => c.gets),
    hits: sum((c) => c.hits),
    misses: sum((c) => c.misses),
    serverHits,
    serverMisses,
    verified: checks.every((c) => c.verified),
  };
}
