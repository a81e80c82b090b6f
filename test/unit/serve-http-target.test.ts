/** The HTTP bench target against a scripted loopback server (no database): requests, keep-alive, timing sums, errors. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpTarget } from '../../src/targets/http.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function scripted(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; sockets: () => number; paths: string[] }> {
  const paths: string[] = [];
  let sockets = 0;
  server = createServer((req, res) => {
    paths.push(req.url ?? '');
    handler(req, res);
  });
  server.on('connection', () => sockets++);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets: () => sockets, paths };
}

const op = (index: number, category: string) => ({ index, category });

describe('httpTarget', () => {
  it('GETs /report/<route>?category=… over at most N keep-alive sockets and sums Server-Timing', async () => {
    let n = 0;
    const fake = await scripted((req, res) => {
      if (req.url === '/healthz') return void res.end('{"status":"ok"}');
      n++;
      res.writeHead(200, { 'X-Cache': n === 1 ? 'MISS' : 'HIT', 'Server-Timing': `queue;dur=0, cache;dur=${n}, db;dur=${n === 1 ? 10 : 0}, total;dur=${n + 1}` });
      res.end('x'.repeat(1000));
    });
    const target = httpTarget({ baseUrl: fake.url, route: 'fast', connections: 2 });
    expect(target.name).toBe('http-fast');
    expect(target.kind).toBe('http');
    await target.setup!();
    for (let round = 0; round < 3; round++) {
      await Promise.all([target.run(op(0, 'cat 1/&')), target.run(op(1, 'cat-2'))]);
    }
    expect(fake.paths).toContain('/report/fast?category=cat%201%2F%26');
    expect(fake.paths.filter((path) => path.startsWith('/report/fast?category='))).toHaveLength(6);
    expect(fake.sockets()).toBeLessThanOrEqual(2);
    const timing = target.serverTiming();
    expect(timing.responses).toBe(6);
    expect(timing.bodyBytes).toBe(6000);
    expect(timing.xCache).toEqual({ MISS: 1, HIT: 5 });
    expect(timing.sumsMs).toEqual({ queue: 0, cache: 21, db: 10, total: 27 });
    expect(timing.meansMs).toEqual({ queue: 0, cache: 3.5, db: 10 / 6, total: 4.5 });
    target.resetServerTiming();
    expect(target.serverTiming()).toEqual({ responses: 0, sumsMs: {}, meansMs: {}, xCache: {}, bodyBytes: 0, resent: 0 });
    await target.teardown!();
  });

  it('keeps a base path prefix and names the slow route', async () => {
    const fake = await scripted((_req, res) => res.end('{}'));
    const target = httpTarget({ baseUrl: `${fake.url}/api/`, route: 'slow', connections: 1, name: 'custom' });
    await target.setup!();
    await target.run(op(0, 'a'));
    expect(fake.paths).toEqual(['/api/healthz', '/api/report/slow?category=a']);
    expect(target.name).toBe('custom');
    expect(target.serverTiming().xCache).toEqual({ none: 1 });
    await target.teardown!();
  });

  it('rejects a non-200 answer with the server\'s error message', async () => {
    const fake = await scripted((_req, res) => {
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end('{"error":"database unavailable: connect ECONNREFUSED","status":503}');
    });
    const target = httpTarget({ baseUrl: fake.url, route: 'fast', connections: 1 });
    await expect(target.run(op(0, 'a'))).rejects.toThrow('HTTP 503 from /report/fast: database unavailable: connect ECONNREFUSED');
    await expect(target.setup!()).rejects.toThrow(/healthz answered 503/);
    expect(target.serverTiming().responses).toBe(0);
    await target.teardown!();
  });

  it('fails setup with a clear line when nothing listens, and times out a silent server', async () => {
    const fake = await scripted(() => undefined);
    const dead = httpTarget({ baseUrl: 'http://127.0.0.1:1', route: 'fast', connections: 1 });
    await expect(dead.setup!()).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.*perfbench serve/);
    const silent = httpTarget({ baseUrl: fake.url, route: 'fast', connections: 1, timeoutMs: 100 });
    await expect(silent.run(op(0, 'a'))).rejects.toThrow('no response within 100 ms');
    await dead.teardown!();
    await silent.teardown!();
    expect(() => httpTarget({ baseUrl: 'ftp://x', route: 'fast', connections: 1 })).toThrow(/unsupported URL scheme/);
  });
});
