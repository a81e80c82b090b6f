/** Reporter: what `perfbench serve` prints on start and on stop. */
import { counted, formatInt } from './format.js';
import type { Identifier } from '../workload/identifiers.js';

/** What the start lines show: the bound server and the options it serves with. */
export interface ServeStartView {
  url: string;
  cacheLabel: string;
  /** A value that exists in the table, for the curl examples. */
  exampleCategory: string | undefined;
}

/** What `serve` answered until it stopped. */
export interface ServeSummary {
  url: string;
  requests: number;
  slow: number;
  fast: number;
  /** X-Cache outcomes of /report/fast (near: from memory, without Redis). */
  cache: { near?: number; hits: number; misses: number; bypasses: number };
}

/** The lines printed on start: where it listens and how to try it. */
export function describeStart(running: ServeStartView,
  options: { table: Identifier; column: Identifier; poolSize: number; ttlSeconds: number; nearCacheBytes?: number }): string[] {
  const category = encodeURIComponent(running.exampleCategory ?? 'CATEGORY');
  const near = options.nearCacheBytes ? `, near cache ${formatInt(Math.round(options.nearCacheBytes / 1024 / 1024))} MB` : '';
  return [
    `perfbench serve: listening on ${running.url} (table ${options.table.text}, column ${options.column.text}, pool ${options.poolSize}, cache ${running.cacheLabel}, ttl ${options.ttlSeconds} s)${near}`,
    `  curl -i '${running.url}/report/slow?category=${category}'   # before: one connection, no cache`,
    `  curl -i '${running.url}/report/fast?category=${category}'   # after: pool + cache (X-Cache: MISS, then HIT${options.nearCacheBytes ? ', then NEAR from memory' : ''})`,
    `  curl -s ${running.url}/healthz`,
    `  curl -s ${running.url}/metrics`,
    'Ctrl-C stops: in-flight requests are answered first.',
  ];
}

export function describeSummary(summary: ServeSummary): string {
  const near = summary.cache.near ? `${counted(summary.cache.near, 'near hit')}, ` : '';
  return `stopped: ${counted(summary.requests, 'request')} (${formatInt(summary.slow)} slow, ${formatInt(summary.fast)} fast: `
    + `${near}${counted(summary.cache.hits, 'hit')}, ${counted(summary.cache.misses, 'miss', 'misses')}, ${counted(summary.cache.bypasses, 'bypass', 'bypasses')})`;
}

