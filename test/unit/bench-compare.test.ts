import { describe, expect, it } from 'vitest';
import { bootstrapPercentile, empirical, inverseCdf, percentileOf, quantile, rankOf } from '../../src/measure/bootstrap.js';
import { compareResult, comparePaths, type Comparison, type MeasuredComparison } from '../../src/measure/compare.js';
import { seededRandom } from '../../src/measure/random.js';
import { pathOf, resultOf, spread } from './bench-helpers.js';

/** The comparison, which must have figures (fails the test on a `method: 'none'` one). */
function measured(c: Comparison | undefined): MeasuredComparison {
  if (!c || c.method === 'none') throw new Error(`expected a measured comparison, got ${JSON.stringify(c)}`);
  return c;
}

describe('bootstrap of a histogram percentile', () => {
  const values = spread(400, 5000, 4000, 11).sort((a, b) => a - b);
  const d = empirical(values.map((v) => ({ valueUs: v, count: 1 })));

  it('reads percentiles by HdrHistogram\'s rank rule', () => {
    expect(rankOf(100, 50)).toBe(50);
    expect(rankOf(100, 99.9)).toBe(100);
    expect(rankOf(3, 0)).toBe(1);
    expect(rankOf(10, 30)).toBe(3);
    expect(percentileOf(d, 50)).toBe(values[199]);
    expect(percentileOf(d, 99)).toBe(values[395]);
    expect(percentileOf(empirical([]), 50)).toBe(0);
    expect(inverseCdf(empirical([]), 0.5)).toBe(0);
    expect(inverseCdf(d, 0)).toBe(values[0]);
    expect(inverseCdf(d, 1)).toBe(values[399]);
  });

  it('matches a naive resampling bootstrap (Beta order-statistic shortcut is exact)', () => {
    const B = 4000;
    const fast = bootstrapPercentile(d, 50, B, seededRandom(1));
    const random = seededRandom(2);
    const naive = new Float64Array(B);
    const sample = new Float64Array(values.length);
    for (let r = 0; r < B; r++) {
      for (let i = 0; i < values.length; i++) sample[i] = values[Math.floor(random() * values.length)]!;
      sample.sort();
      naive[r] = sample[rankOf(values.length, 50) - 1]!;
    }
    for (const q of [0.025, 0.25, 0.5, 0.75, 0.975]) {
      const a = quantile(fast, q);
      const b = quantile(naive, q);
      expect(Math.abs(a - b) / b).toBeLessThan(0.02);
    }
  });

  it('is deterministic for a seed and degenerate for a single value', () => {
    expect(bootstrapPercentile(d, 99, 100, seededRandom(5))).toEqual(bootstrapPercentile(d, 99, 100, seededRandom(5)));
    const one = bootstrapPercentile(empirical([{ valueUs: 7, count: 1000 }]), 99, 50, seededRandom(1));
    expect([...new Set(one)]).toEqual([7]);
    expect([...bootstrapPercentile(empirical([]), 50, 3, seededRandom(1))]).toEqual([0, 0, 0]);
    expect(quantile(new Float64Array(0), 0.5)).toBeNaN();
  });
});

