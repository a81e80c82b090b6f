/**
 * Measurement domain (pure): may these results be merged? Histograms add exactly, but only like
 * with like: runs of one benchmark (same loop, schedule, paths and draw) on one dataset, as the
 * processes or machines of one run make them. Adding a 2 s run at concurrency 1 to a 5 s run at
 * concurrency 4 gives a table that describes neither, so the differences are found here and the
 * merge refuses them unless forced.
 */
import type { BenchResult } from './result.js';

/** Options that define the benchmark a result measured. */
const RUN_OPTIONS = ['mode', 'concurrency', 'durationMs', 'iterations', 'warmupMs', 'ratePerSec', 'trials', 'distribution', 'skew', 'seed', 'paths', 'ttlSeconds', 'driver'] as const;
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

/**
 * Whether results that are shards (`bench --shard I/N`) make up one whole run: every input a shard,
 * of the same run id and shard count, each index once, all N present. Each problem is one phrase
 * (empty: they do, or none of them is a shard).
 */
export function shardProblems(results: readonly BenchResult[], labels: readonly string[]): string[] {
  const label = (i: number) => labels[i] ?? `#${i + 1}`;
  const shards = results.map((r) => r.shard);
  if (shards.every((s) => s === undefined)) return [];
  const problems: string[] = [];
  const plain = shards.flatMap((s, i) => (s === undefined ? [label(i)] : []));
  if (plain.length > 0) problems.push(`${plain.join(', ')} ${plain.length === 1 ? 'is not a shard' : 'are not shards'} (no --shard)`);
  const present = shards.flatMap((s, i) => (s === undefined ? [] : [{ shard: s, label: label(i) }]));
  const runIds = [...new Set(present.map((p) => p.shard.runId))];
  if (runIds.length > 1) problems.push(`run ids differ (${present.map((p) => `${p.label} ${p.shard.runId}`).join(', ')})`);
  const counts = [...new Set(present.map((p) => p.shard.count))];
  if (counts.length > 1) problems.push(`shard counts differ (${present.map((p) => `${p.label} ${p.shard.index}/${p.shard.count}`).join(', ')})`);
  const byIndex = new Map<number, string[]>();
  for (const p of present) byIndex.set(p.shard.index, [...(byIndex.get(p.shard.index) ?? []), p.label]);
  for (const [index, files] of [...byIndex].sort((a, b) => a[0] - b[0])) {
    if (files.length > 1) problems.push(`shard ${index} appears ${files.length} times (${files.join(', ')})`);
  }
  if (counts.length === 1) {
    const count = counts[0]!;
    const missing = Array.from({ length: count }, (_, k) => k + 1).filter((index) => !byIndex.has(index));
    if (missing.length > 0) problems.push(`shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${count} ${missing.length === 1 ? 'is' : 'are'} missing`);
  }
  return problems;
}
