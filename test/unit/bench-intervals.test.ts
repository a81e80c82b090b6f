/**
 * Per-interval samples of the measured phase (issue 12: throughput and p99 over time), on the fake
 * clock: every boundary, count and percentile is exact arithmetic.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/measure/clock.js';
import { LatencyHistogram } from '../../src/measure/histogram.js';
import { addSamples, concatSamples, defaultIntervalMs, type IntervalSamples } from '../../src/measure/intervals.js';
import { foldTrials, mergeResults, validateResult } from '../../src/measure/result.js';
import { runTarget } from '../../src/measure/runner.js';
import { categorySequence } from '../../src/workload/sequence.js';
import { fakeTarget, pathOf, resultOf } from './bench-helpers.js';

const sequence = categorySequence({ categories: 10, distribution: 'uniform', seed: 7 });

/** What HdrHistogram reports for a percentile of exactly these values. */
function percentile(values: readonly number[], p: number): number {
  const h = LatencyHistogram.create();
  try {
    for (const v of values) h.record(v);
    return h.valueAtPercentile(p);
  } finally {
    h.destroy();
  }
}

describe('interval samples in the runner', () => {
  it('closes an interval at the first operation ending on or after each 100 ms boundary; a stall is one long interval', async () => {
    const clock = new FakeClock();
    // 300 operations of 1 ms, one of 250 ms (the stall), then 1 ms again until the 1 s run ends.
    const target = fakeTarget(clock, 'seq', (op) => (op.index === 300 ? 250_000 : 1000));
    const r = await runTarget(target, { concurrency: 1, durationMs: 1000, sequence, clock });
    // 1000 ms / 100 intervals is under the 100 ms floor, so the interval is 100 ms.
    expect(r.samples?.intervalMs).toBe(100);
    expect(r.samples?.percentiles).toBe('exact');
    const points = r.samples!.points;
    expect(points.map((s) => [s.startMs, s.endMs, s.ops])).toEqual([
      [0, 100, 100], [100, 200, 100], [200, 300, 100],
      // The stall ends at 550 ms: the 400 and 500 ms boundaries passed without an operation ending.
      [300, 550, 1],
      // Back on the grid: operations end at 551 … 600 ms.
      [550, 600, 50], [600, 700, 100], [700, 800, 100], [800, 900, 100], [900, 1000, 100],
    ]);
    expect(points.reduce((a, s) => a + s.ops, 0)).toBe(r.ops);
    expect(r.ops).toBe(300 + 1 + 450);
    expect(points[3]).toMatchObject({ p50Us: percentile([250_000], 50), p99Us: percentile([250_000], 99), errors: 0 });
    expect(points[0]).toMatchObject({ p50Us: 1000, p99Us: 1000 });
    expect(points[4]).toMatchObject({ p50Us: 1000, p99Us: 1000 });
  });

  it('keeps the last, shorter interval, and counts errors per interval', async () => {
    const clock = new FakeClock();
    // 3 ms operations; every 10th fails. 100 operations by iterations: 300 ms, interval 250 ms.
    const target = fakeTarget(clock, 'index', (op) => (op.index % 10 === 9 ? new Error('boom') : 3000));
    const r = await runTarget(target, { concurrency: 1, iterations: 100, sequence, clock });
    expect(r.samples?.intervalMs).toBe(250);
    // Failed operations take no time: 90 operations of 3 ms end at 270 ms; the 250 ms boundary is
    // first reached by the 84th successful operation (252 ms), after 93 operations, 9 of them failed.
    expect(r.samples!.points.map((s) => [s.startMs, s.endMs, s.ops, s.errors])).toEqual([[0, 252, 84, 9], [252, 270, 6, 1]]);
  });

  it('samples an open loop from its corrected histogram, interval by interval', async () => {
    const clock = new FakeClock();
    // 1,000 ops/s for 300 ms; operation i is sent at i ms and takes 1 ms, except 150…159 (20 ms each).
    const target = fakeTarget(clock, 'cache', (op) => (op.index >= 150 && op.index < 160 ? 20_000 : 1000), 'cache');
    const r = await runTarget(target, { concurrency: 64, durationMs: 300, ratePerSec: 1000, sequence, clock, sampleIntervalMs: 100 });
    const points = r.samples!.points;
    expect(points.map((s) => [s.startMs, s.endMs, s.ops])).toEqual([[0, 100, 100], [100, 200, 100], [200, 300, 100]]);
    // The middle interval holds 90 operations of 1 ms and 10 of 20 ms: p99 is a slow one.
    expect(points[1]).toMatchObject({ p50Us: 1000, p99Us: percentile([20_000], 99) });
    expect(points[2]).toMatchObject({ p50Us: 1000, p99Us: 1000 });
  });

  it('doubles the interval after every 200 intervals, so a long run keeps a bounded series', async () => {
    const clock = new FakeClock();
    const target = fakeTarget(clock, 'index', () => 1000);
    const r = await runTarget(target, { concurrency: 1, iterations: 600, sequence, clock, sampleIntervalMs: 1 });
    const widths = r.samples!.points.map((s) => s.endMs - s.startMs);
    expect(widths).toEqual([...Array(200).fill(1), ...Array(200).fill(2)]);
    expect(r.samples!.intervalMs).toBe(4);
  });

  it('is off with sampleIntervalMs null, and picks its default from the duration', async () => {
    const clock = new FakeClock();
    const r = await runTarget(fakeTarget(clock, 'seq', () => 1000), { concurrency: 1, iterations: 5, sequence, clock, sampleIntervalMs: null });
    expect(r.samples).toBeUndefined();
    expect([defaultIntervalMs(2000), defaultIntervalMs(60_000), defaultIntervalMs(undefined)]).toEqual([100, 600, 250]);
  });
});

