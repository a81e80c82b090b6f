/**
 * Server layer: `GET /healthz`. Probes the database and the cache, each bounded, and answers 503
 * only when the database is down: a failing cache degrades the fast route but does not stop it.
 *
 * The cache probe does what the fast route does, a GET and then a SET (of a small key of its own
 * with a short TTL): a Redis that answers reads but refuses writes (maxmemory with noeviction)
 * serves hits but not the caching of misses, so it is `read-only` and the status `degraded`, not
 * `ok`. The probe feeds the fast route's cache health, so `/healthz`, `/metrics` and the log tell
 * one story.
 */
import type pg from 'pg';
import { KEY_PREFIX } from '../../cache/report-cache.js';
import type { CacheTier } from '../../cache/tier.js';
import { firstLine } from '../../errors.js';
import { withTimeout } from '../../timeout.js';
import type { CacheHealth } from '../cache-health.js';
import { JSON_TYPE, type Replies } from '../replies.js';
import type { RouteHandler } from '../pipeline.js';

export interface HealthDeps {
  pool: pg.Pool;
  cache: CacheTier;
  /** The fast route's cache health: the probe feeds it, the answer reports it. */
  cacheHealth: CacheHealth;
  /** Bound on each probe. */
  timeoutMs: number;
  replies: Replies;
}

/** The probe's own key; it expires by itself. */
export const PROBE_KEY = `${KEY_PREFIX}healthz`;
const PROBE_TTL_SECONDS = 10;

/** One probe's outcome, as `/healthz` shows it. */
export interface ProbeResult {
  up: boolean;
  ms: number;
  error?: string;
}

export function healthRoute(deps: HealthDeps): RouteHandler {
  return async (res) => {
    const [database, cache] = await Promise.all([
      probe(() => deps.pool.query('SELECT 1'), deps.timeoutMs),
      probeCache(deps),
    ]);
    const health = deps.cacheHealth.snapshot();
    const status = !database.up ? 'down' : health.state === 'up' ? 'ok' : 'degraded';
    const body = {
      status,
      database,
      cache: { up: health.state === 'up', ...health, ms: cache.ms, tier: deps.cache.label, read: cache.read, ...(cache.write ? { write: cache.write } : {}) },
    };
    // A failing Redis degrades the fast route but does not stop it: still 200.
    deps.replies.send(res, database.up ? 200 : 503, `${JSON.stringify(body)}\n`, { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store' });
  };
}

/** GET, then (when the GET answered) SET, as the fast route does; both outcomes feed the cache health. */
async function probeCache(deps: HealthDeps): Promise<{ ms: number; read: ProbeResult; write?: ProbeResult }> {
  const read = await probe(() => deps.cache.get(PROBE_KEY), deps.timeoutMs);
  deps.cacheHealth.read(read.up, read.error);
  if (!read.up) return { ms: read.ms, read };
  const write = await probe(() => deps.cache.set(PROBE_KEY, String(Date.now()), PROBE_TTL_SECONDS), deps.timeoutMs);
  deps.cacheHealth.write(write.up, write.error);
  return { ms: round(read.ms + write.ms), read, write };
}

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  try {
    await withTimeout(check(), timeoutMs);
    return { up: true, ms: round(performance.now() - started) };
  } catch (error) {
    return { up: false, ms: round(performance.now() - started), error: firstLine((error as Error)?.message ?? String(error)) };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
