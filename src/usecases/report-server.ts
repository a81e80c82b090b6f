/**
 * Use case: start the report server. `startServe` checks the workload, opens the pool and the
 * cache, and listens (for `serve`, `bench --http` and the HTTP benchmark); `serve` runs it until
 * Ctrl-C and returns what it answered.
 */
import { keyNamespace } from '../cache/report-cache.js';
import { columnValues, forbidIndexScans } from '../db/bench-queries.js';
import { connectClient } from '../db/connection.js';
import { datasetVersion, readDataset } from '../db/products.js';
import { UserError, usageError } from '../errors.js';
import { categoryName } from '../measure/random.js';
import { describeStart, describeSummary, type ServeSummary } from '../report/serve-text.js';
import type { Runtime } from '../runtime.js';
import { createReportServer, type ReportServer, type ServerLimits } from '../server/server.js';
import type { Identifier } from '../workload/identifiers.js';
import { REPORT_DEFAULTS } from '../workload/report.js';
import type { Workload } from '../workload/workload.js';
import { openWorkload } from './workload.js';

/** Connections in the fast route's pool, for `serve` and the server `bench --http` starts. */
export const DEFAULT_POOL_SIZE = 10;

/** `serve`'s near cache bound: ~500 reports of the default dataset's ~120 kB, with their encodings. */
export const DEFAULT_NEAR_CACHE_MB = 64;

export interface ServeOptions {
  port: number;
  host: string;
  table: Identifier;
  column: Identifier;
  ttlSeconds: number;
  /** Connections in the fast route's pool. */
  poolSize: number;
  limits?: Partial<ServerLimits>;
  /**
   * The cache-key namespace; default the dataset version, table and column. `bench --http` gives
   * one of its own run, so the keys the server writes are exactly the ones the run removes.
   */
  namespace?: string;
  /**
   * The bound on /report/fast's near cache (hot reports in memory, kept coherent by Redis's
   * invalidations), bytes; 0 or absent: none, every hit is read from Redis (`bench --http`'s
   * server, whose http-fast path times Redis hits).
   */
  nearCacheBytes?: number;
  /**
   * The slow route's connection forbids index scans (planner settings, no DDL), so the route shows
   * the "before" state even while an index exists (`bench --http`, whose index path creates one).
   */
  slowWithoutIndex?: boolean;
}

/** A server started by `startServe`; the runtime's close() stops it too (before the pools). */
export interface RunningServe {
  server: ReportServer;
  url: string;
  host: string;
  port: number;
  /** The cache tier's label, e.g. "redis 7.0.15". */
  cacheLabel: string;
  /** The cache-key namespace (dataset version, table, column). */
  namespace: string;
  /** A category that exists in a table perfbench seeded, for examples; undefined otherwise. */
  exampleCategory: string | undefined;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

/**
 * Checks the table, opens the pool and the cache, and starts listening. Used by `serve` and by
 * anything that wants the server in-process (`bench --http` without a URL, the HTTP benchmark).
 */
export async function startServe(runtime: Runtime, options: ServeOptions): Promise<RunningServe> {
  const target = await runtime.database();
  const pool = await runtime.pool(options.poolSize);
  const checker = await pool.connect();
  let workload: Workload;
  let exampleCategory: string | undefined;
  try {
    workload = await openWorkload(checker, { table: options.table, column: options.column });
    const seeded = await readDataset(checker, workload.filter.table);
    // A value the table really holds, so the printed curl lines answer with rows.
    exampleCategory = seeded && options.column.name === REPORT_DEFAULTS.column
      ? categoryName(0, seeded.parameters.categories)
      : (await columnValues(checker, workload.filter, 1))[0];
  } finally {
    checker.release();
  }
  const namespace = options.namespace ?? keyNamespace(await datasetVersion(pool, workload.filter.table), options.table.text, options.column.text);
  // Redis down at start degrades the fast route (BYPASS) rather than stopping the server.
  const cache = await runtime.cacheOrDegraded();

  const server = createReportServer({
    workload,
    pool,
    connectSlow: async () => {
      const client = await connectClient(target, runtime.config.connectTimeoutMs);
      if (options.slowWithoutIndex) {
        try {
          await forbidIndexScans(client);
        } catch (error) {
          await client.end().catch(() => undefined);
          throw error;
        }
      }
      return client;
    },
    cache,
    namespace,
    ttlSeconds: options.ttlSeconds,
    log: (line) => runtime.out.warn(line),
    limits: options.limits,
    ...(exampleCategory === undefined ? {} : { exampleValue: exampleCategory }),
    ...(options.nearCacheBytes ? { nearCacheBytes: options.nearCacheBytes } : {}),
  });
  // Deferred after the pool and the cache: runs before they close (cleanups run newest first).
  runtime.defer(() => server.close());
  try {
    const bound = await server.listen(options.port, options.host);
    return { server, ...bound, cacheLabel: cache.label, namespace, exampleCategory };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${options.host}:${options.port}`;
    if (code === 'EADDRINUSE') throw new UserError(`cannot listen on ${where}: the port is in use`, 'choose another --port (--port 0 picks a free one)');
    if (code === 'EACCES') throw new UserError(`cannot listen on ${where}: permission denied`, 'ports below 1024 need privileges; choose --port 1024 or above');
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw usageError(`cannot listen on ${where}: no such local address`, 'pass --host with an address of this machine, e.g. 127.0.0.1');
    }
    throw error;
  }
}

/** Serves until the runtime's signal (Ctrl-C, SIGTERM) fires, then drains and returns a summary. */
export async function serve(runtime: Runtime, options: ServeOptions): Promise<ServeSummary> {
  if (!isLoopback(options.host)) {
    runtime.out.warn(`--host ${options.host} is not a loopback address: the report, /healthz and /metrics are reachable from the network, without authentication`);
  }
  const running = await startServe(runtime, options);
  for (const line of describeStart(running, options)) runtime.out.say(line);
  if (!runtime.signal.aborted) {
    await new Promise<void>((resolve) => runtime.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  runtime.out.say('draining in-flight requests…');
  await running.server.close();
  const metrics = running.server.metrics;
  const slow = metrics.requestCount('/report/slow');
  const fast = metrics.requestCount('/report/fast');
  const summary: ServeSummary = {
    url: running.url,
    requests: (['/report/slow', '/report/fast', '/healthz', '/metrics', 'other'] as const).reduce((sum, route) => sum + metrics.requestCount(route), 0),
    slow,
    fast,
    cache: { near: metrics.cache.NEAR, hits: metrics.cache.HIT, misses: metrics.cache.MISS, bypasses: metrics.cache.BYPASS },
  };
  runtime.out.say(describeSummary(summary));
  return summary;
}

