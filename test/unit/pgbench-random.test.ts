/**
 * The script generator (xoroshiro128** seeded by splitmix64, pgbench's pg_prng) and the shape of
 * pgbench's distributions over many seeded draws. The 32-bit-halves implementation is checked
 * against a plain BigInt transcription of the published algorithms; the shapes against their
 * formulas. Every number here is a fixed draw sequence: exact, not timing.
 */
import { describe, expect, it } from 'vitest';
import { exponentialInt, gaussianInt, uniformInt, zipfianInt } from '../../src/workload/pgbench/distributions.js';
import { Prng, executionRandom, mix64, streamKey } from '../../src/workload/pgbench/prng.js';

const MASK = (1n << 64n) - 1n;

/** Reference xoroshiro128** 1.0 with pg_prng_seed, in BigInt, straight from the published code. */
class ReferencePrng {
  private s0: bigint;
  private s1: bigint;

  constructor(seed: bigint) {
    let state = seed & MASK;
    const splitmix = (): bigint => {
      state = (state + 0x9e3779b97f4a7c15n) & MASK;
      let z = state;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
      return z ^ (z >> 31n);
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
  }

  next(): bigint {
    const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (64n - k))) & MASK;
    const s0 = this.s0;
    const sx = this.s1 ^ s0;
    const value = (rotl((s0 * 5n) & MASK, 7n) * 9n) & MASK;
    this.s0 = rotl(s0, 24n) ^ sx ^ ((sx << 16n) & MASK);
    this.s1 = rotl(sx, 37n);
    return value;
  }
}

describe('the generator', () => {
  it.each([0n, 1n, 42n, MASK, 0x8000000000000000n, 123456789123456789n])('produces xoroshiro128** outputs for seed %s', (seed) => {
    const fast = new Prng(seed);
    const reference = new ReferencePrng(seed);
    for (let i = 0; i < 500; i++) expect(fast.uint64()).toBe(reference.next());
  });

  it('mixes like splitmix64 (Stafford 13) on known values', () => {
    // splitmix64 seeded with 0 yields 0xe220a8397b1dcdaf first: mix64(0 + gamma).
    expect(mix64(0x9e3779b97f4a7c15n)).toBe(0xe220a8397b1dcdafn);
    expect(mix64(0n)).toBe(0n);
  });

  it('makes doubles in [0, 1) from the top 52 bits, exactly', () => {
    const fast = new Prng(9n);
    const reference = new ReferencePrng(9n);
    for (let i = 0; i < 500; i++) {
      const d = fast.double();
      expect(d).toBe(Number(reference.next() >> 12n) / 2 ** 52);
      expect(d >= 0 && d < 1).toBe(true);
    }
  });

  it('draws 0..range by bitmask rejection, the number path agreeing with the BigInt one', () => {
    for (const range of [1, 2, 3, 1000, 65535, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 17, 2 ** 53 - 1]) {
      const a = new Prng(5n);
      const b = new Prng(5n);
      const reference = new ReferencePrng(5n);
      const shift = 63n - BigInt(BigInt(range).toString(2).length - 1);
      for (let i = 0; i < 200; i++) {
        let expected: bigint;
        do expected = reference.next() >> shift;
        while (expected > BigInt(range));
        expect(a.upToSmall(range)).toBe(Number(expected));
        expect(b.upTo(BigInt(range))).toBe(expected);
      }
    }
  });

  it('draws nothing for an empty range', () => {
    const a = new Prng(3n);
    expect(a.upTo(0n)).toBe(0n);
    expect(a.uint64()).toBe(new Prng(3n).uint64());
  });

  it('never seeds the all-zero state', () => {
    // No 64-bit seed maps to two zero words through splitmix64, but the check is there as in pg_prng.
    expect(new Prng(0n).uint64()).not.toBe(0n);
  });
});

describe('per-operation streams', () => {
  it('give operation i the same draws every time, whoever asks', () => {
    const first = Array.from({ length: 5 }, (_, i) => executionRandom(42, i).uint64());
    const again = Array.from({ length: 5 }, (_, i) => executionRandom(42, i).uint64());
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(5);
  });

  it('differ with the seed and between streams, and accept bigint seeds', () => {
    expect(executionRandom(43, 0).uint64()).not.toBe(executionRandom(42, 0).uint64());
    expect(executionRandom(42, 0, 'choose').uint64()).not.toBe(executionRandom(42, 0).uint64());
    expect(executionRandom(42n, 7).uint64()).toBe(executionRandom(42, 7).uint64());
    expect(streamKey(-1, 0, 'script')).toBe(streamKey(MASK, 0, 'script'));
  });

  it('handle operation numbers beyond 2^32', () => {
    expect(executionRandom(1, 2 ** 32).uint64()).not.toBe(executionRandom(1, 0).uint64());
    expect(streamKey(1, 2 ** 40 + 3, 'script')).toBe(streamKey(1n, 2 ** 40 + 3, 'script'));
  });
});

