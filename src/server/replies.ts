/**
 * Server layer: the one writer of answers, so every route's errors are the same JSON and every
 * answer sent while the server drains closes its connection (a drained server must not be reused).
 */
import type { ServerResponse } from 'node:http';
import type { CacheStatus } from '../cache/report-cache.js';
import { serverTimingHeader, type TimingBreakdown } from './server-timing.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

export type ReplyHeaders = Record<string, string | number>;

/** The server's one writer of responses; `draining` is the only state it keeps. */
export class Replies {
  /** Set when close() starts: in-flight answers then end their keep-alive connection. */
  draining = false;

  send(res: ServerResponse, status: number, body: Buffer | string, headers: ReplyHeaders): void {
    if (res.headersSent || res.destroyed) return;
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    if (this.draining) res.shouldKeepAlive = false;
    res.writeHead(status, { ...headers, 'Content-Length': payload.length });
    res.end(payload);
  }

  /** `{"error": message, "status": status}`, never cached. */
  error(res: ServerResponse, status: number, message: string, extra: ReplyHeaders = {}): void {
    this.send(res, status, `${JSON.stringify({ error: message, status })}\n`, { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store', ...extra });
  }

  /**
   * A /report/fast answer: the body in `coding` with its entity tag, cache outcome and Server-Timing.
   * Revalidated by ETag (`no-cache`: a client may keep it but asks first), varying by Accept-Encoding.
   * Headers as a flat list: node writes them without building an object per request.
   */
  encoded(res: ServerResponse, body: Buffer, coding: 'identity' | 'gzip' | 'br', etag: string, cache: string, serverTiming: string): void {
    if (res.headersSent || res.destroyed) return;
    if (this.draining) res.shouldKeepAlive = false;
    const headers = ['Content-Type', JSON_TYPE, 'Cache-Control', 'no-cache', 'Vary', 'Accept-Encoding', 'ETag', etag, 'X-Cache', cache,
      'Server-Timing', serverTiming, 'Content-Length', String(body.length)];
    if (coding !== 'identity') headers.push('Content-Encoding', coding);
    res.writeHead(200, headers);
    res.end(body);
  }

  /** 304 Not Modified: the client's copy (If-None-Match) is the current one; no body. */
  notModified(res: ServerResponse, etag: string, cache: string, serverTiming: string): void {
    if (res.headersSent || res.destroyed) return;
    if (this.draining) res.shouldKeepAlive = false;
    res.writeHead(304, ['Cache-Control', 'no-cache', 'Vary', 'Accept-Encoding', 'ETag', etag, 'X-Cache', cache, 'Server-Timing', serverTiming]);
    res.end();
  }

  /** A report body with its cache outcome and Server-Timing breakdown. */
  report(res: ServerResponse, body: Buffer, cache: CacheStatus, timing: TimingBreakdown): void {
    this.send(res, 200, body, {
      'Content-Type': JSON_TYPE,
      'Cache-Control': 'no-store',
      'X-Cache': cache,
      'Server-Timing': serverTimingHeader(timing),
    });
  }
}
