/** Reporter: what `perfbench serve` prints on start and on stop. */
import { formatCount } from '../flags/options.js';
import type { RunningServe, ServeOptions, ServeSummary } from '../usecases/report-server.js';

/** The lines printed on start: where it listens and how to try it. */
export function describeStart(running: RunningServe, options: ServeOptions): string[] {
  const category = encodeURIComponent(running.exampleCategory ?? 'CATEGORY');
  return [
    `perfbench serve: listening on ${running.url} (table ${options.table.text}, column ${options.column.text}, pool ${options.poolSize}, cache ${running.cacheLabel}, ttl ${options.ttlSeconds} s)`,
    `  curl -i '${running.url}/report/slow?category=${category}'   # before: one connection, no cache`,
    `  curl -i '${running.url}/report/fast?category=${category}'   # after: pool + cache (X-Cache: MISS, then HIT)`,
    `  curl -s ${running.url}/healthz`,
    `  curl -s ${running.url}/metrics`,
    'Ctrl-C stops: in-flight requests are answered first.',
  ];
}

export function describeSummary(summary: ServeSummary): string {
  return `stopped: ${formatCount(summary.requests)} requests (${formatCount(summary.slow)} slow, ${formatCount(summary.fast)} fast: `
    + `${formatCount(summary.cache.hits)} hits, ${formatCount(summary.cache.misses)} misses, ${formatCount(summary.cache.bypasses)} bypasses)`;
}

