/**
 * Server layer: the one road every request takes — checks, route, error mapping to a status code,
 * metrics — and the answers to requests node:http rejects before they reach a route.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
// Imported: the global `performance` is an accessor, looked up through an inline cache on every call.
import { performance } from 'node:perf_hooks';
import { DatabaseUnavailable, isUnavailable } from '../db/availability.js';
import { inSqlStateClass, SQLSTATE_CLASS } from '../db/sqlstate.js';
import { firstLine, isPostgresError } from '../errors.js';
import type { ServerLimits } from './limits.js';
import type { Route, ServerMetrics } from './metrics.js';
import { JSON_TYPE, type Replies, type ReplyHeaders } from './replies.js';
import { checkRequest, parseCategory, targetOf, type KnownRoute, type RequestTarget } from './request.js';

/** Answers one admitted request; a throw becomes a 503 or 500 (see `failureReply`). */
export type RouteHandler = (res: ServerResponse, query: string, startedMs: number) => Promise<void> | void;

/** Answers one report request whose category is valid (synchronously, or when the promise settles). */
export type CategoryHandler = (res: ServerResponse, category: string, startedMs: number) => Promise<void> | void;

export type RouteTable = Record<KnownRoute, RouteHandler>;

export interface PipelineDeps {
  limits: ServerLimits;
  metrics: ServerMetrics;
  replies: Replies;
  routes: RouteTable;
}

/** The HTTP server and what the pipeline knows while it runs. */
export interface Pipeline {
  readonly server: Server;
  /** Requests being answered now. */
  readonly inFlight: number;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 408: 'Request Timeout', 414: 'URI Too Long', 431: 'Request Header Fields Too Large',
};

/** A node:http server bounded by `limits`, every request sent through the route table. */
export function createPipeline(deps: PipelineDeps): Pipeline {
  const { limits, metrics, replies, routes } = deps;
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
    maxHeaderSize: limits.maxHeaderBytes,
    noDelay: true,
  });
  let inFlight = 0;

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const startedMs = performance.now();
    const url = req.url ?? '/';
    const target = targetOf(url);
    inFlight++;
    answer(req, res, url, target, startedMs);
    // A request answered at once (a near hit, a refusal), its bytes already handed to the socket, is
    // counted now: waiting for its 'close' cost every near hit a closure, a listener and an emit.
    // Any other is counted when its response closes: 499 if the client went away first (nginx's
    // convention), the status otherwise.
    if (res.writableFinished) settle(target.route, res, startedMs);
    else res.on('close', () => settle(target.route, res, startedMs));
  });

  function answer(req: IncomingMessage, res: ServerResponse, url: string, target: RequestTarget, startedMs: number): void {
    const check = checkRequest(req, url, target, limits.maxUrlBytes);
    if (!check.ok) {
      if (check.refusal.close) res.shouldKeepAlive = false;
      replies.error(res, check.refusal.status, check.refusal.message, check.refusal.headers);
      return;
    }
    // Called directly rather than in an async wrapper: a route that answers synchronously (a near
    // hit) then costs no promise, no microtask and no closure.
    let answering: Promise<void> | void;
    try {
      answering = routes[check.route](res, check.query, startedMs);
    } catch (error) {
      routeFailed(replies, res, error);
      return;
    }
    if (answering) answering.catch((error: unknown) => routeFailed(replies, res, error));
  }

  function settle(route: Route, res: ServerResponse, startedMs: number): void {
    inFlight--;
    metrics.observeRequest(route, res.writableFinished ? String(res.statusCode) : '499', (performance.now() - startedMs) / 1000);
  }

  // Malformed requests, oversized headers and slow senders never reach 'request'; answer them here
  // (node's default would too, but not in JSON and not counted).
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket, limits, metrics));

  return {
    server,
    get inFlight() {
      return inFlight;
    },
  };
}

/** A route threw: a 503 or 500 when nothing was sent yet, else the connection is cut (the answer is broken). */
function routeFailed(replies: Replies, res: ServerResponse, error: unknown): void {
  if (res.headersSent) res.destroy();
  else {
    const failure = failureReply(error);
    replies.error(res, failure.status, failure.message, failure.headers);
  }
}

/** Wraps a report route: a request without exactly one valid category is answered 400 here. */
export function categoryRoute(replies: Replies, maxCategoryLength: number, handler: CategoryHandler, example?: string): RouteHandler {
  return (res, query, startedMs) => {
    const check = parseCategory(query, maxCategoryLength, example);
    if (!check.ok) return replies.error(res, 400, check.message);
    return handler(res, check.category, startedMs);
  };
}

/** What a route's throw is answered with: 503 (and a retry hint) when the database is unavailable, else 500. */
export function failureReply(error: unknown): { status: number; message: string; headers?: ReplyHeaders } {
  if (error instanceof DatabaseUnavailable || isUnavailable(error)) {
    const message = error instanceof DatabaseUnavailable ? error.message : `database unavailable: ${firstLine((error as Error)?.message ?? String(error))}`;
    return { status: 503, message, headers: { 'Retry-After': 1 } };
  }
  const detail = isPostgresError(error) ? `PostgreSQL error ${error.code}: ${firstLine(error.message)}` : 'internal error';
  // A value that does not fit the filter column's type (`?category=abc` on an integer column) is
  // the client's mistake, like a missing parameter: 400, and the server is not at fault.
  if (isPostgresError(error) && inSqlStateClass(error.code, SQLSTATE_CLASS.dataException)) {
    return { status: 400, message: `the value does not fit the filter column: ${detail}` };
  }
  return { status: 500, message: `report failed: ${detail}` };
}

function answerClientError(error: NodeJS.ErrnoException, socket: Socket, limits: ServerLimits, metrics: ServerMetrics): void {
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
}
