/**
 * Targets: `near`: a near-cache hit, as `perfbench serve` answers a hot report: the body from this
 * process's memory (cache/near-cache.ts), kept coherent by Redis's own invalidations (CLIENT
 * TRACKING, cache/tracking.ts), then the JSON decode the cache path does too, so `near` and `cache`
 * differ by the Redis round trip alone.
 *
 * Setup fills Redis like the cache path (the run's key namespace and TTL), waits until the fill's
 * own invalidations have arrived (which proves the channel works), then reads every report through
 * the near cache. The hits are verified, not assumed: every lookup must find its report (a miss is an
 * error of the path, never a silent Redis read), coherence must not have been lost during the run,
 * and after it a write under perfbench's prefix must still be told within a bound. Redis's
 * keyspace_hits over the run are recorded next to them: near hits do not reach Redis.
 */
import { ENTRY_OVERHEAD_BYTES, NearCache, nearListener, readThrough, type NearCacheStats } from '../cache/near-cache.js';
import { KEY_PREFIX, reportKey } from '../cache/report-cache.js';
import type { CacheStats, CacheTier, Tracking } from '../cache/tier.js';
import type { Operation, Target } from '../measure/target.js';
import { fillReports } from './cache-fill.js';
import { cacheReadPath, type CacheReadOptions } from './cache-read-path.js';
import type { BenchPath, PathContext, PathDefinition, RunFindings } from './path.js';

export interface NearHitOptions extends CacheReadOptions {
  /** How long setup waits for tracking, and a check for an invalidation (default 5 s). */
  timeoutMs?: number;
}

export function nearHitPath(options: NearHitOptions = {}): PathDefinition {
  return cacheReadPath(
    options, 'near',
    () => 'a near-cache hit: the report from process memory, kept coherent by Redis invalidations (CLIENT TRACKING), and JSON decode; '
      + 'opt-in (--paths …,near), needs Redis',
    (context, name, decode) => createNearHit(context, name, decode, options.timeoutMs ?? 5_000),
  );
}

function createNearHit(context: PathContext, name: string, decode: boolean, timeoutMs: number): BenchPath {
  const keys = new Map(context.sequence.names.map((category) => [category, reportKey(context.keyNamespace, category)]));
  let tier: CacheTier | undefined;
  let near: NearCache<Buffer> | undefined;
  let tracking: Tracking | undefined;
  let filled = false;
  let nearBefore: NearCacheStats | undefined;
  let redisBefore: CacheStats = { hits: 0, misses: 0 };
  const seen = { gets: 0, hits: 0, misses: 0 };

  const run = async (op: Operation): Promise<void> => {
    const key = keys.get(op.category)!;
    seen.gets++;
    const body = near!.get(key);
    if (body === undefined) {
      seen.misses++;
      throw new Error(`near-cache miss on the near path: ${key} was invalidated (written, expired or evicted in Redis) or the near cache was dropped (a connection to Redis dropped)`);
    }
    seen.hits++;
    if (decode) JSON.parse(body.toString('utf8'));
  };

  /** Tracking on, Redis filled, its invalidations arrived, and every report read into the near cache. */
  const prepare = async (): Promise<void> => {
    tier ??= await context.cache();
    if (!tier.track) throw new Error(`the near path needs Redis: the ${tier.label} tier sends no invalidations (set REDIS_URL, or install redis-server)`);
    if (!filled) {
      const bytes = await fillReports(context, tier, keys);
      filled = true;
      // Room for every report of the run, with its key and overhead, twice over.
      const maxBytes = 2 * (bytes + keys.size * (ENTRY_OVERHEAD_BYTES + 256));
      near = new NearCache<Buffer>({ maxBytes, sizeOf: (value) => value.length });
      tracking = tier.track(KEY_PREFIX, nearListener(near));
    }
    await waitForTracking(tracking!, timeoutMs, context.signal);
    // The fill's own SETs send invalidations: once the sync's has arrived, so have they, and they
    // can no longer void the reads below.
    await tracking!.sync(timeoutMs);
    for (const [category, key] of keys) {
      if (context.signal.aborted) throw new Error('interrupted while filling the near cache');
      if (near!.has(key)) continue;
      const { value } = await readThrough(near!, tier, key);
      if (value === null) throw new Error(`the report of ${category} is not in Redis (${key}): expired or evicted (raise --ttl for long runs)`);
      if (!near!.has(key)) throw new Error(`the report of ${category} was invalidated while it was read into the near cache: is another client writing perfbench's keys?`);
    }
  };

  return {
    name,
    kind: 'cache',
    target(): Target {
      return {
        name,
        kind: 'cache',
        async setup() {
          await prepare();
          seen.gets = seen.hits = seen.misses = 0;
          nearBefore = near!.stats();
          redisBefore = await tier!.stats();
        },
        run,
      };
    },
    async findings(): Promise<RunFindings> {
      const findings: RunFindings = { notes: [], flags: [] };
      if (!tier || !near || !tracking || !nearBefore) return findings;
      const nearAfter = near.stats();
      const redisAfter = await tier.stats();
      const problems: string[] = [];
      if (seen.misses > 0) problems.push(`${seen.misses} of ${seen.gets} lookups missed`);
      if (nearAfter.drops > nearBefore.drops) problems.push('the near cache was dropped during the run (a connection to Redis dropped)');
      try {
        await tracking.sync(timeoutMs);
      } catch (error) {
        problems.push(`after the run, a write under ${KEY_PREFIX} was not told: ${(error as Error).message}`);
      }
      const verified = problems.length === 0;
      findings.cacheCheck = {
        tier: `near cache over ${tier.label}`, ...seen,
        serverHits: redisAfter.hits - redisBefore.hits, serverMisses: redisAfter.misses - redisBefore.misses, verified,
      };
      if (!verified) {
        findings.flags.push('cache-hits-unverified');
        findings.notes.push(`near-cache hits not confirmed: ${problems.join('; ')}`);
      }
      return findings;
    },
    close: async () => {
      await tracking?.close();
      near?.disable();
    },
  };
}

/** Polls until invalidations arrive (tracking set up on both connections), or fails after `timeoutMs`. */
async function waitForTracking(tracking: Tracking, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!tracking.active) {
    if (signal.aborted) throw new Error('interrupted while waiting for Redis invalidations');
    if (performance.now() > deadline) throw new Error(`Redis did not turn invalidations on (CLIENT TRACKING) within ${timeoutMs} ms: the near path needs Redis 6 or later`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
