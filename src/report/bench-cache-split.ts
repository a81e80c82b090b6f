/**
 * Reporter (pure): a cache hit split into its GET and its decode, when a run has both `cache-get`
 * (the GET alone, what `serve`'s fast route pays: it sends the bytes without decoding them) and
 * `cache` (GET + JSON decode, what an application that uses the report pays). The decode is their
 * difference at p50, so the speed-up of `cache-get` over the index is the one a well-built API gets.
 */
import { runConcurrency, type PathResult } from '../measure/result.js';
import { formatMsFromUs } from './bench-format.js';

/** One line per concurrency at which both paths succeeded; `paths` with their trials folded. */
export function cacheSplitLines(paths: readonly PathResult[]): string[] {
  const lines: string[] = [];
  for (const get of paths.filter((p) => p.name === 'cache-get' && p.ops > 0)) {
    const whole = paths.find((p) => p.name === 'cache' && p.ops > 0 && p.mode === get.mode && runConcurrency(p) === runConcurrency(get));
    if (!whole) continue;
    const getUs = get.summary.p50Us;
    const decodeUs = Math.max(0, whole.summary.p50Us - getUs);
    const share = whole.summary.p50Us > 0 ? Math.round((decodeUs / whole.summary.p50Us) * 100) : 0;
    lines.push(`Cache hit (concurrency ${runConcurrency(get)}, p50): GET ${formatMsFromUs(getUs)} ms (cache-get) + decode ${formatMsFromUs(decodeUs)} ms `
      + `(cache − cache-get) = ${formatMsFromUs(whole.summary.p50Us)} ms (cache); the decode is ${share}% of the hit.`);
  }
  return lines;
}
