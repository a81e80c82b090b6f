/**
 * Server layer: `GET /report/fast`, the "after" shape: a pool behind the Redis cache-aside layer
 * with single-flight. When the cache fails the route answers from the database (X-Cache: BYPASS)
 * rather than fail.
 */
import type pg from 'pg';
import { ReportCache } from '../../cache/report-cache.js';
import type { CacheTier } from '../../cache/tier.js';
import type { Breaker } from '../../db/availability.js';
import { runWorkload } from '../../db/report.js';
import { firstLine } from '../../errors.js';
import type { Workload } from '../../workload/workload.js';
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
}

/** The fast route's handler, and whether its cache answered last time (for `/metrics`). */
export interface FastRoute {
  handle: CategoryHandler;
  readonly cacheUp: boolean;
}

export function fastRoute(deps: FastDeps): FastRoute {
  const { workload, breaker, metrics, log } = deps;
  let cacheUp = true;
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
    onCacheHealth: (healthy, error) => {
      cacheUp = healthy;
      log(healthy
        ? `cache (${deps.cache.label}) is back: /report/fast uses it again`
        : `cache (${deps.cache.label}) unavailable (${firstLine(error?.message ?? 'unknown error')}): /report/fast answers from the database with X-Cache: BYPASS until it returns`);
    },
  });

  const handle: CategoryHandler = async (res, category, startedMs) => {
    const outcome = await reports.get(category);
    metrics.cache[outcome.status]++;
    deps.replies.report(res, outcome.body, outcome.status, { queue: 0, cache: outcome.cacheMs, db: outcome.dbMs, total: performance.now() - startedMs });
  };
  return {
    handle,
    get cacheUp() {
      return cacheUp;
    },
  };
}
