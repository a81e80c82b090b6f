import { describe, expect, it } from 'vitest';
import { checkClientBound } from '../../src/core/self-check.js';
import { pathOf } from './bench-helpers.js';

describe('checkClientBound', () => {
  it('flags a path whose p50 is within 10x of the event-loop lag or the harness cost', () => {
    const seq = pathOf('seq', [65_000], { eventLoopLag: { meanUs: 100, p99Us: 400, maxUs: 900 } });
    const cache = pathOf('cache', [120], { eventLoopLag: { meanUs: 10, p99Us: 15, maxUs: 20 }, flags: ['x'] });
    // The no-op's wall time: 20 ms for 1,000 ops = 20 µs per operation.
    const noop = pathOf('noop', Array(1000).fill(0), { kind: 'noop', elapsedMs: 20 });
    const { paths, warnings } = checkClientBound([seq, cache, noop]);
    expect(paths[0]).toBe(seq);
    expect(paths[2]).toBe(noop);
    expect(paths[1]!.flags).toEqual(['x', 'client-bound']);
    expect(cache.flags).toEqual(['x']);
    expect(warnings).toEqual([
      'cache (concurrency 1): the client may be the bottleneck: event-loop lag p99 0.015 ms and harness cost 20.00 µs per operation exceed 10% of p50; use --workers or a lower concurrency',
    ]);
  });

  it('uses the share given, and needs neither a no-op path nor loop lag', () => {
    const cache = pathOf('cache', [120], { eventLoopLag: { meanUs: 1, p99Us: 15, maxUs: 20 } });
    expect(checkClientBound([cache], { shareOfP50: 0.2 }).warnings).toEqual([]);
    expect(checkClientBound([pathOf('seq', [100]), pathOf('index', [])]).warnings).toEqual([]);
  });
});
