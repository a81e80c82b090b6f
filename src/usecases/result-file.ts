/**
 * Use case: read result files. `readResultFile` validates one (bench --baseline, merge, report);
 * `merge` adds the histograms of runs made at the same time from several processes or machines
 * into one result (exactly: HDR histograms add) and recomputes the speed-ups.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { firstLine, usageError } from '../errors.js';
import { compareResult, type Comparison } from '../measure/compare.js';
import { initHistograms } from '../measure/histogram.js';
import { describeDifference, mergeDifferences, shardProblems } from '../measure/merge-check.js';
import { mergeResults, validateResult, type BenchResult } from '../measure/result.js';

/**
 * Reads and validates a result file written by `perfbench bench --format json`. Every problem is a
 * one-line usage error (exit 2): missing, unreadable, not JSON, not a result, wrong schemaVersion.
 */
export async function readResultFile(path: string, what = 'result'): Promise<BenchResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw usageError(`${what} ${path}: no such file`, 'pass the JSON written by `perfbench bench --output result.json`');
    if (code === 'EISDIR') throw usageError(`${what} ${path}: is a directory`, 'pass a JSON result file');
    throw usageError(`${what} ${path}: cannot be read (${code ?? (error as Error).message})`, 'check the path and its permissions');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw usageError(`${what} ${path}: not valid JSON (${firstLine((error as Error).message)})`, 'pass the JSON written by `perfbench bench --format json`');
  }
  return validateResult(json, `${what} ${path}`);
}

export interface MergeOutcome {
  result: BenchResult;
  comparisons: Comparison[];
}

/**
 * Reads every file and adds them up; the speed-ups are recomputed from the merged histograms.
 * Results of different benchmarks (options or dataset) are refused unless `force`; a forced merge
 * says what differed in the result's notes.
 */
export async function merge(files: readonly string[], options: { force?: boolean } = {}): Promise<MergeOutcome> {
  if (files.length === 0) throw usageError('merge needs at least one result file', 'e.g. perfbench merge a.json b.json');
  await initHistograms();
  const results: BenchResult[] = [];
  for (const file of files) results.push(await readResultFile(file));
  const labels = files.map((file) => basename(file));
  const differences = mergeDifferences(results, labels);
  if (differences.length > 0 && !options.force) {
    throw usageError(`these results are not runs of one benchmark: they differ in ${differences.map(describeDifference).join('; ')}`,
      'merge the results of one run (same options and dataset), or pass --force to add them anyway');
  }
  // Shards (bench --shard I/N) merge only as a whole run: one run id, each shard once, none missing.
  const shards = shardProblems(results, labels);
  if (shards.length > 0 && !options.force) {
    throw usageError(`these results are not the shards of one run: ${shards.join('; ')}`,
      'merge every shard of one run once (same --run-id, shards 1..N), or pass --force to add them anyway');
  }
  const result = mergeResults(results);
  const merged = `merged ${files.length} results (${labels.join(', ')})`;
  const forced = [
    ...(differences.length > 0 ? [`merged with --force although they differ in ${differences.map(describeDifference).join('; ')}`] : []),
    ...(shards.length > 0 ? [`merged with --force although they are not the shards of one run: ${shards.join('; ')}`] : []),
  ];
  result.notes = [...(result.notes ?? []), merged, ...forced];
  return { result, comparisons: compareResult(result) };
}
