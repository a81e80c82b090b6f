/**
 * Server layer: `GET /report/fast`, the "after" shape: a pool behind the Redis cache-aside layer
 * with single-flight, and (when the server has one) a near cache in front of Redis that answers hot
 * reports from memory (X-Cache: NEAR; near-reports.ts). When the cache fails the route answers from
 * the database (X-Cache: BYPASS) rather than fail. The route owns the cache's health
 * (cache-health.ts): every GET and SET it makes feeds it, and `/healthz` and `/metrics` read it.
 * With a near cache every answer carries an entity tag, and a client that holds it gets a 304.
 */
import type { ServerResponse } from 'node:http';
import type pg from 'pg';
import type { NearFill } from '../../cache/near-cache.js';
import { ReportCache } from '../../cache/report-cache.js';
import type { CacheTier } from '../../cache/tier.js';
import type { Breaker } from '../../db/availability.js';
import { runWorkload } from '../../db/report.js';
import type { Workload } from '../../workload/workload.js';
import { CacheHealth } from '../cache-health.js';
import type { ServerMetrics } from '../metrics.js';
import { entityTag } from '../representation.js';
import { sendReport, type NearReports } from '../near-reports.js';
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
  /** The near cache in front of Redis; none: every report is read from Redis. */
  near?: NearReports;
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

  const near = deps.near;
  if (!near) {
    // Without a near cache, as before it: every hit read from Redis, no entity tag (hashing each
    // answer would cost a hit more than its lookup saves on a revalidation).
    const handle: CategoryHandler = async (res, category, startedMs) => {
      const outcome = await reports.get(category);
      metrics.cache[outcome.status]++;
      deps.replies.report(res, outcome.body, outcome.status, { queue: 0, cache: outcome.cacheMs, db: outcome.dbMs, total: performance.now() - startedMs });
    };
    return { handle, cacheHealth };
  }
  /** Redis (and on a miss the database), then the answer; `fill` takes a Redis HIT into the near cache. */
  const fromCache = async (res: ServerResponse, category: string, startedMs: number, fill: NearFill | undefined): Promise<void> => {
    const outcome = await reports.get(category);
    metrics.cache[outcome.status]++;
    // The tag a near hit will carry: a client that revalidates later gets its 304 from memory.
    const etag = entityTag(outcome.body);
    near.settle(fill, outcome.status, outcome.body, etag);
    sendReport(deps.replies, res, outcome.body, outcome.status, { queue: 0, cache: outcome.cacheMs, db: outcome.dbMs, total: performance.now() - startedMs }, etag);
  };
  const handle: CategoryHandler = (res, category, startedMs) => {
    const key = near.keyOf(category);
    // A near hit answers here, synchronously: no Redis, no promise.
    if (near.serve(res, key, startedMs)) {
      metrics.cache.NEAR++;
      return;
    }
    // Begun before the GET is sent, so an invalidation that overtakes its reply voids the fill.
    return fromCache(res, category, startedMs, near.begin(key));
  };
  return { handle, cacheHealth };
}
