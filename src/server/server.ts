/**
 * Server layer: `perfbench serve`'s HTTP mode: the report as an API, in its "before" shape
 * (`/report/slow`: one dedicated connection used serially, no cache) and its "after" shape
 * (`/report/fast`: a pool behind the Redis cache-aside layer with single-flight), so the whole path
 * can be timed end to end.
 *
 * node:http only, and nothing of the CLI: the pools, the cache tier and the slow route's connection
 * factory are injected, so tests build the server directly. This file only composes: the request
 * pipeline (pipeline.ts) around one handler per route (routes/). The pure parts (request checks,
 * Server-Timing, Prometheus rendering) live in their own files for unit tests.
 */
import type { Server } from 'node:http';
import type pg from 'pg';
import { KEY_PREFIX, reportKey } from '../cache/report-cache.js';
import type { CacheTier } from '../cache/tier.js';
import { Breaker } from '../db/availability.js';
import { DedicatedConnection } from '../db/dedicated-connection.js';
import { firstLine } from '../errors.js';
import type { Workload } from '../workload/workload.js';
import { drain, listen, type BoundAddress } from './lifecycle.js';
import { DEFAULT_LIMITS, type ServerLimits } from './limits.js';
import { ServerMetrics } from './metrics.js';
import { NearReports } from './near-reports.js';
import { categoryRoute, createPipeline } from './pipeline.js';
import { Replies } from './replies.js';
import { fastRoute } from './routes/fast.js';
import { healthRoute } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';
import { slowRoute } from './routes/slow.js';

// The server's limits are part of its contract (ReportServerDeps.limits): importers find them here too.
export { DEFAULT_LIMITS, type ServerLimits } from './limits.js';

/** What both servers (the report's and a workload's) serve from: a slow and a fast route's backends. */
export interface RouteBackends {
  /** The fast route's pool (and `/healthz`'s probe). Owned by the caller. */
  pool: pg.Pool;
  /** Opens the slow route's dedicated connection; called again after it dies. */
  connectSlow: () => Promise<pg.Client>;
  /** The fast route's cache tier. Owned by the caller. */
  cache: CacheTier;
  /** The version part of every cache key: the dataset's version, plus the table and column or the script. */
  namespace: string;
  ttlSeconds: number;
  /**
   * One line per notable event (cache or database down/back; the report server's cache lines at
   * most one per `limits.cacheLogIntervalMs`); default: nowhere.
   */
  log?: (line: string) => void;
}

/** What the server needs, injected. It closes only what it opened itself (the slow connection). */
export interface ReportServerDeps extends RouteBackends {
  /** What the report routes run and serve. */
  workload: Workload;
  limits?: Partial<ServerLimits>;
  /** A value the table holds, for the hint of a 400 (default `cat-001`, the seeded dataset's). */
  exampleValue?: string;
  /**
   * The bound on the fast route's near cache (hot reports in this process's memory, kept coherent
   * by Redis's invalidations), bytes; 0 or absent: no near cache.
   */
  nearCacheBytes?: number;
}

/** A running (or ready to run) report server. */
export interface ReportServer {
  readonly server: Server;
  readonly metrics: ServerMetrics;
  /** The fast route's near cache, when the server has one. */
  readonly near: NearReports | undefined;
  /** Binds; resolves with the bound address (port 0 picks a free one). */
  listen(port: number, host: string): Promise<BoundAddress>;
  /**
   * Graceful stop: no new connections, idle keep-alive connections closed, in-flight requests
   * answered (with `Connection: close`), then the slow connection ended. Connections still busy
   * after `drainTimeoutMs` are cut. Idempotent.
   */
  close(): Promise<void>;
}

export function createReportServer(deps: ReportServerDeps): ReportServer {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const log = deps.log ?? (() => undefined);
  const metrics = new ServerMetrics();
  const replies = new Replies();
  // One breaker for both report routes: they share the database, so they share its availability.
  const breaker = databaseBreaker(limits.databaseRetryMs, log);
  const connection = new DedicatedConnection(deps.connectSlow);
  const near = deps.nearCacheBytes
    ? new NearReports({ cache: deps.cache, key: (category) => reportKey(deps.namespace, category), maxBytes: deps.nearCacheBytes, prefix: KEY_PREFIX, replies, log })
    : undefined;
  const fast = fastRoute({
    workload: deps.workload, pool: deps.pool, cache: deps.cache, namespace: deps.namespace, ttlSeconds: deps.ttlSeconds,
    breaker, metrics, replies, log, cacheLogIntervalMs: limits.cacheLogIntervalMs, ...(near ? { near } : {}),
  });
  const pipeline = createPipeline({
    limits, metrics, replies,
    routes: {
      '/healthz': healthRoute({ pool: deps.pool, cache: deps.cache, cacheHealth: fast.cacheHealth, timeoutMs: limits.healthTimeoutMs, replies }),
      '/metrics': metricsRoute({
        metrics, replies,
        gauges: () => ({
          inFlight: pipeline.inFlight, slowQueueDepth: connection.depth, databaseUp: breaker.up, cacheUp: fast.cacheHealth.state === 'up',
          ...(near ? { near: near.stats() } : {}),
        }),
      }),
      '/report/slow': categoryRoute(replies, limits.maxCategoryLength, slowRoute({ workload: deps.workload, connection, breaker, metrics, replies }), deps.exampleValue),
      '/report/fast': categoryRoute(replies, limits.maxCategoryLength, fast.handle, deps.exampleValue),
    },
  });

  let closing: Promise<void> | undefined;
  return {
    server: pipeline.server,
    metrics,
    near,
    listen: (port, host) => listen(pipeline.server, port, host, log),
    close() {
      closing ??= (async () => {
        replies.draining = true;
        await drain(pipeline.server, limits.drainTimeoutMs);
        await connection.close();
        await near?.close();
        // A cache state change the log window still held back is told now, not lost.
        fast.cacheHealth.close();
      })();
      return closing;
    },
  };
}

/** Logs each change of the database's availability once, not once per failed request. */
function databaseBreaker(retryMs: number, log: (line: string) => void): Breaker {
  return new Breaker(retryMs, undefined, (up, error) => {
    log(up
      ? 'database is back: serving reports again'
      : `database unavailable (${firstLine((error as Error)?.message ?? String(error))}): answering 503 until it returns`);
  });
}
