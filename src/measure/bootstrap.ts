/**
 * Measurement domain (pure): bootstrap intervals for a percentile of a recorded histogram, without
 * materialising millions of resampled values.
 *
 * A bootstrap resample draws n values with replacement from the recorded ones; its percentile p is
 * the k-th smallest draw, k = ceil(p/100 x n) (HdrHistogram's rule). Drawing X = F⁻¹(U) from the
 * empirical distribution F, the k-th smallest of n draws is F⁻¹(U₍k₎), and the k-th order
 * statistic of n uniforms is Beta(k, n - k + 1)-distributed (David & Nagaraja, "Order Statistics",
 * 3rd ed., §2.2). So one Beta draw and one binary search give one exact resampled percentile.
 */
import type { Random } from './random.js';
import type { HistogramBucket } from './histogram.js';

/** The recorded values as a cumulative table, ready for inverse-CDF lookups. */
export interface EmpiricalDistribution {
  readonly total: number;
  readonly values: Float64Array;
  /** cumulative[i] = number of values <= values[i]. */
  readonly cumulative: Float64Array;
}

export function empirical(buckets: readonly HistogramBucket[]): EmpiricalDistribution {
  const values = new Float64Array(buckets.length);
  const cumulative = new Float64Array(buckets.length);
  let total = 0;
  buckets.forEach((b, i) => {
    total += b.count;
    values[i] = b.valueUs;
    cumulative[i] = total;
  });
  return { total, values, cumulative };
}

/** The smallest recorded value v with F(v) >= u (u in [0, 1]); 0 for an empty distribution. */
export function inverseCdf(d: EmpiricalDistribution, u: number): number {
  return valueAtRank(d, u * d.total);
}

/** The value of the `rank`-th smallest recorded value (1-based; fractional ranks round up). */
export function valueAtRank(d: EmpiricalDistribution, rank: number): number {
  const n = d.values.length;
  if (n === 0) return 0;
  const target = rank;
  let low = 0;
  let high = n - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (d.cumulative[mid]! >= target) high = mid;
    else low = mid + 1;
  }
  return d.values[low]!;
}

/** The percentile of the recorded values themselves, by HdrHistogram's rule. */
export function percentileOf(d: EmpiricalDistribution, percentile: number): number {
  if (d.total === 0) return 0;
  return valueAtRank(d, rankOf(d.total, percentile));
}

/** HdrHistogram's count at a percentile: ceil(p/100 x n), at least 1. */
export function rankOf(total: number, percentile: number): number {
  return Math.min(total, Math.max(1, Math.ceil((Math.min(percentile, 100) / 100) * total - 1e-9)));
}

/** `resamples` bootstrap replicates of the percentile (unsorted). */
export function bootstrapPercentile(d: EmpiricalDistribution, percentile: number, resamples: number, random: Random): Float64Array {
  const out = new Float64Array(resamples);
  if (d.total === 0) return out;
  const k = rankOf(d.total, percentile);
  const gamma = gammaSampler(random);
  for (let r = 0; r < resamples; r++) {
    const x = gamma(k);
    const y = gamma(d.total - k + 1);
    out[r] = inverseCdf(d, x / (x + y));
  }
  return out;
}

/** The q-quantile (0–1) of samples by linear interpolation (Hyndman & Fan type 7); sorts in place. */
export function quantile(samples: Float64Array, q: number): number {
  if (samples.length === 0) return NaN;
  samples.sort();
  const h = (samples.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return samples[lo]! + (h - lo) * (samples[hi]! - samples[lo]!);
}

/**
 * Gamma(shape, 1) for shape >= 1 by Marsaglia & Tsang, "A simple method for generating gamma
 * variables" (ACM TOMS 26(3), 2000), with Box–Muller normals, all from the seeded generator.
 */
export function gammaSampler(random: Random): (shape: number) => number {
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = random();
    const v = random();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
  return (shape) => {
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = random();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  };
}
