/**
 * Workload domain (pure): which of a column's values `\pb_from NAME RELATION.COLUMN [uniform|zipf S]`
 * draws for operation i. The use case loads the column's distinct values once, in an order of its
 * choosing (index 0 is the hottest under zipf), and answers planExecution's `draw` with
 * `values[sample(i, k)]`; the index depends only on (seed, name, i, k), so every path of a
 * benchmark asks for exactly the same values, in the same order, at any concurrency.
 */
import { UserError } from '../../errors.js';
import { nameSalt, namedDrawRandom } from './prng.js';
import type { PbFromSource } from './script.js';

/** Index into the loaded values of draw k of operation `executionIndex`. */
export type PbFromSample = (executionIndex: number, k: number) => number;

/**
 * A sampler over `count` values: uniform, or Zipf with P(j) proportional to 1 / (j + 1)^S (exact,
 * by binary search over the cumulative weights: O(count) memory once, O(log count) per draw).
 */
export function pbFromSampler(source: PbFromSource, count: number, seed: number | bigint): PbFromSample {
  if (!Number.isInteger(count) || count < 1) {
    throw new UserError(`\\pb_from ${source.name}: ${source.relation.text}.${source.column.text} has no values to draw from`, 'fill the column, or point \\pb_from at a column that has values');
  }
  const salt = nameSalt(source.name);
  if (source.distribution === 'uniform') {
    return (executionIndex, k) => namedDrawRandom(seed, salt, executionIndex, k).upToSmall(count - 1);
  }
  const cumulative = new Float64Array(count);
  let total = 0;
  for (let j = 0; j < count; j++) {
    total += 1 / Math.pow(j + 1, source.skew);
    cumulative[j] = total;
  }
  return (executionIndex, k) => {
    const target = namedDrawRandom(seed, salt, executionIndex, k).double() * total;
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle]! <= target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}
