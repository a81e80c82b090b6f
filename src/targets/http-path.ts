/**
 * Targets: The shared shape of the HTTP paths of `bench --http` (http-slow, http-fast): one `httpTarget`
 * per run, with as many keep-alive sockets as the run's concurrency, and the server's own
 * Server-Timing breakdown of the measured responses recorded next to the client-side latency.
 *
 * http-fast must time cache hits, so before its first run it makes sure the server has every
 * category of the sequence cached, outside any measurement: a server perfbench started shares the
 * run's cache tier, so the reports are filled straight into its namespace (a few multi-category
 * queries instead of one report query per category); then every category is requested once over
 * HTTP. Its measured responses must then all say `X-Cache: HIT` (or `NEAR`: a server with a near
 * cache answered from its memory): any other answer is an error of the
 * path (the run exits 1), kept out of its latency histogram and Server-Timing figures and counted
 * apart in `xCache`, and the path is flagged `cache-hits-unverified` — the rule the cache path
 * applies to its GETs. With a server perfbench started, which shares the run's cache tier, the hits
 * are also checked against the tier's INFO counters, as the cache path's are (cache-check.ts).
 */
import { reportKey } from '../cache/report-cache.js';
import type { CacheStats, CacheTier } from '../cache/tier.js';
import type { Target } from '../measure/target.js';
import { fillReports } from './cache-fill.js';
import { verifyCacheOutcome } from './cache-check.js';
import { httpTarget, serverTimingRecord, type HttpRoute, type HttpTarget } from './http.js';
import type { BenchPath, PathContext, RunFindings } from './path.js';

export function httpPath(context: PathContext, route: HttpRoute): BenchPath {
  const name = `http-${route}`;
  const server = context.http;
  if (!server) throw new Error(`${name} needs the server's URL (bench --http)`);
  let current: HttpTarget | undefined;
  let warmed = false;
  /** A server perfbench started shares the run's tier: its INFO counters before the run, to check the hits against. */
  let tier: CacheTier | undefined;
  let before: CacheStats | undefined;
  /** Told once, with the first run's findings. */
  let warmNote: string | undefined;

  /** Every category once over HTTP; returns the X-Cache counts of those requests. */
  const warm = async (target: HttpTarget, concurrency: number): Promise<Record<string, number>> => {
    if (server.namespace !== undefined) {
      const shared = await context.cache();
      const keys = new Map(context.sequence.names.map((category) => [category, reportKey(server.namespace!, category)]));
      await fillReports(context, shared, keys);
    }
    target.resetServerTiming();
    const names = context.sequence.names;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        if (context.signal.aborted) throw new Error("interrupted while warming the server's cache");
        await target.fetch(names[next++]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
    return target.serverTiming().xCache;
  };

  return {
    name,
    kind: 'http',
    target(concurrency): Target {
      const inner = httpTarget({
        baseUrl: server.baseUrl, route, connections: concurrency, name,
        ...(server.timeoutMs ? { timeoutMs: server.timeoutMs } : {}),
        // NEAR: a server with a near cache answered from its memory, a hit too (without Redis).
        ...(route === 'fast' ? { requireXCache: ['HIT', 'NEAR'] } : {}),
      });
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
          if (route === 'fast' && server.namespace !== undefined) {
            tier ??= await context.cache();
            before = await tier.stats();
          }
        },
        run: inner.run,
        teardown: inner.teardown!,
        measureStart: () => inner.resetServerTiming(),
      };
    },
    async findings(): Promise<RunFindings> {
      if (!current) return { notes: [], flags: [] };
      const timing = current.serverTiming();
      const findings: RunFindings = { serverTiming: serverTimingRecord(timing), notes: [], flags: [] };
      if (route === 'fast') await checkHits(timing.xCache, findings);
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

  /**
   * http-fast's hits, by the cache path's rule: every measured response a HIT, and (with a server
   * sharing the run's tier) the tier's keyspace_hits up by at least as many. One flag, one note.
   */
  async function checkHits(xCache: Record<string, number>, findings: RunFindings): Promise<void> {
    const answered = Object.values(xCache).reduce((total, count) => total + count, 0);
    const redisHits = xCache.HIT ?? 0;
    const hits = redisHits + (xCache.NEAR ?? 0);
    const nonHits = answered - hits;
    if (tier && before) {
      const scratch: RunFindings = { notes: [], flags: [] };
      // Redis counts the HITs it answered; a near hit never reaches it.
      verifyCacheOutcome('hits', tier.label, { gets: answered - (xCache.NEAR ?? 0), hits: redisHits, misses: nonHits }, before, await tier.stats(), scratch);
      findings.cacheCheck = scratch.cacheCheck!;
      if (nonHits === 0 && !scratch.cacheCheck!.verified) {
        findings.flags.push(...scratch.flags);
        findings.notes.push(...scratch.notes);
        return;
      }
    }
    if (nonHits === 0) return;
    // Notes and flags pair up by position: this note must come first.
    findings.flags.push('cache-hits-unverified');
    findings.notes.push(`cache hits not confirmed: X-Cache said ${describeCounts(xCache)} for ${answered} measured responses; ` +
      `the ${nonHits} that ${nonHits === 1 ? 'was' : 'were'} not a HIT ${nonHits === 1 ? 'is an error' : 'are errors'} of the path, ` +
      'kept out of its latency and Server-Timing figures (keys flushed, expired or evicted, or the cache was down; raise --ttl for long runs)');
  }
}

/** `HIT 950, MISS 50`. */
function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts).map(([status, count]) => `${status} ${count}`).join(', ') || 'nothing';
}
