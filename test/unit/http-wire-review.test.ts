/** Review: cases the wire transport gets wrong. */
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpTransport } from '../../src/targets/http-transport.js';
import { HttpResponseReader, type HttpAnswer } from '../../src/targets/http-response-reader.js';

const servers: NetServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

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
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), connections: () => connections };
}

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms))]);
const okAnswer = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

describe('wireTransport (review)', () => {
  it('an unsolicited keep-alive non-200 answer after a response must not leave a dead connection in the pool', async () => {
    const server = await raw((socket, n) => socket.write(okAnswer(`answer ${n}`) + (n === 1 ? 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n' : '')));
    const transport = httpTransport(server.url, { connections: 1, timeoutMs: 200, keptBodyBytes: 1024 });
    expect((await transport.get('/a', true)).body).toBe('answer 1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Either an answer or a rejection is fine; hanging past its own timeout is not.
    const b = within(transport.get('/b', true).then((a) => a.body, (e: Error) => e.message), 2000);
    await expect(b).resolves.toBe('answer 2');
    transport.destroy();
  });

  it('a Connection: close answer followed by more bytes must not put the closed connection back in the pool', async () => {
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
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => res.end(req.headers.host));
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    const port = (server.address() as AddressInfo).port;
    const transport = httpTransport(new URL(`http://[::1]:${port}/`), { connections: 1, timeoutMs: 1000, keptBodyBytes: 1024 });
    expect((await transport.get('/', true)).body).toBe(`[::1]:${port}`);
    transport.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads an HTTP/1.0 answer and a body framed by the close', async () => {
    const server = await raw((socket, n) => socket.end(n % 2 ? `HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc` : 'HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nuntil close'));
    const transport = httpTransport(server.url, { connections: 1, timeoutMs: 1000, keptBodyBytes: 1024 });
    expect((await transport.get('/a', true)).body).toBe('abc');
    expect((await transport.get('/b', true)).body).toBe('until close');
    expect((await transport.get('/c', false)).bytes).toBe(3);
    transport.destroy();
  });

  it('times out a slow request within its bound, not before', async () => {
    const server = await raw(() => {});
    const transport = httpTransport(server.url, { connections: 1, timeoutMs: 300, keptBodyBytes: 1024 });
    const t0 = Date.now();
    await expect(transport.get('/a', false)).rejects.toThrow(/no response within 300 ms/);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(295);
    expect(took).toBeLessThan(500);
    transport.destroy();
  });
});

describe('HttpResponseReader every two-way split (review)', () => {
  it('gives the same answers however a stream of responses is cut in three', () => {
    const wire = Buffer.from(
      'HTTP/1.1 100 Continue\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1\r\n!\r\n0\r\nT: 1\r\n\r\n' +
      'HTTP/1.1 204 No Content\r\nX: y\r\n\r\n' +
      'HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope' +
      'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' +
      'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi');
    const run = (cuts: number[]) => {
      const answers: HttpAnswer[] = [];
      const reader = new HttpResponseReader((a) => answers.push(a), () => 100);
      let from = 0;
      for (const cut of [...cuts, wire.length]) {
        const piece = Buffer.alloc(cut - from + 8, 0x55); // a view of a bigger buffer, like the reused one
        wire.copy(piece, 4, from, cut);
        reader.feed(piece.subarray(4, 4 + cut - from));
        piece.fill(0x41);
        from = cut;
      }
      expect(reader.idle).toBe(true);
      return answers;
    };
    const whole = run([]);
    expect(whole.map((a) => [a.status, a.bytes, a.body, a.keepAlive])).toEqual([[200, 6, 'hello!', true], [204, 0, '', true], [404, 4, 'nope', true], [200, 0, '', true], [200, 0, '', true], [200, 2, 'hi', true]]);
    for (let i = 1; i < wire.length; i++) for (let j = i; j < wire.length; j++) expect(run([i, j])).toEqual(whole);
  });
});
