/** Flags: `perfbench seed`'s flags parsed into SeedOptions; every bad value is a one-line usage error. */
import { usageError } from '../errors.js';
import { DISTRIBUTIONS } from '../measure/random.js';
import type { SeedOptions } from '../usecases/dataset.js';
import { DEFAULT_ZIPF_SKEW } from '../workload/dataset.js';
import { tableIdentifier } from '../workload/identifiers.js';
import { choiceOption, integerOption, numberOption } from './options.js';

export interface SeedFlags {
  table: string;
  rows: string;
  categories: string;
  distribution: string;
  skew?: string;
  seed: string;
  reset?: boolean;
  withIndex?: boolean;
}

export function seedOptions(flags: SeedFlags): SeedOptions {
  const distribution = choiceOption(flags.distribution, '--distribution', DISTRIBUTIONS);
  const rows = integerOption(flags.rows, '--rows', 1, 500_000_000);
  const categories = integerOption(flags.categories, '--categories', 1, 1_000_000);
  if (flags.skew !== undefined && distribution !== 'zipf') throw usageError('--skew applies only with --distribution zipf');
  const skew = distribution === 'zipf' ? numberOption(flags.skew ?? String(DEFAULT_ZIPF_SKEW), '--skew', 0.01, 10) : 0;
  return {
    table: tableIdentifier(flags.table),
    dataset: { rows, categories, distribution, skew, seed: integerOption(flags.seed, '--seed', 0, 2 ** 32 - 1) },
    reset: Boolean(flags.reset),
    withIndex: Boolean(flags.withIndex),
  };
}

