/**
 * Measurement domain (pure): may these results be merged? Histograms add exactly, but only like
 * with like: runs of one benchmark (same loop, schedule, paths and draw) on one dataset, as the
 * processes or machines of one run make them. Adding a 2 s run at concurrency 1 to a 5 s run at
 * concurrency 4 gives a table that describes neither, so the differences are found here and the
 * merge refuses them unless forced.
 */
import type { BenchResult } from './result.js';

/** Options that define the benchmark a result measured. */
const RUN_OPTIONS = ['mode', 'concurrency', 'durationMs', 'iterations', 'warmupMs', 'ratePerSec', 'trials', 'distribution', 'skew', 'seed', 'paths', 'ttlSeconds'] as const;
/** Environment keys that name the data it ran on. */
const DATASET_KEYS = ['dataset', 'table', 'column'] as const;

/** One key whose value differs between the inputs, with each input's value (labelled). */
export interface MergeDifference {
  key: string;
  values: Array<{ label: string; value: unknown }>;
}

function canonical(value: unknown): string {
  // Paths and concurrency lists are sets for this purpose: the order of --paths does not change what ran.
  return JSON.stringify(Array.isArray(value) ? [...value].map(String).sort() : value ?? null);
}

/** Every defining option or dataset key on which the results disagree (empty: they merge as one run). */
export function mergeDifferences(results: readonly BenchResult[], labels: readonly string[]): MergeDifference[] {
  const read = (r: BenchResult, key: string): unknown =>
    (DATASET_KEYS as readonly string[]).includes(key) ? r.environment[key] : r.options[key];
  const differences: MergeDifference[] = [];
  for (const key of [...RUN_OPTIONS, ...DATASET_KEYS]) {
    const seen = new Set(results.map((r) => canonical(read(r, key))));
    if (seen.size > 1) differences.push({ key, values: results.map((r, i) => ({ label: labels[i] ?? `#${i + 1}`, value: read(r, key) })) });
  }
  return differences;
}

/** `durationMs (a.json 2000, b.json 5000)`: one difference for a one-line message. */
export function describeDifference(difference: MergeDifference): string {
  const values = difference.values.map(({ label, value }) => `${label} ${Array.isArray(value) ? value.join(',') : String(value ?? 'none')}`);
  return `${difference.key} (${values.join(', ')})`;
}
