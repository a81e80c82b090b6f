import { describe, expect, it } from 'vitest';
import { createRowGenerator, datasetFingerprint, DEFAULT_DATASET, type DatasetParams, type ProductRow } from '../../src/workload/dataset.js';

function rows(params: DatasetParams, batch = 7): ProductRow[] {
  const generator = createRowGenerator(params);
  const out: ProductRow[] = [];
  while (generator.next((row) => out.push({ ...row }), batch) > 0);
  return out;
}

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

  it('fingerprints the parameters as 16 hex digits', () => {
    expect(datasetFingerprint(DEFAULT_DATASET)).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each<[string, DatasetParams, DatasetParams]>([
    ['a copy of the parameters', params, { ...params }],
    ['another skew, for uniform (skew is ignored)', params, { ...params, skew: 3 }],
  ])('gives the same fingerprint for %s', (_, a, b) => {
    expect(datasetFingerprint(a)).toBe(datasetFingerprint(b));
  });

  it.each<[string, DatasetParams, DatasetParams]>([
    ['another row count', params, { ...params, rows: 51 }],
    ['another skew, for zipf', { ...params, distribution: 'zipf', skew: 1 }, { ...params, distribution: 'zipf', skew: 2 }],
  ])('gives another fingerprint for %s', (_, a, b) => {
    expect(datasetFingerprint(a)).not.toBe(datasetFingerprint(b));
  });
});
