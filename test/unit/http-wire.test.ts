/**
 * The load client's own connections (http-wire.ts) against loopback servers: a node:http one, and
 * raw sockets scripted to close, stall or answer oddly at the moment a test needs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpClient } from '../../src/targets/http.js';
import { httpTransport } from '../../src/targets/http-transport.js';

const servers: (HttpServer | NetServer)[] = [];
const options = { connections: 2, timeoutMs: 5_000, keptBodyBytes: 1024 };

afterEach(async () => {
  for (const server of servers.splice(0)) {
    if ('closeAllConnections' in server) server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen<S extends HttpServer | NetServer>(server: S): Promise<URL> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

/** A raw server: `onRequest(socket, n)` for the n-th request head it reads on any connection. */
async function raw(onRequest: (socket: Socket, n: number) => void): Promise<{ url: URL; connections: () => number }> {
  let requests = 0;
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      let end;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        pending = pending.slice(end + 4);
        onRequest(socket, ++requests);
      }
    });
    socket.on('error', () => {});
  });
  return { url: await listen(server), connections: () => connections };
}

const okAnswer = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
/** `p`, or a rejection saying it is still pending after `ms`: a hang fails the test instead of timing it out. */
const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms))]);

describe('wireTransport', () => {
  it('sends GETs with the base path and Host over at most N keep-alive connections, and counts every body', async () => {
    const seen: { url: string | undefined; host: string | undefined }[] = [];
    let sockets = 0;
    const server = createHttpServer((req, res) => {
      seen.push({ url: req.url, host: req.headers.host });
      const size = Number(new URL(req.url!, 'http://x').searchParams.get('size'));
      if (size % 2) {
        res.writeHead(200, { 'X-Cache': 'HIT' });
        res.end(Buffer.alloc(size, 'a')); // Content-Length
      } else {
        res.writeHead(200, { 'X-Cache': 'MISS' });
        for (let at = 0; at < size; at += 1000) res.write(Buffer.alloc(Math.min(1000, size - at), 'b')); // chunked
        res.end();
      }
    });
    server.on('connection', () => sockets++);
    const url = await listen(server);
    const transport = httpTransport(new URL('/api/', url), options);
    const sizes = [0, 1, 999, 1000, 4_001, 122_000, 300_001, 7];
    const answers = await Promise.all(sizes.map((size) => transport.get(`/report/fast?size=${size}`, false)));
    expect(answers.map((a) => a.bytes)).toEqual(sizes);
    expect(answers.map((a) => a.headers['x-cache'])).toEqual(sizes.map((s) => (s % 2 ? 'HIT' : 'MISS')));
    expect(answers.every((a) => a.body === '' && a.status === 200)).toBe(true);
    expect(seen.map((s) => s.url)).toEqual(expect.arrayContaining(sizes.map((s) => `/api/report/fast?size=${s}`)));
    expect(new Set(seen.map((s) => s.host))).toEqual(new Set([url.host]));
    expect(sockets).toBe(2);
    const kept = await transport.get('/healthz?size=11', true);
    expect(kept.body).toBe('a'.repeat(11));
    transport.destroy();
  });

  it('sends a GET again on a new connection when the server closed the reused one instead of answering', async () => {
    const server = await raw((socket, n) => {
      if (n === 2) socket.destroy(); // the keep-alive race: the second GET meets a close
      else socket.write(okAnswer(`answer ${n}`));
    });
    const transport = httpTransport(server.url, { ...options, connections: 1 });
    expect((await transport.get('/a', true)).body).toBe('answer 1');
    expect(transport.resent()).toBe(0);
    expect((await transport.get('/b', true)).body).toBe('answer 3');
    expect(server.connections()).toBe(2);
    // Counted, so that a run can say so: the GET's latency spans both sends.
    expect(transport.resent()).toBe(1);
    transport.destroy();
  });

  it('counts the GETs sent again in the client summary, from its last reset', async () => {
    // Every second request meets a close: each GET after the first is a keep-alive race, sent again.
    const server = await raw((socket, n) => (n % 2 === 0 ? socket.destroy() : socket.write(`HTTP/1.1 200 OK\r\nX-Cache: HIT\r\nContent-Length: 2\r\n\r\nok`)));
    const client = httpClient({ baseUrl: server.url.href, connections: 1 });
    await client.exchange('/a');
    await client.exchange('/b');
    expect(client.serverTiming()).toMatchObject({ responses: 2, xCache: { HIT: 2 }, resent: 1 });
    client.resetServerTiming();
    expect(client.serverTiming().resent).toBe(0);
    await client.exchange('/c');
    await client.exchange('/d');
    expect(client.serverTiming()).toMatchObject({ responses: 2, resent: 2 });
    client.destroy();
  });

  it('fails a GET once the retry meets a close too, and a GET on a fresh connection at once', async () => {
    const server = await raw((socket, n) => (n === 1 ? socket.write(okAnswer('first')) : socket.destroy()));
    const transport = httpTransport(server.url, { ...options, connections: 1 });
    await transport.get('/a', false);
    await expect(transport.get('/b', false)).rejects.toThrow(/socket hang up/);
    expect(server.connections()).toBe(2);
    await expect(transport.get('/c', false)).rejects.toThrow(/socket hang up/);
    expect(server.connections()).toBe(3);
    // /b was sent a second time (and failed); /c, on a fresh connection, was not.
    expect(transport.resent()).toBe(1);
    transport.destroy();
  });

  it('opens a new connection after an answer with Connection: close, or one cut short', async () => {
    const server = await raw((socket, n) => {
      if (n === 1) socket.end(`HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok`);
      else if (n === 2) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort');
      else socket.write(okAnswer('again'));
    });
    const transport = httpTransport(server.url, { ...options, connections: 1 });
    expect((await transport.get('/a', true)).body).toBe('ok');
    await expect(transport.get('/b', false)).rejects.toThrow(/^malformed HTTP response: the connection closed in the middle of a response$/);
    expect((await transport.get('/c', true)).body).toBe('again');
    expect(server.connections()).toBe(3);
    transport.destroy();
  });

  it('queues GETs beyond N connections and answers them in turn', async () => {
    const server = await raw((socket, n) => setTimeout(() => socket.write(okAnswer(String(n))), 5));
    const transport = httpTransport(server.url, { ...options, connections: 3 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => transport.get(`/${i}`, true)));
    expect(answers.map((a) => Number(a.body)).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(server.connections()).toBe(3);
    transport.destroy();
  });

  it('times out a silent server, refuses a path that would break the request line, and says when nothing listens', async () => {
    const server = await raw(() => {});
    const transport = httpTransport(server.url, { ...options, timeoutMs: 100 });
    await expect(transport.get('/silent', false)).rejects.toThrow(/^no response within 100 ms$/);
    await expect(transport.get('/a b', false)).rejects.toThrow(/request path contains unescaped characters: "\/a b"/);
    await expect(transport.get('/a\r\nX-Injected: 1', false)).rejects.toThrow(/unescaped characters/);
    transport.destroy();
    const closed = await raw(() => {});
    const port = closed.url.port;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const nowhere = httpTransport(new URL(`http://127.0.0.1:${port}`), options);
    await expect(nowhere.get('/', false)).rejects.toThrow(/ECONNREFUSED/);
    nowhere.destroy();
  });

  it('fails what is waiting or in flight when destroyed, and refuses new GETs after', async () => {
    const server = await raw(() => {});
    const transport = httpTransport(server.url, { ...options, connections: 1 });
    const inFlight = transport.get('/1', false);
    const waiting = transport.get('/2', false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    transport.destroy();
    await expect(inFlight).rejects.toThrow(/the HTTP client was closed/);
    await expect(waiting).rejects.toThrow(/the HTTP client was closed/);
    await expect(transport.get('/3', false)).rejects.toThrow(/the HTTP client was closed/);
  });

  it('closes a connection on an answer to no request (an unsolicited non-200 after a response), and the next GET gets a new one', async () => {
    const server = await raw((socket, n) => socket.write(okAnswer(`answer ${n}`) + (n === 1 ? 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n' : '')));
    const transport = httpTransport(server.url, { connections: 1, timeoutMs: 200, keptBodyBytes: 1024 });
    expect((await transport.get('/a', true)).body).toBe('answer 1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Either an answer or a rejection is fine; hanging past its own timeout is not.
    const b = within(transport.get('/b', true).then((a) => a.body, (e: Error) => e.message), 2000);
    await expect(b).resolves.toBe('answer 2');
    transport.destroy();
  });

  it('never puts a connection back in the pool after a Connection: close answer, whatever bytes follow it', async () => {
    const server = await raw((socket, n) => socket.write(n === 1
      ? 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok' + 'HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n'
      : okAnswer(`answer ${n}`)));
    const transport = httpTransport(server.url, { connections: 1, timeoutMs: 200, keptBodyBytes: 1024 });
    expect((await transport.get('/a', true)).body).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(within(transport.get('/b', true).then((a) => a.body, (e: Error) => e.message), 2000)).resolves.not.toMatch(/still pending/);
    transport.destroy();
  });

  it('does not take an extra answer in the same read for the answer to a request waiting for the connection', async () => {
    const server = await raw((socket, n) => socket.write(okAnswer(`answer ${n}`) + (n === 1 ? okAnswer('not asked for') : '')));
    const transport = httpTransport(server.url, { connections: 1, timeoutMs: 1000, keptBodyBytes: 1024 });
    const [a, b] = await Promise.all([transport.get('/a', true), transport.get('/b', true)]);
    expect([a.body, b.body]).toEqual(['answer 1', 'answer 2']);
    transport.destroy();
  });

  it('does not take part of an extra answer in the same read for the start of the next answer', async () => {
    const server = await raw((socket, n) => {
      if (n > 1) return socket.write(okAnswer(`answer ${n}`));
      socket.write(okAnswer('answer 1') + 'HTTP/1.1 500 Not Asked For\r\nContent-Length: 5\r\n');
      setTimeout(() => socket.write('\r\nbogus'), 30);
    });
    const transport = httpTransport(server.url, { connections: 1, timeoutMs: 1000, keptBodyBytes: 1024 });
    const [a, b] = await Promise.all([transport.get('/a', true), transport.get('/b', true)]);
    expect([a.body, b.body]).toEqual(['answer 1', 'answer 2']);
    transport.destroy();
  });

  it('does not time out a slow answer that keeps coming', async () => {
    const server = await raw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n');
      let sent = 0;
      const timer = setInterval(() => {
        socket.write('x');
        if (++sent === 10) clearInterval(timer);
      }, 60);
    });
    const transport = httpTransport(server.url, { connections: 1, timeoutMs: 150, keptBodyBytes: 1024 });
    expect((await transport.get('/slow', true)).body).toBe('x'.repeat(10));
    transport.destroy();
  });

  it('sends Host with brackets for an IPv6 address', async () => {
    const server = createHttpServer((req, res) => res.end(req.headers.host));
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    const port = (server.address() as AddressInfo).port;
    const transport = httpTransport(new URL(`http://[::1]:${port}/`), { connections: 1, timeoutMs: 1000, keptBodyBytes: 1024 });
    expect((await transport.get('/', true)).body).toBe(`[::1]:${port}`);
    transport.destroy();
    servers.push(server);
  });

  it('reads an HTTP/1.0 answer and a body framed by the close', async () => {
    const server = await raw((socket, n) => socket.end(n % 2 ? `HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc` : 'HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nuntil close'));
    const transport = httpTransport(server.url, { connections: 1, timeoutMs: 1000, keptBodyBytes: 1024 });
    expect((await transport.get('/a', true)).body).toBe('abc');
    expect((await transport.get('/b', true)).body).toBe('until close');
    expect((await transport.get('/c', false)).bytes).toBe(3);
    transport.destroy();
  });

  it('times out a silent server after its bound, not before', async () => {
    const server = await raw(() => {});
    const transport = httpTransport(server.url, { connections: 1, timeoutMs: 300, keptBodyBytes: 1024 });
    const t0 = Date.now();
    await expect(transport.get('/a', false)).rejects.toThrow(/no response within 300 ms/);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(295);
    // Late by at most a sweep (75 ms here) on an idle machine; a loaded one delays timers further.
    expect(took).toBeLessThan(5_000);
    transport.destroy();
  });
  it('keeps the process alive only while a GET is in flight, as Node\'s agent does', async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((type) => type === 'TCPSocketWrap').length;
    const inFlight: number[] = [];
    const server = await raw((socket) => {
      inFlight.push(sockets());
      socket.write(okAnswer('x'));
    });
    const transport = httpTransport(server.url, { ...options, connections: 1 });
    try {
      await transport.get('/a', false);
      const idle = sockets();
      // While the GET was in flight the client's connection counted; idle in the pool, it does not.
      expect(inFlight[0]).toBe(idle + 1);
      await transport.get('/b', false);
      expect(inFlight[1]).toBe(idle + 1);
      expect(sockets()).toBe(idle);
    } finally {
      transport.destroy();
    }
  });

  it('reads headers named like Object.prototype\'s properties as headers', async () => {
    const server = await raw((socket) => socket.write('HTTP/1.1 200 OK\r\nConstructor: c\r\n__proto__: p\r\nContent-Length: 0\r\n\r\n'));
    const transport = httpTransport(server.url, options);
    const { headers } = await transport.get('/', false);
    expect([headers.constructor, headers.__proto__]).toEqual(['c', 'p']);
    transport.destroy();
  });

  it('speaks https through Node\'s client: the same answers, and the certificate checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perfbench-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
        res.writeHead(req.url === '/p/missing' ? 404 : 200, { 'X-Cache': 'HIT', 'Set-Cookie': ['a=1', 'b=2'] });
        res.end(req.url === '/p/missing' ? '{"error":"no such route"}' : 'x'.repeat(5000));
      });
      const url = await listen(server);
      url.protocol = 'https:';
      const checked = httpTransport(new URL('/p', url), options);
      await expect(checked.get('/report', false)).rejects.toThrow(/self[- ]signed certificate/);
      checked.destroy();
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
      const trusting = httpTransport(new URL('/p', url), options);
      const answer = await trusting.get('/report', false);
      expect([answer.status, answer.bytes, answer.body, answer.headers['x-cache'], answer.headers['set-cookie']]).toEqual([200, 5000, '', 'HIT', 'a=1, b=2']);
      expect((await trusting.get('/missing', false)).body).toBe('{"error":"no such route"}');
      trusting.destroy();
    } finally {
      delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a scheme it cannot speak', () => {
    expect(() => httpTransport(new URL('ftp://127.0.0.1/'), options)).toThrow(/unsupported URL scheme ftp: \(use http:\/\/ or https:\/\/\)/);
  });
});
