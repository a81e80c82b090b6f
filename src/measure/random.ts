/**
 * Measurement domain (pure): deterministic randomness shared by `seed` (the data) and `bench` (the
 * category sequence), so the same flags give the same rows and the same operations on every
 * machine.
 */

/** A seeded uniform generator returning floats in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a small, fast 32-bit generator with a full 2^32 period; good enough for synthetic
 * data and load sequences (not for cryptography). Source: Tommy Ettinger's public-domain design.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How category indexes are drawn: every category alike, or a few hot ones (Zipf). */
export type Distribution = 'uniform' | 'zipf';
export const DISTRIBUTIONS: readonly Distribution[] = ['uniform', 'zipf'];

/**
 * Returns a sampler of integers in [0, n). Zipf: P(k) ∝ 1 / (k+1)^skew, drawn by binary search
 * over the cumulative distribution (O(log n) per draw, O(n) memory, exact for any skew > 0).
 */
export function indexSampler(n: number, distribution: Distribution, skew: number, random: Random): () => number {
  if (distribution === 'uniform') return () => Math.floor(random() * n);
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / Math.pow(k + 1, skew);
    cumulative[k] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (cumulative[mid]! <= target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}

/** The name of category `index` out of `count`, zero-padded so names sort like their indexes. */
export function categoryName(index: number, count: number): string {
  const width = String(Math.max(count - 1, 0)).length;
  return `cat-${String(index).padStart(width, '0')}`;
}
