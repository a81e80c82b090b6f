import { describe, expect, it } from 'vitest';
import { categoryName, indexSampler, seededRandom } from '../../src/measure/random.js';

describe('seeded randomness', () => {
  it('repeats for a seed and differs across seeds', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect(c()).not.toBe(first[0]);
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
  });

  it('draws uniform indexes across the whole range', () => {
    const sample = indexSampler(10, 'uniform', 0, seededRandom(1));
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) counts[sample()]++;
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1150);
  });

  it('draws Zipf indexes with P(k) proportional to 1/(k+1)^s', () => {
    const sample = indexSampler(100, 'zipf', 1, seededRandom(3));
    const counts = new Array(100).fill(0);
    const draws = 200_000;
    for (let i = 0; i < draws; i++) counts[sample()]++;
    const harmonic = Array.from({ length: 100 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b);
    // Expected share of the hottest category: 1 / H(100) = 0.1928.
    expect(counts[0] / draws).toBeCloseTo(1 / harmonic, 2);
    expect(counts[1] / draws).toBeCloseTo(0.5 / harmonic, 2);
    expect(counts[0]).toBeGreaterThan(counts[9] * 5);
  });

  it.each([
    [7, 1000, 'cat-007'],
    [999, 1000, 'cat-999'],
    [0, 1, 'cat-0'],
  ])('names categories so they sort like their indexes: %i of %i is %s', (index, count, expected) => {
    expect(categoryName(index, count)).toBe(expected);
  });
});
