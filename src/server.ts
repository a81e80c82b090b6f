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
import { KEY_PREFIX, ReportCache, type CacheStatus } from './cache/report-cache.js';
import type { CacheTier } from './cache/tier.js';
import { reportBody, runReport, type ReportSource } from './db/report.js';

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
// Metrics

/** The routes metrics are labelled with; every other path is `other`, so labels stay bounded. */
export const ROUTES = ['/report/slow', '/report/fast', '/healthz', '/metrics', 'other'] as const;
export type Route = (typeof ROUTES)[number];

/**
 * Latency histogram buckets, seconds. Fixed, as Prometheus needs for summing across instances:
 * 0.5 ms (a cache hit on loopback) to 10 s (a seq scan queued behind others).
 */
export const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface RouteHistogram {
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  counts: number[];
  sumSeconds: number;
  count: number;
}

/** Gauges read at scrape time. */
export interface MetricGauges {
  inFlight: number;
  slowQueueDepth: number;
  databaseUp: boolean;
  cacheUp: boolean;
}

/** Counters and histograms of one server. `render` is pure over them (Prometheus text format 0.0.4). */
export class ServerMetrics {
  /** `route status` -> requests. */
  private readonly requests = new Map<string, number>();
  private readonly histograms = new Map<Route, RouteHistogram>();
  readonly cache: Record<CacheStatus, number> = { HIT: 0, MISS: 0, BYPASS: 0 };
  readonly queries: Record<'slow' | 'fast', number> = { slow: 0, fast: 0 };