describe('compareResult', () => {
  it('uses per-trial ratios with >= 3 trials: median and min–max', () => {
    const seqP50 = [1000, 1200, 900];
    const paths = [1, 2, 3].flatMap((trial) => [
      pathOf('seq', Array(100).fill(seqP50[trial - 1]), { trial }),
      pathOf('index', Array(100).fill(100), { trial }),
      pathOf('noop', Array(100).fill(0), { trial, kind: 'noop' }),
    ]);
    const [c, ...rest] = compareResult(resultOf(paths, { trials: 3 }));
    expect(rest).toEqual([]); // the no-op path is not compared; no cache path, no cache/index row
    expect(c).toEqual({
      path: 'index', baseline: 'seq', mode: 'closed', concurrency: 1, method: 'trials', trials: 3,
      p50: { estimate: 10, low: 9, high: 12 },
      p99: { estimate: 10, low: 9, high: 12 },
    });
  });

  it('falls back to a seeded bootstrap with fewer trials, naming the method', () => {
    const seq = pathOf('seq', spread(2000, 60_000, 10_000, 1));
    const index = pathOf('index', spread(2000, 2500, 500, 2));
    const cache = pathOf('cache', spread(2000, 120, 30, 3));
    const result = resultOf([seq, index, cache]);
    const comparisons = compareResult(result).map(measured);
    expect(comparisons.map((c) => `${c.path}/${c.baseline}`)).toEqual(['index/seq', 'cache/seq', 'cache/index']);
    for (const c of comparisons) {
      expect(c).toMatchObject({ method: 'bootstrap', confidence: 0.95, resamples: 2000, trials: 1 });
      expect(c.p50.low).toBeLessThanOrEqual(c.p50.estimate);
      expect(c.p50.high).toBeGreaterThanOrEqual(c.p50.estimate);
      expect(c.p99.low).toBeLessThanOrEqual(c.p99.high);
    }
    const indexVsSeq = comparisons[0]!;
    expect(indexVsSeq.p50.estimate).toBeCloseTo(seq.summary.p50Us / index.summary.p50Us, 12);
    expect(indexVsSeq.p50.low).toBeGreaterThan(20);
    expect(indexVsSeq.p50.high).toBeLessThan(28);
    expect(compareResult(result)).toEqual(comparisons); // deterministic
    expect(measured(compareResult(result, { seed: 99 })[0]).p50.low).not.toBe(indexVsSeq.p50.low);
  });

  it('compares like with like: same mode and concurrency only; custom baseline and pairs', () => {
    const paths = [
      pathOf('seq', [1000], { concurrency: 1 }), pathOf('index', [100], { concurrency: 1 }),
      pathOf('seq', [2000], { concurrency: 4 }), pathOf('index', [100], { concurrency: 4 }),
      pathOf('index', [100], { concurrency: 16 }),
    ];
    const c = compareResult(resultOf(paths), { resamples: 50 }).map(measured);
    expect(c.map((x) => [x.concurrency, x.p50.estimate])).toEqual([[1, 10], [4, 20]]);
    const custom = compareResult(resultOf(paths), { baseline: 'index', pairs: [], resamples: 50 });
    expect(custom.map((x) => `${x.path}/${x.baseline}@${x.concurrency}`)).toEqual(['seq/index@1', 'seq/index@4']);
  });

  it('floors sub-microsecond latencies at 1 µs so ratios stay finite', () => {
    const c = comparePaths([pathOf('cache', [0, 0, 0])], [pathOf('seq', [50, 50, 50])], { resamples: 20 });
    expect(c.p50).toEqual({ estimate: 50, low: 50, high: 50 });
  });

  // Issue 15, item 5: with Redis refusing writes the cache path recorded nothing, and its empty
  // histogram (read as 0 µs, floored to 1 µs) gave a speed-up of 10,375x.
  it('gives no speed-up to a path with no successful operation, and says why', () => {
    const seq = pathOf('seq', Array(100).fill(10_375));
    const cache = pathOf('cache', [], { errors: 1, firstError: 'setup: OOM command not allowed', flags: ['setup-failed'] });
    const miss = pathOf('miss', [], { kind: 'cache', errors: 1200 });
    const comparisons = compareResult(resultOf([seq, cache, miss]), { resamples: 50 });
    expect(comparisons).toEqual([
      { path: 'cache', baseline: 'seq', mode: 'closed', concurrency: 1, p50: null, p99: null, method: 'none', trials: 0, reason: 'cache had no successful operation (1 error)' },
      { path: 'miss', baseline: 'seq', mode: 'closed', concurrency: 1, p50: null, p99: null, method: 'none', trials: 0, reason: 'miss had no successful operation (1200 errors)' },
    ]);
    // The baseline side counts too, and so do trials: three empty trials are still no operation.
    const trials = [1, 2, 3].flatMap((trial) => [pathOf('seq', [], { trial, errors: 5 }), pathOf('index', [100, 120], { trial })]);
    expect(compareResult(resultOf(trials, { trials: 3 }))).toEqual([
      { path: 'index', baseline: 'seq', mode: 'closed', concurrency: 1, p50: null, p99: null, method: 'none', trials: 0, reason: 'seq had no successful operation (15 errors)' },
    ]);
    expect(comparePaths([pathOf('cache', [])], [pathOf('seq', [])])).toMatchObject({ method: 'none', reason: 'neither cache nor seq had a successful operation' });
  });

  it('still compares a path that failed in one trial but recorded operations in others', () => {
    const paths = [1, 2, 3].flatMap((trial) => [
      pathOf('seq', Array(10).fill(1000), { trial }),
      pathOf('index', trial === 2 ? [] : Array(10).fill(100), { trial, errors: trial === 2 ? 7 : 0 }),
    ]);
    // Trial 2 has no index latency, so only trials 1 and 3 pair up: too few for `trials`, so bootstrap over what was recorded.
    const c = measured(compareResult(resultOf(paths, { trials: 3 }), { resamples: 50 })[0]);
    expect(c).toMatchObject({ method: 'bootstrap', p50: { estimate: 10 } });
  });
});
