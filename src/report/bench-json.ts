/**
 * The JSON export: the result contract itself (see core/result.ts), with the speed-ups computed for
 * this report embedded as `comparisons`. Readers validate it with `validateResult`. Pure.
 */
import type { Comparison } from '../measure/compare.js';
import type { BenchResult } from '../measure/result.js';

export function renderBenchJson(result: BenchResult, comparisons: readonly Comparison[]): string {
  const out: BenchResult = comparisons.length ? { ...result, comparisons: [...comparisons] } : { ...result };
  if (!comparisons.length) delete out.comparisons;
  return JSON.stringify(out, null, 2) + '\n';
}
