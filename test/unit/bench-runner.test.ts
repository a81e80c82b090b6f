import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/measure/clock.js';
import { LatencyHistogram } from '../../src/measure/histogram.js';
import type { EventLoopMonitor } from '../../src/measure/loop-lag.js';
import { runTarget, type ProgressEvent } from '../../src/measure/runner.js';
import { categorySequence } from '../../src/workload/sequence.js';
import { noopTarget } from '../../src/measure/target.js';
import { fakeTarget } from './bench-helpers.js';

const sequence = categorySequence({ categories: 10, distribution: 'uniform', seed: 7 });

function bucketsOf(encoded: string): Array<{ valueUs: number; count: number }> {
  const h = LatencyHistogram.decode(encoded);
  try {
    return h.buckets();
  } finally {
    h.destroy();
  }
}

function histogramOf(values: readonly number[]): Array<{ valueUs: number; count: number }> {
  const h = LatencyHistogram.create();
  for (const v of values) h.record(v);
  const b = h.buckets();
  h.destroy();
  return b;
}

describe('closed loop', () => {
  it('records every operation with exact latencies and throughput (iterations)', async () => {
    const clock = new FakeClock();
    // Operation i takes (i % 10 + 1) x 100 µs: 100..1000 µs, each ten times in 100 operations.
    const target = fakeTarget(clock, 'index', (op) => ((op.index % 10) + 1) * 100);
    const r = await runTarget(target, { concurrency: 1, iterations: 100, sequence, clock });
    expect(r).toMatchObject({ name: 'index', kind: 'db', mode: 'closed', concurrency: 1, trial: 1, ops: 100, errors: 0, coCorrected: false, interrupted: false, sources: 1 });
    expect(r.summary).toMatchObject({ count: 100, minUs: 100, p50Us: 500, p90Us: 900, p99Us: 1000, p999Us: 1000, maxUs: 1000, meanUs: 550 });
    expect(r.elapsedMs).toBe(55); // sum of 10 x (100 + … + 1000) µs
    expect(r.throughputOpsPerSec).toBeCloseTo(100 / 0.055, 9);
    expect(r.uncorrected).toBeUndefined();
    expect(r.scheduleLag).toBeUndefined();
    expect(r.eventLoopLag).toBeUndefined();
    expect(target.seen.map((o) => o.index)).toEqual([...Array(100).keys()]);
    expect(target.seen.map((o) => o.category)).toEqual([...Array(100).keys()].map((i) => sequence.at(i)));
  });

  it('records the CPU the client used during the measured phase only', async () => {
    const clock = new FakeClock();
    // The injected CPU clock reads 7 ms at setup and warm-up, then advances 3 µs per read.
    let cpuUs = 7000;
    const target = fakeTarget(clock, 'index', () => 100);
    const r = await runTarget(target, { concurrency: 1, iterations: 10, warmupIterations: 5, sequence, clock, cpuUsageUs: () => (cpuUs += 3) });
    expect(r.clientCpuMs).toBe(0.003);
    const none = await runTarget(fakeTarget(clock, 'index', () => 100), { concurrency: 1, iterations: 3, sequence, clock });
    expect(none.clientCpuMs).toBeUndefined();
  });

  it('runs N workers in parallel until the duration ends', async () => {
    const clock = new FakeClock();
    const target = fakeTarget(clock, 'seq', () => 1000);
    const r = await runTarget(target, { concurrency: 4, durationMs: 10, sequence, clock });
    // 4 workers x 10 operations of 1 ms each fill 10 ms exactly; the 10th ends on the deadline.
    expect(r.ops).toBe(40);
    expect(r.elapsedMs).toBe(10);
    expect(r.throughputOpsPerSec).toBe(4000);
    expect(r.summary).toMatchObject({ minUs: 1000, p50Us: 1000, maxUs: 1000, stddevUs: 0 });
  });

  it('stays exact across the periodic event-loop yields (every 1024 operations per worker)', async () => {
    const clock = new FakeClock();
    const target = fakeTarget(clock, 'seq', (op) => (op.index % 2 === 0 ? 1000 : 3000));
    const r = await runTarget(target, { concurrency: 2, iterations: 6000, sequence, clock });
    expect(r.ops).toBe(6000);
    // By hand (an event simulation of two workers taking the next index when free, ties in wake
    // order): 12,000 ms of work end at 6,001 ms. A yield that let virtual time pass would shift it.
    expect(r.elapsedMs).toBe(6001);
    expect(bucketsOf(r.histogram)).toEqual(histogramOf([...Array(3000).fill(1000), ...Array(3000).fill(3000)]));
  });

  it('does not record the warm-up, and restarts the sequence after it', async () => {
    const clock = new FakeClock();
    const target = fakeTarget(clock, 'cache', (op) => (op.index < 3 ? 5000 : 100), 'cache');
    const r = await runTarget(target, { concurrency: 1, iterations: 5, warmupIterations: 2, sequence, clock });
    expect(target.seen.map((o) => o.index)).toEqual([0, 1, 0, 1, 2, 3, 4]);
    expect(r.ops).toBe(5);
    expect(bucketsOf(r.histogram)).toEqual(histogramOf([5000, 5000, 5000, 100, 100]));
  });

  it('warms up by time and by count, whichever ends later', async () => {
    const clock = new FakeClock();
    const target = fakeTarget(clock, 'seq', () => 1000);
    await runTarget(target, { concurrency: 1, iterations: 1, warmupMs: 3, warmupIterations: 1, sequence, clock });
    expect(target.seen).toHaveLength(3 + 1);
    const byCount = fakeTarget(clock, 'seq', () => 1000);
    await runTarget(byCount, { concurrency: 1, iterations: 1, warmupMs: 1, warmupIterations: 5, sequence, clock });
    expect(byCount.seen).toHaveLength(5 + 1);
  });

  it('counts errors per path, keeps the first message, and records only successes', async () => {
    const clock = new FakeClock();
    const target = fakeTarget(clock, 'seq', (op) => (op.index % 4 === 1 ? new Error(`boom ${op.index}`) : 200));
    const r = await runTarget(target, { concurrency: 2, iterations: 20, sequence, clock });
    expect(r.errors).toBe(5);
    expect(r.ops).toBe(15);
    expect(r.firstError).toBe('boom 1');
    expect(r.summary.count).toBe(15);
  });

  it('turns a failed setup into an error result and still tears down', async () => {
    const clock = new FakeClock();
    let tornDown = false;
    const r = await runTarget(
      {
        name: 'cache',
        kind: 'cache',
        setup: () => Promise.reject(new Error('redis unreachable')),
        run: () => Promise.resolve(),
        teardown: async () => {
          tornDown = true;
        },
      },
      { concurrency: 1, iterations: 10, sequence, clock },
    );
    expect(r).toMatchObject({ ops: 0, errors: 1, firstError: 'setup: redis unreachable', flags: ['setup-failed'], throughputOpsPerSec: 0 });
    expect(tornDown).toBe(true);
  });

  it('counts a setup stopped by Ctrl-C as an interruption, not as an error of the path', async () => {
    const controller = new AbortController();
    const r = await runTarget(
      {
        name: 'cache',
        kind: 'cache',
        // The cache fill notices the abort and stops, as targets/cache-fill.ts does.
        setup: async () => {
          controller.abort();
          throw new Error('interrupted while filling the cache');
        },
        run: () => Promise.resolve(),
      },
      { concurrency: 1, iterations: 10, sequence, clock: new FakeClock(), signal: controller.signal },
    );
    expect(r).toMatchObject({ ops: 0, errors: 0, interrupted: true });
    expect(r.flags ?? []).not.toContain('setup-failed');
    expect(r.firstError).toBeUndefined();
  });

  it('notes a failed teardown without losing the measurement', async () => {
    const clock = new FakeClock();
    const r = await runTarget(
      { name: 'x', kind: 'other', run: () => clock.sleepNs(1000), teardown: () => Promise.reject('nope') },
      { concurrency: 1, iterations: 3, sequence, clock },
    );
    expect(r.ops).toBe(3);
    expect(r.notes).toEqual(['teardown failed: nope']);
    expect(r.flags).toEqual(['teardown-failed']);
  });

  it('stops on abort, returns what was measured and marks it interrupted', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const target = fakeTarget(clock, 'seq', (op) => {
      if (op.index === 9) controller.abort();
      return 1000;
    });
    const r = await runTarget(target, { concurrency: 1, durationMs: 60_000, sequence, clock, signal: controller.signal });
    expect(r.interrupted).toBe(true);
    expect(r.ops).toBe(10); // the in-flight operation completes and is recorded
    expect(r.elapsedMs).toBe(10);
  });

  it('does not measure when aborted during warm-up', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const target = fakeTarget(clock, 'seq', () => {
      controller.abort();
      return 10;
    });
    const r = await runTarget(target, { concurrency: 1, iterations: 10, warmupIterations: 5, sequence, clock, signal: controller.signal });
    expect(r).toMatchObject({ ops: 0, interrupted: true, elapsedMs: 0 });
  });

  it('emits throttled progress with ops/s and p99 so far, and every phase', async () => {
    const clock = new FakeClock();
    const events: ProgressEvent[] = [];
    const target = fakeTarget(clock, 'index', () => 1000);
    await runTarget(target, { concurrency: 1, durationMs: 1000, warmupIterations: 1, sequence, clock, onProgress: (e) => events.push(e), progressIntervalMs: 250 });
    expect(events.map((e) => e.phase)).toEqual(['setup', 'warmup', 'measure', 'measure', 'measure', 'measure', 'measure', 'teardown', 'done']);
    const ticks = events.filter((e) => e.phase === 'measure').slice(1);
    expect(ticks.map((e) => e.ops)).toEqual([250, 500, 750, 1000]);
    expect(ticks.map((e) => e.opsPerSec)).toEqual([1000, 1000, 1000, 1000]);
    expect(ticks.map((e) => e.elapsedMs)).toEqual([250, 500, 750, 1000]);
    expect(ticks[0]!.p99Us).toBe(1000);
    expect(events.at(-1)).toMatchObject({ phase: 'done', ops: 1000, elapsedMs: 1000, target: 'index', trial: 1, concurrency: 1 });
    expect(events[0]).toMatchObject({ phase: 'setup', ops: 0, elapsedMs: 0, p99Us: 0 });
  });

  it('uses an injected event-loop monitor around the measured phase only', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const monitor: EventLoopMonitor = {
      start: () => calls.push('start'),
      stop: () => {
        calls.push('stop');
        return { meanUs: 12, p99Us: 40, maxUs: 55 };
      },
    };
    const r = await runTarget(fakeTarget(clock, 'seq', () => 10), { concurrency: 1, iterations: 2, sequence, clock, loopMonitor: monitor });
    expect(calls).toEqual(['start', 'stop']);
    expect(r.eventLoopLag).toEqual({ meanUs: 12, p99Us: 40, maxUs: 55 });
  });

  it('measures the real no-op target on the real clock, with event-loop lag', async () => {
    const r = await runTarget(noopTarget(), { concurrency: 2, iterations: 5000, sequence });
    expect(r).toMatchObject({ name: 'noop', kind: 'noop', ops: 5000, errors: 0 });
    expect(r.eventLoopLag).toBeDefined();
    expect(r.summary.maxUs).toBeLessThan(1_000_000);
  });

  it('rejects impossible options', async () => {
    const clock = new FakeClock();
    const t = noopTarget();
    await expect(runTarget(t, { concurrency: 0, iterations: 1, sequence, clock })).rejects.toThrow(/concurrency/);
    await expect(runTarget(t, { concurrency: 1, sequence, clock })).rejects.toThrow(/exactly one/);
    await expect(runTarget(t, { concurrency: 1, iterations: 1, durationMs: 1, sequence, clock })).rejects.toThrow(/exactly one/);
    await expect(runTarget(t, { concurrency: 1, durationMs: -1, sequence, clock })).rejects.toThrow(/durationMs/);
    await expect(runTarget(t, { concurrency: 1, iterations: 1.5, sequence, clock })).rejects.toThrow(/iterations/);
    await expect(runTarget(t, { concurrency: 1, iterations: 1, ratePerSec: 0, sequence, clock })).rejects.toThrow(/ratePerSec/);
  });
});

