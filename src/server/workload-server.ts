/**
 * Server layer: `perfbench serve --workload FILE`: each read statement of a pgbench script as an
 * API, `GET /q/<name>/slow?<param>=…` and `GET /q/<name>/fast?<param>=…` (params by the script's
 * variable names, e.g. `?cid=42` for `:cid`), so `bench --http` style timing covers a user's own
 * statement end to end. slow: one dedicated connection used serially, no cache (X-Cache: BYPASS).
 * fast: a pool behind cache-aside (keyed by statement text, values and dataset version) with
 * single-flight (X-Cache: HIT | MISS). The body is JSON: `{"statement", "rows"}` with every value
 * as PostgreSQL's text. Each answer carries a Server-Timing header (queue, cache, db, total), as the
 * report's routes do, so bench --http shows where the server spent its time. node:http only; the pool, the cache and the slow connection are injected.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
// Imported, not the global: Node defines the global `performance` as a lazy getter, paid on every read.
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { statementKey } from '../cache/report-cache.js';
import { runStatementRows } from '../db/workload-queries.js';
import { firstLine } from '../errors.js';
import { drain, listen, type BoundAddress } from './lifecycle.js';
import { statementSignature } from '../workload/pgbench/index.js';
import { serverTimingHeader, type TimingBreakdown } from './server-timing.js';
import type { RouteBackends } from './server.js';

/** One statement the server answers. */
export interface ServedStatement {
  name: string;
  /** With `$1…$n`. */
  text: string;
  /** The variable bound to each parameter, `$1` first. */
  parameters: readonly string[];
}

export interface WorkloadServerDeps extends RouteBackends {
  statements: readonly ServedStatement[];
  drainTimeoutMs?: number;
}

export interface WorkloadServer {
  readonly server: Server;
  /** Requests answered, by route kind and X-Cache outcome. */
  readonly counts: { slow: number; fast: number; hits: number; misses: number; errors: number };
  listen(port: number, host: string): Promise<BoundAddress>;
  close(): Promise<void>;
}

export function createWorkloadServer(deps: WorkloadServerDeps): WorkloadServer {
  const log = deps.log ?? (() => undefined);
  const byName = new Map(deps.statements.map((s) => [s.name, s]));
  // Listed on /healthz: bench --http URL checks that each statement it times is the one it runs.
  const signatures = Object.fromEntries(deps.statements.map((s) => [s.name, statementSignature(s)]));
  const counts = { slow: 0, fast: 0, hits: 0, misses: 0, errors: 0 };
  const inFlight = new Map<string, Promise<Buffer>>();
  let slowClient: pg.Client | undefined;
  let slowQueue: Promise<unknown> = Promise.resolve();

  const body = (statement: ServedStatement, rows: unknown[][]): Buffer => Buffer.from(JSON.stringify({ statement: statement.name, rows }));

  /** The slow route: one connection, one request at a time, replaced when it fails. */
  const slow = (statement: ServedStatement, values: string[], timing: TimingBreakdown): Promise<Buffer> => {
    const asked = performance.now();
    const turn = slowQueue.then(async () => {
      const began = performance.now();
      timing.queue = began - asked;
      slowClient ??= await deps.connectSlow();
      try {
        const out = body(statement, await runStatementRows(slowClient, statement.text, values));
        timing.db = performance.now() - began;
        return out;
      } catch (error) {
        if (!(error as { code?: string }).code) {
          const dead = slowClient;
          slowClient = undefined;
          void dead?.end().catch(() => undefined);
        }
        throw error;
      }
    });
    slowQueue = turn.catch(() => undefined);
    return turn;
  };

  /** The fast route: cache-aside, one database query per key at a time (single-flight). */
  const fast = async (statement: ServedStatement, values: string[], timing: TimingBreakdown): Promise<{ body: Buffer; outcome: 'HIT' | 'MISS' }> => {
    const key = statementKey(deps.namespace, statement.text, values);
    const asked = performance.now();
    const cached = await deps.cache.get(key).catch(() => null);
    const answered = performance.now();
    timing.cache = answered - asked;
    if (cached) return { body: cached, outcome: 'HIT' };
    let pending = inFlight.get(key);
    if (!pending) {
      pending = (async () => {
        const client = await deps.pool.connect();
        try {
          const out = body(statement, await runStatementRows(client, statement.text, values));
          await deps.cache.set(key, out, deps.ttlSeconds).catch((error: Error) => log(`cache write failed: ${firstLine(error.message)}`));
          return out;
        } finally {
          client.release();
        }
      })();
      inFlight.set(key, pending);
      void pending.finally(() => inFlight.delete(key)).catch(() => undefined);
    }
    const out = await pending;
    // The query and the cache write, or (single-flight) the wait for another request's.
    timing.db = performance.now() - answered;
    return { body: out, outcome: 'MISS' };
  };

  const reply = (res: ServerResponse, status: number, payload: Buffer | object, cache?: string, timing?: TimingBreakdown, started = 0): void => {
    const data = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
    if (timing) timing.total = performance.now() - started;
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8', 'Content-Length': data.length, ...(cache ? { 'X-Cache': cache } : {}),
      ...(timing ? { 'Server-Timing': serverTimingHeader(timing) } : {}),
    });
    res.end(data);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') return reply(res, 200, { status: 'ok', statements: [...byName.keys()], signatures });
    const match = /^\/q\/([^/]+)\/(slow|fast)$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) {
      return reply(res, 404, { error: 'not found', hint: `GET /q/<name>/slow|fast?<param>=…; statements: ${[...byName.keys()].join(', ')}` });
    }
    let name: string;
    try {
      name = decodeURIComponent(match[1]!);
    } catch {
      return reply(res, 400, { error: 'the statement name is not valid percent-encoding' });
    }
    const statement = byName.get(name);
    if (!statement) return reply(res, 404, { error: `no statement named ${name}`, hint: `statements: ${[...byName.keys()].join(', ')}` });
    const missing = [...new Set(statement.parameters)].filter((p) => url.searchParams.get(p) === null);
    if (missing.length) {
      return reply(res, 400, { error: `missing parameter${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`, hint: `e.g. /q/${encodeURIComponent(name)}/${match[2]}?${statement.parameters.map((p) => `${p}=…`).join('&')}` });
    }
    const values = statement.parameters.map((p) => url.searchParams.get(p)!);
    const timing: TimingBreakdown = { queue: 0, cache: 0, db: 0, total: 0 };
    try {
      if (match[2] === 'slow') {
        counts.slow++;
        return reply(res, 200, await slow(statement, values, timing), 'BYPASS', timing, started);
      }
      counts.fast++;
      const out = await fast(statement, values, timing);
      if (out.outcome === 'HIT') counts.hits++;
      else counts.misses++;
      return reply(res, 200, out.body, out.outcome, timing, started);
    } catch (error) {
      counts.errors++;
      const code = (error as { code?: string }).code;
      // A value the statement's parameter type rejects (class 22) is the client's error; the rest the server's.
      const status = typeof code === 'string' && code.startsWith('22') ? 400 : code ? 500 : 503;
      return reply(res, status, { error: firstLine((error as Error).message), ...(code ? { sqlstate: code } : {}) });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      log(`request failed: ${firstLine(error.message)}`);
      if (!res.headersSent) reply(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    server,
    counts,
    listen: (port, host) => listen(server, port, host, log),
    close() {
      closing ??= (async () => {
        await drain(server, deps.drainTimeoutMs ?? 5_000);
        await slowQueue;
        await slowClient?.end().catch(() => undefined);
      })();
      return closing;
    },
  };
}
