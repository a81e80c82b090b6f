/**
 * `perfbench serve`'s HTTP mode: the report as an API, in its "before" shape (`/report/slow`: one
 * dedicated connection used serially, no cache) and its "after" shape (`/report/fast`: a pool
 * behind the Redis cache-aside layer with single-flight), so the whole path can be timed end to end.
 *
 * node:http only, and nothing of the CLI: the pools, the cache tier and the slow route's connection
 * factory are injected, so tests build the server directly. Pure parts (category validation,
 * Server-Timing, Prometheus rendering, the breaker) are exported for unit tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type pg from 'pg';
import { KEY_PREFIX, ReportCache, type CacheStatus } from '../cache/report-cache.js';
import type { CacheTier } from '../cache/tier.js';
import { runWorkload } from '../db/report.js';
import type { Workload } from '../workload/workload.js';
import { firstLine, isPostgresError } from '../errors.js';
import { withTimeout } from '../timeout.js';
import { Breaker, DatabaseUnavailable, isUnavailable } from '../db/availability.js';
import { DedicatedConnection } from '../db/dedicated-connection.js';
import { ServerMetrics, type Route } from './metrics.js';

// ---------------------------------------------------------------------------------------------
// Limits

/** Bounds on what a client can make the server hold. Every one is configurable for tests. */
export interface ServerLimits {
  /** Time to receive a request's headers (slowloris); answered with 408. */
  headersTimeoutMs: number;
  /** Time to receive a whole request. Must be >= headersTimeoutMs (node:http insists). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** How often node:http checks the two timeouts above. */
  connectionsCheckingIntervalMs: number;
  /** Request line plus headers; beyond it node:http's parser stops and we answer 431. */
  maxHeaderBytes: number;
  /** The request target (path and query); beyond it, 414. */
  maxUrlBytes: number;
  /** Longest accepted category, in characters. */
  maxCategoryLength: number;
  /** On close, how long in-flight requests may take before their connections are cut. */
  drainTimeoutMs: number;
  /** Bound on each `/healthz` probe. */
  healthTimeoutMs: number;
  /** After the database looked unavailable, answer 503 at once for this long before trying again. */
  databaseRetryMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  connectionsCheckingIntervalMs: 1_000,
  maxHeaderBytes: 16_384,
  maxUrlBytes: 2_048,
  maxCategoryLength: 128,
  drainTimeoutMs: 10_000,
  healthTimeoutMs: 1_000,
  databaseRetryMs: 1_000,
};

// ---------------------------------------------------------------------------------------------
// Category validation

export type CategoryCheck = { ok: true; category: string } | { ok: false; message: string };

// Control characters, U+FFFD (what URLSearchParams makes of bad percent-encoding) and lone surrogates.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\ufffd]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Validates the query string (without the `?`) of a report request: exactly one printable, bounded `category`. */
export function parseCategory(query: string, maxLength = DEFAULT_LIMITS.maxCategoryLength): CategoryCheck {
  const values = new URLSearchParams(query).getAll('category');
  if (values.length === 0) return { ok: false, message: "missing query parameter 'category' (e.g. ?category=cat-001)" };
  if (values.length > 1) return { ok: false, message: "give the query parameter 'category' once" };
  const category = values[0]!;
  if (category.length === 0) return { ok: false, message: "query parameter 'category' is empty" };
  if (category.length > maxLength) return { ok: false, message: `query parameter 'category' is longer than ${maxLength} characters` };
  if (UNPRINTABLE.test(category)) return { ok: false, message: "query parameter 'category' must be printable UTF-8 text" };
  return { ok: true, category };
}

// ---------------------------------------------------------------------------------------------
// Server-Timing

/** The Server-Timing fields a report response carries, in milliseconds. */
export interface TimingBreakdown {
  /** Waiting for the slow route's dedicated connection (0 on the fast route). */
  queue: number;
  cache: number;
  db: number;
  total: number;
}

/** `queue;dur=0.000, cache;dur=0.312, db;dur=0.000, total;dur=0.401` (W3C Server Timing). */
export function serverTimingHeader(timing: TimingBreakdown): string {
  return `queue;dur=${timing.queue.toFixed(3)}, cache;dur=${timing.cache.toFixed(3)}, db;dur=${timing.db.toFixed(3)}, total;dur=${timing.total.toFixed(3)}`;
}

// ---------------------------------------------------------------------------------------------
// The server

