/**
 * Targets: The HTTP paths of `bench --http`: `GET <base>/report/<slow|fast>?category=…` (the report's;
 * a workload's statements go through the same client, workload-http-path.ts) over a fixed number
 * of keep-alive connections, each response read to its end (http-transport.ts). Besides the client-side
 * latency the runner measures, the target sums the server's own `Server-Timing` breakdown
 * (queue, cache, db, total) so a report can show where the time went on the server.
 */
import type { ServerTimingRecord } from '../measure/result.js';
import type { Operation, Target } from '../measure/target.js';
import { httpTransport } from './http-transport.js';
import { pathPrefix } from './http-wire.js';

export type HttpRoute = 'slow' | 'fast';

export interface HttpTargetOptions {
  /** Where `perfbench serve` listens, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  baseUrl: string;
  route: HttpRoute;
  /** Keep-alive sockets; give the run's concurrency so no request waits for a socket. */
  connections: number;
  /** Name in tables; default `http-slow` / `http-fast`. */
  name?: string;
  /** Bound on one request, default 30 s; a timeout counts as an error of the path. */
  timeoutMs?: number;
  /**
   * `run` accepts only responses with this `X-Cache` value (http-fast: `HIT`). Any other answer is
   * rejected, an error of the path rather than an operation, so it stays out of the latency
   * histogram and the Server-Timing sums; it is still counted in `xCache`.
   */
  requireXCache?: string | readonly string[];
}

/** A 200 answer whose X-Cache is not the one the path times (a MISS or BYPASS on the hit path). */
export class UnexpectedXCache extends Error {
  constructor(readonly xCache: string, route: string, required: string | readonly string[]) {
    // Named by the first accepted value (HIT; NEAR, a near-cache hit, is one too).
    super(`X-Cache: ${xCache} on ${route}, which must answer ${typeof required === 'string' ? required : required[0]}: it was not served from the cache ` +
      '(keys flushed, expired or evicted, or the cache refused; raise --ttl for long runs)');
    this.name = 'UnexpectedXCache';
  }
}

/** A non-200 answer: the server's own error message, and its SQLSTATE as `code` when it sent one (perfbench serve does). */
export class HttpStatusError extends Error {
  readonly code?: string;
  constructor(readonly status: number, route: string, detail: string, sqlstate: string | undefined) {
    super(`HTTP ${status} from ${route}: ${detail.slice(0, 200)}`);
    this.name = 'HttpStatusError';
    if (sqlstate !== undefined) this.code = sqlstate;
  }
}

/** What the server reported about the responses this target received. */
export interface ServerTimingSummary {
  /** Responses counted as operations (with `requireXCache`, only those with that X-Cache). */
  responses: number;
  /** Each Server-Timing field summed over the responses, ms. */
  sumsMs: Record<string, number>;
  /** Each field's mean over the responses that carried it, ms. */
  meansMs: Record<string, number>;
  /** Every 200 response by `X-Cache` value (HIT, MISS, BYPASS; `none` when absent), rejected ones included. */
  xCache: Record<string, number>;
  /** Body bytes received. */
  bodyBytes: number;
  /** GETs sent a second time after the server closed a reused keep-alive connection (http-wire.ts). */
  resent: number;
}

/**
 * The summary as a path's result records it; `clientMeanMs` when an operation is several responses.
 * `resent` only when there were any, so a run without them records what it always did.
 */
export function serverTimingRecord(summary: ServerTimingSummary, clientMeanMs?: number): ServerTimingRecord {
  return {
    responses: summary.responses,
    meanMs: summary.meansMs,
    xCache: summary.xCache,
    ...(clientMeanMs !== undefined ? { clientMeanMs } : {}),
    ...(summary.resent > 0 ? { resent: summary.resent } : {}),
  };
}

export interface HttpTarget extends Target {
  readonly kind: 'http';
  /**
   * One GET of a category's report without the `requireXCache` check (the cache warm-up, which
   * expects misses): resolves with its X-Cache value (`none` when absent) and counts it like `run`.
   */
  fetch(category: string): Promise<string>;
  /** The breakdown since creation or the last `resetServerTiming` (call it when the measured phase starts). */
  serverTiming(): ServerTimingSummary;
  resetServerTiming(): void;
}

/**
 * The most of a body kept when it is read (healthz, and answers other than 200): enough for a JSON
 * error whose message quotes a long value, which must parse whole for its SQLSTATE to be read.
 */
const KEPT_BODY_LIMIT = 64 * 1024;

/** Parses a Server-Timing header into name -> duration (ms); entries without `dur` are skipped. */
export function parseServerTiming(header: string | undefined): Record<string, number> {
  const fields: Record<string, number> = {};
  if (!header) return fields;
  for (const entry of header.split(',')) {
    const [rawName, ...params] = entry.split(';');
    const name = rawName?.trim();
    if (!name) continue;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq === -1 || param.slice(0, eq).trim() !== 'dur') continue;
      const ms = Number(param.slice(eq + 1).trim().replace(/^"|"$/g, ''));
      if (Number.isFinite(ms)) fields[name] = ms;
    }
  }
  return fields;
}