describe('combining interval samples', () => {
  const series = (intervalMs: number, ...points: Array<[number, number, number, number?]>): IntervalSamples => ({
    intervalMs,
    percentiles: 'exact',
    points: points.map(([startMs, endMs, ops, p99Us]) => ({ startMs, endMs, ops, errors: 0, ...(p99Us === undefined ? {} : { p50Us: p99Us / 2, p99Us }) })),
  });

  it('concatenates trials run one after the other, shifting each by the measured time before it', () => {
    const out = concatSamples([
      { samples: series(100, [0, 100, 10, 500], [100, 150, 4, 700]), elapsedMs: 150 },
      { samples: series(100, [0, 100, 12, 300]), elapsedMs: 100 },
    ]);
    expect(out?.points.map((s) => [s.startMs, s.endMs, s.ops])).toEqual([[0, 100, 10], [100, 150, 4], [150, 250, 12]]);
    expect(out?.percentiles).toBe('exact');
    expect(concatSamples([{ samples: series(100), elapsedMs: 1 }, { elapsedMs: 1 }])).toBeUndefined();
  });

  it('adds concurrent sources interval by interval: ops summed, percentiles the worst source\'s', () => {
    const out = addSamples([series(100, [0, 100, 10, 500], [100, 200, 4, 900]), series(100, [0, 101, 7, 800])]);
    expect(out).toEqual({
      intervalMs: 100,
      percentiles: 'worst-source',
      points: [
        { startMs: 0, endMs: 101, ops: 17, errors: 0, p50Us: 400, p99Us: 800 },
        { startMs: 100, endMs: 200, ops: 4, errors: 0, p50Us: 450, p99Us: 900 },
      ],
    });
    expect(addSamples([series(100), series(200)])).toBeUndefined();
    expect(addSamples([series(100), undefined])).toBeUndefined();
  });

  it('flows through foldTrials and mergeResults, and survives validateResult', () => {
    const a = pathOf('seq', [100, 200], { trial: 1, elapsedMs: 200, samples: series(100, [0, 100, 1, 100], [100, 200, 1, 200]) });
    const b = pathOf('seq', [300], { trial: 2, elapsedMs: 100, samples: series(100, [0, 100, 1, 300]) });
    expect(foldTrials([a, b])[0]!.samples?.points.map((s) => s.endMs)).toEqual([100, 200, 300]);
    const merged = mergeResults([resultOf([a]), resultOf([{ ...a, samples: series(100, [0, 100, 5, 50], [100, 200, 5, 60]) }])]);
    expect(merged.paths[0]!.samples).toMatchObject({ percentiles: 'worst-source', points: [{ ops: 6, p99Us: 100 }, { ops: 6, p99Us: 200 }] });
    const json = JSON.parse(JSON.stringify(merged));
    expect(validateResult(json).paths[0]!.samples).toEqual(merged.paths[0]!.samples);
  });
});
