/**
 * Reporter (pure): the JSON export, the result contract itself (see measure/result.ts), with the
 * speed-ups computed for this report embedded as `comparisons`. Readers validate it with
 * `validateResult`.
 */
import type { BenchResult, Comparison } from '../measure/result.js';

export function renderBenchJson(result: BenchResult, comparisons: readonly Comparison[]): string {
  const out: BenchResult = comparisons.length ? { ...result, comparisons: [...comparisons] } : { ...result };
  if (!comparisons.length) delete out.comparisons;
  return JSON.stringify(out, null, 2) + '\n';
}
