import { describe, expect, it } from 'vitest';
import { checkClientBound, checkClientBoundByGroup, clientBusyShare } from '../../src/measure/self-check.js';
import { pathOf } from './bench-helpers.js';

describe('checkClientBound', () => {
  it('flags a path whose p50 is within 10x of the harness cost', () => {
    const seq = pathOf('seq', [65_000]);
    const cache = pathOf('cache', [120], { flags: ['x'] });
    // The no-op's wall time: 20 ms for 1,000 ops = 20 µs per operation.
    const noop = pathOf('noop', Array(1000).fill(0), { kind: 'noop', elapsedMs: 20 });
    const { paths, warnings } = checkClientBound([seq, cache, noop]);
    expect(paths[0]).toBe(seq);
    expect(paths[2]).toBe(noop);
    expect(paths[1]!.flags).toEqual(['x', 'client-bound']);
    expect(cache.flags).toEqual(['x']);
    expect(warnings).toEqual([
      'cache (concurrency 1): the client may be the bottleneck: harness cost 20.00 µs per operation exceeds 10% of p50; use a lower concurrency or run perfbench on another machine',
    ]);
  });

  it('flags a saturated client only when operations can wait for each other', () => {
    // 1,000 ms measured, 950 ms of CPU: busy 95%.
    const busy = { elapsedMs: 1000, clientCpuMs: 950 };
    const alone = pathOf('index', [1500], { ...busy, concurrency: 1 });
    const crowded = pathOf('index', [1500], { ...busy, concurrency: 4 });
    const open = pathOf('index', [1500], { ...busy, mode: 'open' });
    const relaxed = pathOf('index', [1500], { elapsedMs: 1000, clientCpuMs: 500, concurrency: 4 });
    const { paths, warnings } = checkClientBound([alone, crowded, open, relaxed]);
    expect(paths.map((p) => p.flags ?? [])).toEqual([[], ['client-bound'], ['client-bound'], []]);
    expect(warnings[0]).toBe('index (concurrency 4): the client may be the bottleneck: perfbench was busy 95% of the time with up to 4 operations in flight; use a lower concurrency or run perfbench on another machine');
  });

  it('divides the CPU time by the wall time of every source', () => {
    expect(clientBusyShare(pathOf('index', [1], { elapsedMs: 1000, clientCpuMs: 1500, sources: 2 }))).toBe(0.75);
    expect(clientBusyShare(pathOf('index', [1], { elapsedMs: 0, clientCpuMs: 5 }))).toBeUndefined();
    expect(clientBusyShare(pathOf('index', [1]))).toBeUndefined();
  });

  it('ignores event-loop lag, uses the share given, and needs no no-op path', () => {
    const cache = pathOf('cache', [120], { eventLoopLag: { meanUs: 1, p99Us: 15_000, maxUs: 20_000 } });
    expect(checkClientBound([cache]).warnings).toEqual([]);
    const noop = pathOf('noop', Array(1000).fill(0), { kind: 'noop', elapsedMs: 20 });
    expect(checkClientBound([pathOf('cache', [120]), noop], { shareOfP50: 0.2 }).warnings).toHaveLength(0);
    expect(checkClientBound([pathOf('seq', [100]), pathOf('index', [])]).warnings).toEqual([]);
  });
});

describe('checkClientBoundByGroup', () => {
  it('decides on the trials folded together: one busy trial in a group below the threshold flags nothing', () => {
    // Trial 1 at 91% busy, trial 2 at 83%: 87% over both, below the 90% threshold.
    const one = pathOf('miss', [1500], { concurrency: 2, trial: 1, elapsedMs: 1000, clientCpuMs: 910 });
    const two = pathOf('miss', [1500], { concurrency: 2, trial: 2, elapsedMs: 1000, clientCpuMs: 830 });
    const { paths, warnings } = checkClientBoundByGroup([one, two]);
    expect(warnings).toEqual([]);
    expect(paths.map((p) => p.flags ?? [])).toEqual([[], []]);
  });

  it('flags every trial of a busy group, each with the reason as a note', () => {
    const one = pathOf('miss', [1500], { concurrency: 2, trial: 1, elapsedMs: 1000, clientCpuMs: 950 });
    const two = pathOf('miss', [1500], { concurrency: 2, trial: 2, elapsedMs: 1000, clientCpuMs: 930 });
    const { paths, warnings } = checkClientBoundByGroup([one, two]);
    const line = 'miss (concurrency 2): the client may be the bottleneck: perfbench was busy 94% of the time with up to 2 operations in flight; use a lower concurrency or run perfbench on another machine';
    expect(warnings).toEqual([line]);
    for (const p of paths) expect(p).toMatchObject({ flags: ['client-bound'], notes: [line] });
  });
});
