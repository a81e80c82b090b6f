/**
 * Workload domain (pure): The categories the operations ask for. Every path of a run reads the same sequence (same seed,
 * same distribution), so seq, index and cache answer exactly the same questions in the same order
 * and their latencies compare like for like.
 */
import { categoryName, indexSampler, seededRandom, type Distribution } from '../measure/random.js';
import { DEFAULT_ZIPF_SKEW } from './dataset.js';

/** How to draw the sequence; the same options give the same sequence on every machine. */
export interface SequenceOptions {
  /** Number of categories in the dataset (names `cat-000` … from random.ts). */
  categories: number;
  distribution: Distribution;
  /** Zipf exponent (ignored for uniform); DEFAULT_ZIPF_SKEW when not given, as in seed. */
  skew?: number;
  seed: number;
  /**
   * The sequence repeats after this many operations. Bounds memory (4 bytes per operation) for
   * long, fast runs; a million distinct draws is far more than any cache path can tell apart.
   */
  period?: number;
}

const DEFAULT_PERIOD = 1 << 20;
const CHUNK = 4096;

/** Operation i's category, drawn lazily in chunks and memoised so `at(i)` is O(1) on the hot path. */
export interface CategorySequence {
  /** The category of operation `index` (any index >= 0; wraps after `period`). */
  at(index: number): string;
  /** Category names by index: `names[k]` is category k's name. */
  readonly names: readonly string[];
}

export function categorySequence(options: SequenceOptions): CategorySequence {
  const { categories, distribution, seed } = options;
  if (!Number.isInteger(categories) || categories < 1) throw new RangeError('categories must be a positive integer');
  const period = options.period ?? DEFAULT_PERIOD;
  const names = Array.from({ length: categories }, (_, k) => categoryName(k, categories));
  const draw = indexSampler(categories, distribution, options.skew ?? DEFAULT_ZIPF_SKEW, seededRandom(seed));
  let drawn = new Uint32Array(Math.min(CHUNK, period));
  let filled = 0;
  const fillTo = (index: number): void => {
    const want = Math.min(period, Math.max(index + 1, filled + CHUNK));
    if (want > drawn.length) {
      const grown = new Uint32Array(Math.min(period, Math.max(want, drawn.length * 2)));
      grown.set(drawn);
      drawn = grown;
    }
    while (filled < want) drawn[filled++] = draw();
  };
  return {
    names,
    at(index) {
      const i = index % period;
      if (i >= filled) fillTo(i);
      return names[drawn[i]!]!;
    },
  };
}

/**
 * The sequence over a column's own values: the draw of `categorySequence` over as many categories,
 * each category k standing for `values[k]`. Every process and thread that builds it from the same
 * values and draw gets the same sequence.
 */
export function valuesSequence(values: readonly string[], draw: Omit<SequenceOptions, 'categories'>): CategorySequence {
  const base = categorySequence({ ...draw, categories: values.length });
  const byName = new Map(base.names.map((name, k) => [name, values[k]!]));
  return { names: values, at: (index) => byName.get(base.at(index))! };
}

