/**
 * Server layer: `GET /report/fast`, the "after" shape: a pool behind the Redis cache-aside layer
 * with single-flight. When the cache fails the route answers from the database (X-Cache: BYPASS)
 * rather than fail. The route owns the cache's health (cache-health.ts): every GET and SET it makes
 * feeds it, and `/healthz` and `/metrics` read it.
 */
import type pg from 'pg';
import { ReportCache } from '../../cache/report-cache.js';
import type { CacheTier } from '../../cache/tier.js';
import type { Breaker } from '../../db/availability.js';
import { runWorkload } from '../../db/report.js';
import type { Workload } from '../../workload/workload.js';
import { CacheHealth } from '../cache-health.js';
import type { ServerMetrics } from '../metrics.js';
import type { CategoryHandler } from '../pipeline.js';
import type { Replies } from '../replies.js';

export interface FastDeps {
  workload: Workload;
  pool: pg.Pool;
  cache: CacheTier;
  /** Dataset version plus table and column: the version part of every cache key. */
  namespace: string;
  ttlSeconds: number;
  breaker: Breaker;
  metrics: ServerMetrics;
  replies: Replies;
  log: (line: string) => void;
  /** At most one cache state line per this many ms. */
  cacheLogIntervalMs: number;
}

/** The fast route's handler, and the health of its cache (for `/healthz` and `/metrics`). */
export interface FastRoute {
  handle: CategoryHandler;
  readonly cacheHealth: CacheHealth;
}

export function fastRoute(deps: FastDeps): FastRoute {
  const { workload, breaker, metrics, log } = deps;
  const cacheHealth = new CacheHealth({ label: deps.cache.label, log, logIntervalMs: deps.cacheLogIntervalMs });
  const reports = new ReportCache({
    tier: deps.cache,
    namespace: deps.namespace,
    ttlSeconds: deps.ttlSeconds,
    load: async (category) => {
      breaker.check();
      metrics.queries.fast++;
      try {
        const result = await runWorkload(deps.pool, workload, category);
        breaker.success();
        return workload.body(category, result.rows);
      } catch (error) {
        breaker.failure(error);
        throw error;
      }
    },
    onCacheEvent: (operation, ok, error) => (operation === 'get' ? cacheHealth.read(ok, error) : cacheHealth.write(ok, error)),
  });

  const handle: CategoryHandler = async (res, category, startedMs) => {
    const outcome = await reports.get(category);
    metrics.cache[outcome.status]++;
    deps.replies.report(res, outcome.body, outcome.status, { queue: 0, cache: outcome.cacheMs, db: outcome.dbMs, total: performance.now() - startedMs });
  };
  return { handle, cacheHealth };
}