describe('distribution shapes over 100,000 seeded draws', () => {
  const N = 100_000;
  const draws = (draw: (random: Prng) => bigint): number[] => {
    const random = new Prng(2024n);
    return Array.from({ length: N }, () => Number(draw(random)));
  };
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  const share = (values: number[], test: (value: number) => boolean): number => values.filter(test).length / values.length;

  it('uniform: every value of 1..10 about 1/10 of the time, mean 5.5', () => {
    const values = draws((random) => uniformInt(random, 1n, 10n));
    for (let v = 1; v <= 10; v++) expect(share(values, (x) => x === v)).toBeCloseTo(0.1, 2);
    expect(mean(values)).toBeCloseTo(5.5, 1);
    expect(Math.min(...values)).toBe(1);
    expect(Math.max(...values)).toBe(10);
  });

  it('gaussian(1, 1000, 2.5): centred on 500.5, 68.3%/98.8% (one sigma, of the truncated mass) within 200 of it', () => {
    const values = draws((random) => gaussianInt(random, 1n, 1000n, 2.5));
    // One standard deviation is (max - min + 1) / (2 * parameter) = 1000 / 5 = 200 values.
    const erf = (x: number): number => {
      // Abramowitz and Stegun 7.1.26, |error| < 1.5e-7.
      const t = 1 / (1 + 0.3275911 * Math.abs(x));
      const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
      return Math.sign(x) * y;
    };
    const withinOneSigma = erf(1 / Math.SQRT2) / erf(2.5 / Math.SQRT2);
    // Within three standard errors of the mean: 3 x 200 / sqrt(100,000) = 1.9.
    expect(Math.abs(mean(values) - 500.5)).toBeLessThan((3 * 200) / Math.sqrt(N));
    expect(share(values, (x) => Math.abs(x - 500.5) < 200)).toBeCloseTo(withinOneSigma, 2);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...values)).toBeLessThanOrEqual(1000);
  });

  it('exponential(1, 1000, 3.0): mean of the truncated exponential, and the first tenth holds 1 - e^-0.3 of the mass (renormalised)', () => {
    const values = draws((random) => exponentialInt(random, 1n, 1000n, 3.0));
    // Fraction f in [0, 1) has density p e^(-p f) / (1 - e^-p): E[f] = 1/p - e^-p / (1 - e^-p).
    const p = 3.0;
    const expectedFraction = 1 / p - Math.exp(-p) / (1 - Math.exp(-p));
    // value = 1 + floor(1000 f): its mean is 1 + 1000 E[f] - 1/2 (the floor); within three
    // standard errors (f's standard deviation is below 0.3, so 3 x 300 / sqrt(100,000) = 2.8).
    expect(Math.abs(mean(values) - (1 + 1000 * expectedFraction - 0.5))).toBeLessThan((3 * 300) / Math.sqrt(N));
    expect(share(values, (x) => x <= 100)).toBeCloseTo((1 - Math.exp(-p * 0.1)) / (1 - Math.exp(-p)), 2);
    expect(Math.max(...values)).toBeLessThanOrEqual(1000);
  });

  it('zipfian(1, 1000, 1.5): P(k) proportional to k^-1.5', () => {
    const values = draws((random) => zipfianInt(random, 1n, 1000n, 1.5));
    let harmonic = 0;
    for (let k = 1; k <= 1000; k++) harmonic += k ** -1.5;
    expect(share(values, (x) => x === 1)).toBeCloseTo(1 / harmonic, 2);
    expect(share(values, (x) => x === 2)).toBeCloseTo(2 ** -1.5 / harmonic, 2);
    expect(share(values, (x) => x === 10)).toBeCloseTo(10 ** -1.5 / harmonic, 2);
    expect(Math.max(...values)).toBeLessThanOrEqual(1000);
  });

  it('zipfian over a range starting elsewhere: the lower bound is the most frequent value', () => {
    const values = draws((random) => zipfianInt(random, -5n, 4n, 2));
    let harmonic = 0;
    for (let k = 1; k <= 10; k++) harmonic += k ** -2;
    expect(share(values, (x) => x === -5)).toBeCloseTo(1 / harmonic, 2);
    expect(Math.min(...values)).toBe(-5);
  });
});
