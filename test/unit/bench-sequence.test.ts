import { describe, expect, it } from 'vitest';
import { categoryName } from '../../src/measure/random.js';
import { categorySequence } from '../../src/workload/sequence.js';

describe('categorySequence', () => {
  it('is identical for the same options and differs with the seed', () => {
    const a = categorySequence({ categories: 1000, distribution: 'zipf', seed: 1 });
    const b = categorySequence({ categories: 1000, distribution: 'zipf', seed: 1 });
    const c = categorySequence({ categories: 1000, distribution: 'zipf', seed: 2 });
    // Read b out of order: memoised chunks must not change the values.
    const late = b.at(9999);
    const seqA = Array.from({ length: 10_000 }, (_, i) => a.at(i));
    expect(late).toBe(seqA[9999]);
    expect(Array.from({ length: 10_000 }, (_, i) => b.at(i))).toEqual(seqA);
    expect(Array.from({ length: 10_000 }, (_, i) => c.at(i))).not.toEqual(seqA);
  });

  it('uses the dataset category names and the distribution', () => {
    const seq = categorySequence({ categories: 100, distribution: 'zipf', skew: 1.2, seed: 3 });
    expect(seq.names[7]).toBe(categoryName(7, 100));
    const counts = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) counts.set(seq.at(i), (counts.get(seq.at(i)) ?? 0) + 1);
    // Zipf: the hottest category is drawn far more often than the coldest.
    expect(counts.get('cat-00')!).toBeGreaterThan(10 * (counts.get('cat-99') ?? 0));
    const uniform = categorySequence({ categories: 4, distribution: 'uniform', seed: 3 });
    const seen = new Set(Array.from({ length: 100 }, (_, i) => uniform.at(i)));
    expect([...seen].sort()).toEqual(['cat-0', 'cat-1', 'cat-2', 'cat-3']);
  });

  it('repeats after its period', () => {
    const seq = categorySequence({ categories: 50, distribution: 'uniform', seed: 9, period: 10 });
    for (let i = 0; i < 10; i++) expect(seq.at(i + 10)).toBe(seq.at(i));
    expect(seq.at(12345)).toBe(seq.at(5));
  });

  it('rejects an empty dataset', () => {
    expect(() => categorySequence({ categories: 0, distribution: 'uniform', seed: 1 })).toThrow(RangeError);
  });
});
