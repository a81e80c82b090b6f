import { describe, expect, it } from 'vitest';
import { createRowGenerator, datasetFingerprint, DEFAULT_DATASET, type DatasetParams, type ProductRow } from '../../src/workload/dataset.js';
import { categoryName, indexSampler, seededRandom } from '../../src/measure/random.js';

function rows(params: DatasetParams, batch = 7): ProductRow[] {
  const generator = createRowGenerator(params);
  const out: ProductRow[] = [];
  while (generator.next((row) => out.push({ ...row }), batch) > 0);
  return out;
}

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

  it('names categories so they sort like their indexes', () => {
    expect(categoryName(7, 1000)).toBe('cat-007');
    expect(categoryName(999, 1000)).toBe('cat-999');
    expect(categoryName(0, 1)).toBe('cat-0');
  });
});

describe('dataset generation', () => {
  const params: DatasetParams = { rows: 50, categories: 5, distribution: 'uniform', skew: 0, seed: 9 };

  it('gives the same rows for the same parameters, whatever the batch size', () => {
    expect(rows(params, 7)).toEqual(rows(params, 50));
    expect(rows({ ...params, seed: 10 })).not.toEqual(rows(params));
  });

  it('produces ids 1..n with valid fields', () => {
    const all = rows(params);
    expect(all.map((row) => row.id)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (const row of all) {
      expect(row.category).toMatch(/^cat-[0-4]$/);
      expect(`${row.namePrefix}${row.id}`).toMatch(new RegExp(`^\\w+ \\w+ ${row.id}$`));
      expect(row.priceCents).toBeGreaterThanOrEqual(100);
      expect(row.priceCents).toBeLessThan(100_000);
      // 2024-01-01 .. 2026-01-01 in microseconds since 2000-01-01.
      expect(row.createdAtPgMicros).toBeGreaterThanOrEqual(757_382_400_000_000);
      expect(row.createdAtPgMicros).toBeLessThan(757_382_400_000_000 + 2 * 365 * 86_400 * 1_000_000);
    }
  });

  it('fingerprints the parameters, ignoring skew for uniform', () => {
    expect(datasetFingerprint(DEFAULT_DATASET)).toMatch(/^[0-9a-f]{16}$/);
    expect(datasetFingerprint(params)).toBe(datasetFingerprint({ ...params }));
    expect(datasetFingerprint(params)).toBe(datasetFingerprint({ ...params, skew: 3 }));
    expect(datasetFingerprint(params)).not.toBe(datasetFingerprint({ ...params, rows: 51 }));
    expect(datasetFingerprint({ ...params, distribution: 'zipf', skew: 1 })).not.toBe(datasetFingerprint({ ...params, distribution: 'zipf', skew: 2 }));
  });
});
