import { describe, expect, it } from 'vitest';
import { datasetLine } from '../../src/report/bench-format.js';
import type { BenchResult } from '../../src/measure/result.js';
import { notDefaultDatasetWarning } from '../../src/usecases/dataset-description.js';
import { DEFAULT_DATASET, datasetFingerprint, isDefaultDataset, type DatasetDescription } from '../../src/workload/dataset.js';

const seededDefault: DatasetDescription = {
  table: 'products', column: 'category', rows: 1_000_000, rowsExact: true, distinctValues: 1000, valuesCapped: false,
  rowsPerValue: 1_000_000 / 1000, fingerprint: datasetFingerprint(DEFAULT_DATASET), seededByPerfbench: true, isDefaultDataset: true,
};
const small: DatasetDescription = { ...seededDefault, rows: 20_000, distinctValues: 100, rowsPerValue: 20_000 / 100, fingerprint: 'f00d', isDefaultDataset: false };
const resultWith = (datasetInfo?: DatasetDescription) => ({ environment: datasetInfo ? { datasetInfo } : {} }) as unknown as BenchResult;

describe('the dataset a run measured', () => {
  it('knows the default dataset by its fingerprint', () => {
    expect(isDefaultDataset(datasetFingerprint(DEFAULT_DATASET))).toBe(true);
    expect(isDefaultDataset(datasetFingerprint({ ...DEFAULT_DATASET, rows: 20_000 }))).toBe(false);
  });

  it.each([
    [seededDefault, `Dataset: products, 1,000,000 rows (exact), 1,000 category values (1,000 rows each), fingerprint ${seededDefault.fingerprint}, seeded by perfbench (the default dataset)`],
    [{ ...small, table: '"Sales"."Order Items"', column: '"Customer Id"', seededByPerfbench: false, rowsExact: false },
      'Dataset: "Sales"."Order Items", 20,000 rows (estimate), 100 "Customer Id" values (200 rows each), fingerprint f00d, not seeded by perfbench'],
    [{ ...small, distinctValues: 10_000, valuesCapped: true, rowsPerValue: 2, seededByPerfbench: false },
      'Dataset: products, 20,000 rows (exact), at least 10,000 category values (at most 2 rows each), fingerprint f00d, not seeded by perfbench'],
  ])('is named in one line: %#', (dataset, line) => {
    expect(datasetLine(resultWith(dataset))).toBe(line);
  });

  it('is absent from results written before bench recorded it', () => {
    expect(datasetLine(resultWith())).toBeUndefined();
  });

  it('warns only when the defaults were asked for and the default table holds something else', () => {
    expect(notDefaultDatasetWarning(seededDefault, true)).toBeUndefined();
    expect(notDefaultDatasetWarning(small, false)).toBeUndefined();
    expect(notDefaultDatasetWarning({ ...small, table: 'orders' }, true)).toBeUndefined();
    expect(notDefaultDatasetWarning(small, true)).toBe('products is not the default dataset: it holds 20,000 rows in 100 category values ' +
      "(a dataset perfbench seeded with other flags); the figures are not comparable with the default run's (`perfbench seed --reset` restores the default dataset)");
  });
});
