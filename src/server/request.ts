/**
 * Server layer: what a request must be before a route sees it — a bounded target, a known path,
 * GET or HEAD without a body — and the one valid `category` a report route needs. Pure.
 */
import type { IncomingMessage } from 'node:http';
import { DEFAULT_LIMITS } from './limits.js';
import type { Route } from './metrics.js';
import { rawHeader } from './raw-headers.js';

/** A path the server answers. */
export type KnownRoute = Exclude<Route, 'other'>;

/** Where a request goes: the route it is counted under, and its query string without the `?`. */
export interface RequestTarget {
  route: Route;
  query: string;
}

/** A request turned away before any route runs. `close`: its connection is not reused. */
export interface Refusal {
  status: number;
  message: string;
  headers?: Record<string, string | number>;
  close: boolean;
}

export type RequestCheck = { ok: true; route: KnownRoute; query: string } | { ok: false; refusal: Refusal };

export type CategoryCheck = { ok: true; category: string } | { ok: false; message: string };

const ALLOW = 'GET, HEAD';

// Control characters, U+FFFD (what URLSearchParams makes of bad percent-encoding) and lone surrogates.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\ufffd]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** `category=` then RFC 3986 unreserved characters, nothing else: the value is the text itself. */
const PLAIN_CATEGORY = /^category=[A-Za-z0-9._~-]+$/;
const PLAIN_PREFIX = 'category='.length;

/** Splits a request target into the route it is counted under and its query string. */
export function targetOf(url: string): RequestTarget {
  const mark = url.indexOf('?');
  return { route: routeOf(mark === -1 ? url : url.slice(0, mark)), query: mark === -1 ? '' : url.slice(mark + 1) };
}

/** Admits a request to its route, or says how to refuse it: 414, 404, 405, 413, in that order. */
export function checkRequest(req: IncomingMessage, url: string, target: RequestTarget, maxUrlBytes: number): RequestCheck {
  if (Buffer.byteLength(url) > maxUrlBytes) return refuse({ status: 414, message: `request target longer than ${maxUrlBytes} bytes`, close: true });
  if (target.route === 'other') return refuse({ status: 404, message: 'not found: the routes are /report/slow, /report/fast, /healthz and /metrics', close: false });
  // The body of a refused request is not read: close rather than parse it as the next request.
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse({ status: 405, message: `method ${req.method} not allowed`, headers: { Allow: ALLOW }, close: true });
  if (hasBody(req)) return refuse({ status: 413, message: 'GET and HEAD requests take no body', close: true });
  return { ok: true, route: target.route, query: target.query };
}

// Module level, not a closure per request: every request passes through checkRequest.
function refuse(refusal: Refusal): RequestCheck {
  return { ok: false, refusal };
}

/** Validates the query string (without the `?`) of a report request: exactly one printable, bounded `category`. */
export function parseCategory(query: string, maxLength = DEFAULT_LIMITS.maxCategoryLength, example = 'cat-001'): CategoryCheck {
  // The common request, `category=` and unreserved characters only, needs no decoding: answered
  // without building a URLSearchParams (a hot report's whole answer costs a few of these).
  // test, then slice: exec would build a match array and a capture per request.
  if (query.length - PLAIN_PREFIX <= maxLength && PLAIN_CATEGORY.test(query)) return { ok: true, category: query.slice(PLAIN_PREFIX) };
  const values = new URLSearchParams(query).getAll('category');
  if (values.length === 0) return { ok: false, message: `missing query parameter 'category' (e.g. ?category=${encodeURIComponent(example)})` };
  if (values.length > 1) return { ok: false, message: "give the query parameter 'category' once" };
  const category = values[0]!;
  if (category.length === 0) return { ok: false, message: "query parameter 'category' is empty" };
  if (category.length > maxLength) return { ok: false, message: `query parameter 'category' is longer than ${maxLength} characters` };
  if (UNPRINTABLE.test(category)) return { ok: false, message: "query parameter 'category' must be printable UTF-8 text" };
  return { ok: true, category };
}

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
  const length = rawHeader(req.rawHeaders, 'content-length');
  return rawHeader(req.rawHeaders, 'transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}
