/**
 * Server layer: `GET /healthz`. Probes the database and the cache, each bounded, and answers 503
 * only when the database is down: a failing cache degrades the fast route but does not stop it.
 */
import type pg from 'pg';
import { KEY_PREFIX } from '../../cache/report-cache.js';
import type { CacheTier } from '../../cache/tier.js';
import { firstLine } from '../../errors.js';
import { withTimeout } from '../../timeout.js';
import { JSON_TYPE, type Replies } from '../replies.js';
import type { RouteHandler } from '../pipeline.js';

export interface HealthDeps {
  pool: pg.Pool;
  cache: CacheTier;
  /** Bound on each probe. */
  timeoutMs: number;
  replies: Replies;
}

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
      probe(() => deps.cache.get(`${KEY_PREFIX}healthz`), deps.timeoutMs),
    ]);
    const status = !database.up ? 'down' : cache.up ? 'ok' : 'degraded';
    const body = { status, database, cache: { ...cache, tier: deps.cache.label } };
    // A failing Redis degrades the fast route but does not stop it: still 200.
    deps.replies.send(res, database.up ? 200 : 503, `${JSON.stringify(body)}\n`, { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store' });
  };
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