  constructor() {
    for (const route of ROUTES) {
      this.histograms.set(route, { counts: new Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0), sumSeconds: 0, count: 0 });
    }
  }

  observeRequest(route: Route, status: string, seconds: number): void {
    const key = `${route} ${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const histogram = this.histograms.get(route)!;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[bucket]!) bucket++;
    histogram.counts[bucket]!++;
    histogram.sumSeconds += seconds;
    histogram.count++;
  }

  /** Requests seen for a route and status (for tests and the shutdown summary). */
  requestCount(route: Route, status?: string): number {
    let total = 0;
    for (const [key, count] of this.requests) {
      const [keyRoute, keyStatus] = key.split(' ');
      if (keyRoute === route && (status === undefined || keyStatus === status)) total += count;
    }
    return total;
  }

  render(gauges: MetricGauges): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

    family('perfbench_http_requests_total', 'counter', 'HTTP requests answered, by route and status (499: the client went away first).');
    const keys = [...this.requests.keys()].sort((a, b) => {
      const [ra, sa] = a.split(' ');
      const [rb, sb] = b.split(' ');
      return ROUTES.indexOf(ra as Route) - ROUTES.indexOf(rb as Route) || sa!.localeCompare(sb!);
    });
    for (const key of keys) {
      const [route, status] = key.split(' ');
      lines.push(`perfbench_http_requests_total{route="${label(route!)}",status="${label(status!)}"} ${this.requests.get(key)}`);
    }

    family('perfbench_http_request_duration_seconds', 'histogram', 'Time from request received to response finished, by route.');
    for (const route of ROUTES) {
      const histogram = this.histograms.get(route)!;
      let cumulative = 0;
      LATENCY_BUCKETS_SECONDS.forEach((le, i) => {
        cumulative += histogram.counts[i]!;
        lines.push(`perfbench_http_request_duration_seconds_bucket{route="${route}",le="${le}"} ${cumulative}`);
      });
      cumulative += histogram.counts[LATENCY_BUCKETS_SECONDS.length]!;
      lines.push(`perfbench_http_request_duration_seconds_bucket{route="${route}",le="+Inf"} ${cumulative}`);
      lines.push(`perfbench_http_request_duration_seconds_sum{route="${route}"} ${histogram.sumSeconds}`);
      lines.push(`perfbench_http_request_duration_seconds_count{route="${route}"} ${histogram.count}`);
    }

    family('perfbench_report_cache_total', 'counter', 'Fast-route reports by cache outcome (bypass: the cache failed and the database answered).');
    for (const status of ['HIT', 'MISS', 'BYPASS'] as const) {
      lines.push(`perfbench_report_cache_total{result="${status.toLowerCase()}"} ${this.cache[status]}`);
    }

    family('perfbench_db_queries_total', 'counter', 'Report queries sent to PostgreSQL, by route.');
    for (const route of ['slow', 'fast'] as const) lines.push(`perfbench_db_queries_total{route="/report/${route}"} ${this.queries[route]}`);

    family('perfbench_http_in_flight_requests', 'gauge', 'Requests being answered now.');
    lines.push(`perfbench_http_in_flight_requests ${gauges.inFlight}`);
    family('perfbench_slow_queue_depth', 'gauge', "Requests queued for or using the slow route's single connection.");
    lines.push(`perfbench_slow_queue_depth ${gauges.slowQueueDepth}`);
    family('perfbench_database_up', 'gauge', '1 unless the last database access failed for want of a connection.');
    lines.push(`perfbench_database_up ${gauges.databaseUp ? 1 : 0}`);
    family('perfbench_cache_up', 'gauge', '1 unless the last cache access failed.');
    lines.push(`perfbench_cache_up ${gauges.cacheUp ? 1 : 0}`);
    return `${lines.join('\n')}\n`;
  }
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

// ---------------------------------------------------------------------------------------------
// Database availability

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
  '57P01', '57P02', '57P03', '53300']);

/**
 * True when an error means "no usable connection to PostgreSQL" (503, retry later) rather than
 * "the query itself failed" (500): socket errors, SQLSTATE class 08 and the shutdown codes, and
 * node-postgres' own messages for a dropped or timed-out connection.
 */
export function isUnavailable(error: unknown): boolean {
  const err = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (UNAVAILABLE_CODES.has(code) || /^08/.test(code)) return true;
  const message = typeof err?.message === 'string' ? err.message : '';
  // "cannot connect to PostgreSQL at …": perfbench's own one-line connection error (connectClient), which the
  // slow route's reconnect raises; it carries no socket code.
  return /Connection terminated|timeout exceeded when trying to connect|Connection timeout|connection error|Client was closed|not queryable|database unavailable|cannot connect to PostgreSQL at /i.test(message);
}

/** Thrown while the breaker is open: the database failed moments ago, so do not wait on it again. */
export class DatabaseUnavailable extends Error {
  constructor(cause: unknown) {
    super(`database unavailable: ${firstLine((cause as Error)?.message ?? String(cause))}`, { cause });
    this.name = 'DatabaseUnavailable';
  }
}

/**
 * A minimal circuit breaker. After an "unavailable" failure, calls fail at once for `retryMs`, so a
 * database that hangs (a connect that only times out) costs one request the connect timeout, not
 * every request; after the window, requests try again, and the first success closes it.
 */
export class Breaker {
  private openUntilMs = 0;
  private lastError: unknown;
  up = true;

  constructor(private readonly retryMs: number, private readonly nowMs: () => number = () => performance.now(),
    private readonly onChange?: (up: boolean, error?: unknown) => void) {}

  /** Throws `DatabaseUnavailable` while open. */
  check(): void {
    if (this.openUntilMs > 0 && this.nowMs() < this.openUntilMs) throw new DatabaseUnavailable(this.lastError);
  }

  success(): void {
    this.openUntilMs = 0;
    if (!this.up) {
      this.up = true;
      this.onChange?.(true);
    }
  }

  /** Opens the breaker when `error` is an availability failure; other errors pass through untouched. */
  failure(error: unknown): void {
    if (!isUnavailable(error) || error instanceof DatabaseUnavailable) return;
    this.lastError = error;
    this.openUntilMs = this.nowMs() + this.retryMs;
    if (this.up) {
      this.up = false;
      this.onChange?.(false, error);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The slow route's dedicated connection

/**
 * One connection used strictly serially, as a blocking application with a single connection would:
 * every request waits for the ones before it. A connection that dies (server restart, terminated
 * backend) is dropped and the next request opens a new one.
 */
export class DedicatedConnection {
  private client: Promise<pg.Client> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /** Requests queued or running. */
  depth = 0;
  private closed = false;

  constructor(private readonly connect: () => Promise<pg.Client>) {}

  /** Runs `work` after every earlier call has finished; `waitedMs` is the time spent queued. */
  run<T>(work: (client: pg.Client, waitedMs: number) => Promise<T>): Promise<T> {
    const queuedAt = performance.now();
    this.depth++;
    const result = this.tail.then(async () => {
      if (this.closed) throw new DatabaseUnavailable(new Error('server is shutting down'));
      const waitedMs = performance.now() - queuedAt;
      const pending = this.acquire();
      const client = await pending;
      try {
        return await work(client, waitedMs);
      } catch (error) {
        if (isUnavailable(error)) this.discard(pending);
        throw error;
      }
    }).finally(() => {
      this.depth--;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  private acquire(): Promise<pg.Client> {
    if (!this.client) {
      const pending: Promise<pg.Client> = this.connect().then((client) => {
        const dead = () => this.discard(pending);
        client.on('error', dead);
        client.on('end', dead);
        return client;
      });
      // A failed connect leaves no client behind: the next request tries afresh.
      pending.catch(() => {
        if (this.client === pending) this.client = undefined;
      });
      this.client = pending;
    }
    return this.client;
  }

  private discard(which: Promise<pg.Client>): void {
    if (this.client !== which) return;
    this.client = undefined;
    which.then((client) => client.end().catch(() => undefined), () => undefined);
  }

  /** Waits for queued work, then ends the connection. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    if (this.client) this.discard(this.client);
  }
}

// ---------------------------------------------------------------------------------------------
// The server

/** What the server needs, injected. It closes only what it opened itself (the slow connection). */
export interface ReportServerDeps {
  source: ReportSource;
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
        const result = await runReport(deps.pool, deps.source, category);
        breaker.success();
        return reportBody(category, result.rows);
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
    const pgError = error as { code?: unknown; message?: unknown };
    const detail = typeof pgError?.code === 'string' && /^[0-9A-Z]{5}$/.test(pgError.code)
      ? `PostgreSQL error ${pgError.code}: ${firstLine(String(pgError.message))}`
      : 'internal error';
    sendError(res, 500, `report failed: ${detail}`);
  };

  // --- routes

  const slowReport = async (res: ServerResponse, category: string, startedMs: number) => {
    breaker.check();
    const outcome = await slow.run(async (client, waitedMs) => {
      const dbStarted = performance.now();
      metrics.queries.slow++;
      try {
        const result = await runReport(client, deps.source, category);
        breaker.success();
        return { body: reportBody(category, result.rows), queueMs: waitedMs, dbMs: performance.now() - dbStarted };
      } catch (error) {
        breaker.failure(error);
        throw error;
      }
    });
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

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