describe('open loop (coordinated omission)', () => {
  // Rate 1000/s: operation i is due at i ms. Operation 0 stalls 100 ms, all others take no time.
  const stall = (op: { index: number }): number => (op.index === 0 ? 100_000 : 0);

  it('with one outstanding operation, queued operations carry their wait: the back-filled values', async () => {
    const clock = new FakeClock();
    const r = await runTarget(fakeTarget(clock, 'seq', stall), { concurrency: 1, ratePerSec: 1000, iterations: 200, sequence, clock });
    // Hand-computed: op 0 = 100 ms; ops 1..99 were due at 1..99 ms but sent at 100 ms and finished
    // at once, so they took 99, 98, …, 1 ms from their intended start; ops 100..199 ran on time (0).
    const handComputed = [100_000, ...Array.from({ length: 99 }, (_, k) => 99_000 - k * 1000), ...Array(100).fill(0)];
    expect(bucketsOf(r.histogram)).toEqual(histogramOf(handComputed));
    // …which is exactly HdrHistogram's recordValueWithExpectedInterval(100 ms, 1 ms) plus the 100 on-time zeros.
    const corrected = LatencyHistogram.create();
    corrected.recordCorrected(100_000, 1000);
    corrected.recordMany(0, 100);
    expect(bucketsOf(r.histogram)).toEqual(corrected.buckets());
    corrected.destroy();
    // From the actual send, the stall shows once: the closed-loop view.
    expect(bucketsOf(r.uncorrected!.histogram)).toEqual(histogramOf([100_000, ...Array(199).fill(0)]));
    expect(r.summary.p50Us).toBe(0);
    expect(r.summary.p90Us).toBe(histogramOf([80_000])[0]!.valueUs); // 180th of 200 values: 80 ms
    expect(r.uncorrected!.summary.p99Us).toBe(0);
    // Lag: ops 1..99 started 99..1 ms late (mean over 200 sends), 98 of them more than 1 ms late.
    expect(r.scheduleLag).toEqual({ meanUs: (4950 * 1000) / 200, maxUs: 99_000, lateOps: 98 });
    expect(r).toMatchObject({ mode: 'open', coCorrected: true, ratePerSec: 1000, ops: 200, elapsedMs: 199 });
  });

  it('with enough outstanding operations, nothing waits and nothing is back-filled (no double correction)', async () => {
    const clock = new FakeClock();
    const r = await runTarget(fakeTarget(clock, 'seq', stall), { concurrency: 1000, ratePerSec: 1000, iterations: 200, sequence, clock });
    expect(bucketsOf(r.histogram)).toEqual(histogramOf([100_000, ...Array(199).fill(0)]));
    expect(r.scheduleLag).toEqual({ meanUs: 0, maxUs: 0, lateOps: 0 });
    expect(r.elapsedMs).toBe(199);
  });

  it('keeps to the schedule by duration and measures queueing behind a slow server', async () => {
    const clock = new FakeClock();
    // Each operation takes 1.5 ms at rate 1000/s with one outstanding: the backlog grows by 0.5 ms per op.
    const r = await runTarget(fakeTarget(clock, 'seq', () => 1500), { concurrency: 1, ratePerSec: 1000, durationMs: 10, sequence, clock });
    // Sends at 0, 1.5, 3, …: the 7th send (op 6) at 9 ms is the last before the 10 ms end.
    expect(r.ops).toBe(7);
    const expected = Array.from({ length: 7 }, (_, i) => 1500 + i * 500);
    expect(bucketsOf(r.histogram)).toEqual(histogramOf(expected));
    expect(bucketsOf(r.uncorrected!.histogram)).toEqual(histogramOf(Array(7).fill(1500)));
    expect(r.scheduleLag!.maxUs).toBe(3000);
  });

  it('warms up on its own schedule, counts errors, and stops on abort', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const target = fakeTarget(clock, 'cache', (op) => {
      if (op.index === 5 && target.seen.length > 3) controller.abort();
      return op.index === 2 ? new Error('miss') : 100;
    }, 'cache');
    const r = await runTarget(target, { concurrency: 4, ratePerSec: 1000, durationMs: 1000, warmupIterations: 3, sequence, clock, signal: controller.signal });
    expect(target.seen.map((o) => o.index)).toEqual([0, 1, 2, 0, 1, 2, 3, 4, 5]);
    expect(r).toMatchObject({ interrupted: true, errors: 1, ops: 5, firstError: 'miss' });
  });

  it('treats a target that throws synchronously as an error', async () => {
    const clock = new FakeClock();
    const r = await runTarget(
      { name: 'x', kind: 'other', run: () => { throw new Error('sync'); } },
      { concurrency: 1, ratePerSec: 100, iterations: 3, sequence, clock },
    );
    expect(r).toMatchObject({ ops: 0, errors: 3, firstError: 'sync' });
  });
});

describe('realEventLoopMonitor', () => {
  it('reports lag net of its timer resolution: a 60 ms block shows, an idle loop does not', async () => {
    const { realEventLoopMonitor } = await import('../../src/measure/loop-lag.js');
    const monitor = realEventLoopMonitor(5);
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const blockUntil = Date.now() + 60;
    while (Date.now() < blockUntil) { /* block the loop */ }
    await new Promise((resolve) => setTimeout(resolve, 30));
    const lag = monitor.stop();
    expect(lag.maxUs).toBeGreaterThan(40_000);
    expect(lag.meanUs).toBeLessThan(lag.maxUs);
    const idle = realEventLoopMonitor(5);
    idle.start();
    expect(idle.stop()).toEqual({ meanUs: 0, p99Us: 0, maxUs: 0 });
  });
});
