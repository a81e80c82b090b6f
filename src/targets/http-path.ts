/**
 * The shared shape of the HTTP paths of `bench --http` (http-slow, http-fast): one `httpTarget`
 * per run, with as many keep-alive sockets as the run's concurrency, and the server's own
 * Server-Timing breakdown of the measured responses recorded next to the client-side latency.
 *
 * http-fast must time cache hits, so before its first run it makes sure the server has every
 * category of the sequence cached, outside any measurement: a server perfbench started shares the
 * run's cache tier, so the reports are filled straight into its namespace (a few multi-category
 * queries instead of one report query per category); then every category is requested once over
 * HTTP. The measured responses' `X-Cache` headers must then all say HIT, or the path is flagged.
 */
import { reportKey } from '../cache/report-cache.js';
import type { ServerTimingRecord } from '../measure/result.js';
import type { Target } from '../measure/target.js';
import { fillReports } from './cache-fill.js';
import { httpTarget, type HttpRoute, type HttpTarget } from './http.js';
import type { BenchPath, PathContext, RunFindings } from './path.js';

export function httpPath(context: PathContext, route: HttpRoute): BenchPath {
  const name = `http-${route}`;
  const server = context.http;
  if (!server) throw new Error(`${name} needs the server's URL (bench --http)`);
  let current: HttpTarget | undefined;
  let warmed = false;
  /** Told once, with the first run's findings. */
  let warmNote: string | undefined;

  /** Every category once over HTTP; returns the X-Cache counts of those requests. */
  const warm = async (target: HttpTarget, concurrency: number): Promise<Record<string, number>> => {
    if (server.namespace !== undefined) {
      const tier = await context.cache();
      const keys = new Map(context.sequence.names.map((category) => [category, reportKey(server.namespace!, category)]));
      await fillReports(context, tier, keys);
    }
    target.resetServerTiming();
    const names = context.sequence.names;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        if (context.signal.aborted) throw new Error("interrupted while warming the server's cache");
        await target.run({ index: 0, category: names[next++]! });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
    return target.serverTiming().xCache;
  };

  return {
    name,
    kind: 'http',
    target(concurrency): Target {
      const inner = httpTarget({ baseUrl: server.baseUrl, route, connections: concurrency, name, ...(server.timeoutMs ? { timeoutMs: server.timeoutMs } : {}) });
      current = inner;
      return {
        name,
        kind: 'http',
        async setup() {
          await inner.setup?.();
          if (route === 'fast' && !warmed) {
            const xCache = await warm(inner, concurrency);
            warmed = true;
            const misses = xCache.MISS ?? 0;
            if (server.namespace === undefined && misses > 0) {
              warmNote = `warm-up: the server had ${context.sequence.names.length - misses} of ${context.sequence.names.length} reports cached and cached ` +
                `the other ${misses} (X-Cache: MISS); they stay until its TTL ends (perfbench removes keys only from a server it started)`;
            }
          }
          inner.resetServerTiming();
        },
        run: inner.run,
        teardown: inner.teardown!,
        measureStart: () => inner.resetServerTiming(),
      };
    },
    async findings(): Promise<RunFindings> {
      if (!current) return { notes: [], flags: [] };
      const timing = current.serverTiming();
      const record: ServerTimingRecord = { responses: timing.responses, meanMs: timing.meansMs, xCache: timing.xCache };
      const findings: RunFindings = { serverTiming: record, notes: [], flags: [] };
      const hits = timing.xCache.HIT ?? 0;
      if (route === 'fast' && timing.responses > 0 && hits !== timing.responses) {
        // Notes and flags pair up by position: this note must come first.
        findings.flags.push('cache-hits-unverified');
        findings.notes.push(`cache hits not confirmed: X-Cache said ${describeCounts(timing.xCache)} for ${timing.responses} measured responses ` +
          '(keys expired or evicted, or the cache was down; raise --ttl for long runs)');
      }
      if (warmNote) {
        findings.notes.push(warmNote);
        warmNote = undefined;
      }
      return findings;
    },
    close: async () => {
      await current?.teardown?.();
    },
  };
}

/** `HIT 950, MISS 50`. */
function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts).map(([status, count]) => `${status} ${count}`).join(', ') || 'nothing';
}