/** Keep-alive GETs to one server, each answer read to its end and counted (X-Cache, Server-Timing, bytes). */
export interface HttpClient {
  /** GET /healthz: its body; throws a one-line error when the server is unreachable or answers another status. */
  health(): Promise<string>;
  /**
   * GET `path` (after the base URL's own path) and read the answer to its end: resolves with its
   * X-Cache value (`none` when absent). A non-200 answer throws HttpStatusError; an X-Cache not in
   * `required` throws UnexpectedXCache after being counted in `xCache` (not as a response).
   */
  exchange(path: string, required?: string | readonly string[]): Promise<string>;
  serverTiming(): ServerTimingSummary;
  resetServerTiming(): void;
  /** Closes the sockets. */
  destroy(): void;
}

export interface HttpClientOptions {
  /** e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  baseUrl: string;
  /** Keep-alive sockets; give the run's concurrency so no request waits for a socket. */
  connections: number;
  /** Bound on one request, default 30 s. */
  timeoutMs?: number;
}

export function httpClient(options: HttpClientOptions): HttpClient {
  const base = new URL(options.baseUrl);
  const prefix = pathPrefix(base);
  const transport = httpTransport(base, { connections: options.connections, timeoutMs: options.timeoutMs ?? 30_000, keptBodyBytes: KEPT_BODY_LIMIT });

  let sums: Record<string, number> = {};
  let counts: Record<string, number> = {};
  let xCache: Record<string, number> = {};
  let responses = 0;
  let bodyBytes = 0;
  /** The transport's resent count when the summary was last reset. */
  let resentBefore = 0;

  return {
    async health() {
      let answer;
      try {
        answer = await transport.get('/healthz', true);
      } catch (error) {
        throw new Error(`cannot reach ${base.origin}${prefix}: ${(error as Error).message} (is \`perfbench serve\` running there?)`);
      }
      if (answer.status !== 200) {
        throw new Error(`${base.origin}${prefix}/healthz answered ${answer.status}: ${answer.body.trim().slice(0, 200)}`);
      }
      return answer.body;
    },

    async exchange(path, required) {
      const { status, headers, bytes, body } = await transport.get(path, false);
      if (status !== 200) {
        let detail = body.trim();
        let sqlstate: string | undefined;
        try {
          const answer = JSON.parse(body) as { error?: string; sqlstate?: string };
          detail = answer.error ?? detail;
          sqlstate = answer.sqlstate;
        } catch {
          // not JSON: keep the text
        }
        throw new HttpStatusError(status, path.split('?')[0]!, detail, sqlstate);
      }
      const cacheKey = headers['x-cache'] ?? 'none';
      xCache[cacheKey] = (xCache[cacheKey] ?? 0) + 1;
      // Counted above, apart from the operations: a miss on the hit path is not a hit's latency.
      if (required !== undefined && (typeof required === 'string' ? cacheKey !== required : !required.includes(cacheKey))) {
        throw new UnexpectedXCache(cacheKey, path.split('?')[0]!, required);
      }
      responses++;
      bodyBytes += bytes;
      const timing = parseServerTiming(headers['server-timing']);
      for (const name in timing) {
        sums[name] = (sums[name] ?? 0) + timing[name]!;
        counts[name] = (counts[name] ?? 0) + 1;
      }
      return cacheKey;
    },

    serverTiming() {
      const meansMs: Record<string, number> = {};
      for (const name in sums) meansMs[name] = sums[name]! / counts[name]!;
      return { responses, sumsMs: { ...sums }, meansMs, xCache: { ...xCache }, bodyBytes, resent: transport.resent() - resentBefore };
    },

    resetServerTiming() {
      sums = {};
      counts = {};
      xCache = {};
      responses = 0;
      bodyBytes = 0;
      resentBefore = transport.resent();
    },

    destroy() {
      transport.destroy();
    },
  };
}

/** The report's route as a target: `GET <base>/report/<route>?category=…` per operation. */
export function httpTarget(options: HttpTargetOptions): HttpTarget {
  const client = httpClient(options);
  const reportPath = `/report/${options.route}?category=`;
  return {
    name: options.name ?? `http-${options.route}`,
    kind: 'http',
    async setup() {
      await client.health();
    },
    async run(op: Operation) {
      await client.exchange(reportPath + encodeURIComponent(op.category), options.requireXCache);
    },
    fetch: (category: string) => client.exchange(reportPath + encodeURIComponent(category)),
    async teardown() {
      client.destroy();
    },
    serverTiming: client.serverTiming,
    resetServerTiming: client.resetServerTiming,
  };
}