/** What the server needs, injected. It closes only what it opened itself (the slow connection). */
export interface ReportServerDeps {
  /** What the report routes run and serve. */
  workload: Workload;
  /** The fast route's pool (and `/healthz`'s probe). Owned by the caller. */
  pool: pg.Pool;
  /** Opens the slow route's dedicated connection; called again after it dies. */
  connectSlow: () => Promise<pg.Client>;
  /** The fast route's cache tier. Owned by the caller. */
  cache: CacheTier;
  /** Dataset version plus table and column: the version part of every cache key. */
  namespace: string;
  ttlSeconds: number;
  /** One line per notable event (cache or database down/back); default: nowhere. */
  log?: (line: string) => void;
  limits?: Partial<ServerLimits>;
}

/** A running (or ready to run) report server. */
export interface ReportServer {
  readonly server: Server;
  readonly metrics: ServerMetrics;
  /** Binds; resolves with the bound address (port 0 picks a free one). */
  listen(port: number, host: string): Promise<{ host: string; port: number; url: string }>;
  /**
   * Graceful stop: no new connections, idle keep-alive connections closed, in-flight requests
   * answered (with `Connection: close`), then the slow connection ended. Connections still busy
   * after `drainTimeoutMs` are cut. Idempotent.
   */
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const ALLOW = 'GET, HEAD';

export function createReportServer(deps: ReportServerDeps): ReportServer {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const log = deps.log ?? (() => undefined);
  const metrics = new ServerMetrics();
  let inFlight = 0;
  let draining = false;
  let cacheUp = true;

  const breaker = new Breaker(limits.databaseRetryMs, undefined, (up, error) => {
    log(up
      ? 'database is back: serving reports again'
      : `database unavailable (${firstLine((error as Error)?.message ?? String(error))}): answering 503 until it returns`);
  });

  const slow = new DedicatedConnection(deps.connectSlow);

  const reports = new ReportCache({
    tier: deps.cache,
    namespace: deps.namespace,
    ttlSeconds: deps.ttlSeconds,
    load: async (category) => {
      breaker.check();
      metrics.queries.fast++;
      try {
        const result = await runWorkload(deps.pool, deps.workload, category);
        breaker.success();
        return deps.workload.body(category, result.rows);
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

  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
    maxHeaderSize: limits.maxHeaderBytes,
    noDelay: true,
  });

  // --- responses

  const send = (res: ServerResponse, status: number, body: Buffer | string, headers: Record<string, string | number>) => {
    if (res.headersSent || res.destroyed) return;
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    if (draining) res.shouldKeepAlive = false;
    res.writeHead(status, { ...headers, 'Content-Length': payload.length });
    res.end(payload);
  };

  const sendError = (res: ServerResponse, status: number, message: string, extra: Record<string, string | number> = {}) => {
    send(res, status, `${JSON.stringify({ error: message, status })}\n`, { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store', ...extra });
  };

  const sendReport = (res: ServerResponse, body: Buffer, cache: CacheStatus, timing: TimingBreakdown) => {
    send(res, 200, body, {
      'Content-Type': JSON_TYPE,
      'Cache-Control': 'no-store',
      'X-Cache': cache,
      'Server-Timing': serverTimingHeader(timing),
    });
  };

  const sendFailure = (res: ServerResponse, error: unknown) => {
    if (error instanceof DatabaseUnavailable || isUnavailable(error)) {
      const message = error instanceof DatabaseUnavailable ? error.message : `database unavailable: ${firstLine((error as Error)?.message ?? String(error))}`;
      sendError(res, 503, message, { 'Retry-After': 1 });
      return;
    }
    const detail = isPostgresError(error) ? `PostgreSQL error ${error.code}: ${firstLine(error.message)}` : 'internal error';
    sendError(res, 500, `report failed: ${detail}`);
  };

  // --- routes

  const slowReport = async (res: ServerResponse, category: string, startedMs: number) => {
    breaker.check();
    let outcome: { body: Buffer; queueMs: number; dbMs: number };
    try {
      // The breaker is consulted again when the request's turn comes, and fed by connect failures
      // as well as query failures: a database that hangs costs one request the connect timeout.
      outcome = await slow.run(async (client, waitedMs) => {
        const dbStarted = performance.now();
        metrics.queries.slow++;
        const result = await runWorkload(client, deps.workload, category);
        return { body: deps.workload.body(category, result.rows), queueMs: waitedMs, dbMs: performance.now() - dbStarted };
      }, () => breaker.check());
    } catch (error) {
      breaker.failure(error);
      throw error;
    }
    breaker.success();
    sendReport(res, outcome.body, 'BYPASS', { queue: outcome.queueMs, cache: 0, db: outcome.dbMs, total: performance.now() - startedMs });
  };

  const fastReport = async (res: ServerResponse, category: string, startedMs: number) => {
    const outcome = await reports.get(category);
    metrics.cache[outcome.status]++;
    sendReport(res, outcome.body, outcome.status, { queue: 0, cache: outcome.cacheMs, db: outcome.dbMs, total: performance.now() - startedMs });
  };

  const health = async (res: ServerResponse) => {
    const probe = async (check: () => Promise<unknown>) => {
      const started = performance.now();
      try {
        await withTimeout(check(), limits.healthTimeoutMs);
        return { up: true, ms: round(performance.now() - started) };
      } catch (error) {
        return { up: false, ms: round(performance.now() - started), error: firstLine((error as Error)?.message ?? String(error)) };
      }
    };
    const [database, cache] = await Promise.all([
      probe(() => deps.pool.query('SELECT 1')),
      probe(() => deps.cache.get(`${KEY_PREFIX}healthz`)),
    ]);
    const status = !database.up ? 'down' : cache.up ? 'ok' : 'degraded';
    const body = { status, database, cache: { ...cache, tier: deps.cache.label } };
    // A failing Redis degrades the fast route but does not stop it: still 200.
    send(res, database.up ? 200 : 503, `${JSON.stringify(body)}\n`, { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store' });
  };

  const metricsRoute = (res: ServerResponse) => {
    const text = metrics.render({ inFlight, slowQueueDepth: slow.depth, databaseUp: breaker.up, cacheUp });
    send(res, 200, text, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, route: Route, query: string, startedMs: number) => {
    if (route === 'other') return sendError(res, 404, 'not found: the routes are /report/slow, /report/fast, /healthz and /metrics');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // The body of a refused request is not read: close rather than parse it as the next request.
      res.shouldKeepAlive = false;
      return sendError(res, 405, `method ${req.method} not allowed`, { Allow: ALLOW });
    }
    if (hasBody(req)) {
      res.shouldKeepAlive = false;
      return sendError(res, 413, 'GET and HEAD requests take no body');
    }
    if (route === '/healthz') return health(res);
    if (route === '/metrics') return metricsRoute(res);
    const check = parseCategory(query, limits.maxCategoryLength);
    if (!check.ok) return sendError(res, 400, check.message);
    return route === '/report/slow' ? slowReport(res, check.category, startedMs) : fastReport(res, check.category, startedMs);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const startedMs = performance.now();
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const route = routeOf(mark === -1 ? url : url.slice(0, mark));
    inFlight++;
    res.once('close', () => {
      inFlight--;
      // 499: the client closed the connection before the answer was complete (nginx's convention).
      metrics.observeRequest(route, res.writableFinished ? String(res.statusCode) : '499', (performance.now() - startedMs) / 1000);
    });
    if (Buffer.byteLength(url) > limits.maxUrlBytes) {
      res.shouldKeepAlive = false;
      sendError(res, 414, `request target longer than ${limits.maxUrlBytes} bytes`);
      return;
    }
    handle(req, res, route, mark === -1 ? '' : url.slice(mark + 1), startedMs).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendFailure(res, error);
    });
  });

  // Malformed requests, oversized headers and slow senders never reach 'request'; answer them here
  // (node's default would too, but not in JSON and not counted).
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const code = error.code ?? '';
    if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : code === 'HPE_URI_TOO_LONG' ? 414 : 400;
    const message = status === 431 ? `request line and headers exceed ${limits.maxHeaderBytes} bytes`
      : status === 408 ? 'request not received in time'
        : status === 414 ? 'request target too long'
          : 'malformed HTTP request';
    metrics.observeRequest('other', String(status), 0);
    const body = `${JSON.stringify({ error: message, status })}\n`;
    socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  let closing: Promise<void> | undefined;

  return {
    server,
    metrics,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          // Errors after listening (EMFILE on accept under load) are logged, never a crash.
          server.on('error', (error) => log(`server error: ${firstLine(error.message)}`));
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ host: address.address, port: address.port, url: `http://${shownHost}:${address.port}` });
        });
      });
    },
    close() {
      closing ??= (async () => {
        draining = true;
        if (server.listening) {
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          // A keep-alive connection becomes idle when its in-flight answer finishes: close those as they appear.
          const sweep = setInterval(() => server.closeIdleConnections(), 50);
          const cut = setTimeout(() => server.closeAllConnections(), limits.drainTimeoutMs);
          server.closeIdleConnections();
          try {
            await closed;
          } finally {
            clearInterval(sweep);
            clearTimeout(cut);
          }
        }
        await slow.close();
      })();
      return closing;
    },
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 408: 'Request Timeout', 414: 'URI Too Long', 431: 'Request Header Fields Too Large',
};

function routeOf(path: string): Route {
  switch (path) {
    case '/report/slow':
    case '/report/fast':
    case '/healthz':
    case '/metrics':
      return path;
    default:
      return 'other';
  }
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
