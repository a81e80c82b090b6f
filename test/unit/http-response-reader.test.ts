/** The load client's HTTP/1.1 response reader: heads, every body framing, chunks split anywhere, kept bodies, and what it refuses. */
import { describe, expect, it } from 'vitest';
import { HttpProtocolError, HttpResponseReader, type HttpAnswer } from '../../src/targets/http-response-reader.js';

/** Feeds `wire` in pieces of `size` bytes (0: all at once); the answers, and whether the reader ended idle. */
function read(wire: string | Buffer, size = 0, keep = 0, end = false): { answers: HttpAnswer[]; idle: boolean } {
  const answers: HttpAnswer[] = [];
  const reader = new HttpResponseReader((answer) => answers.push(answer), () => keep);
  const bytes = typeof wire === 'string' ? Buffer.from(wire, 'utf8') : wire;
  const step = size || bytes.length;
  for (let at = 0; at < bytes.length; at += step) reader.feed(Buffer.from(bytes.subarray(at, at + step)));
  if (end) reader.end();
  return { answers, idle: reader.idle };
}

/** The same answers whether the bytes come at once, one at a time, or in pieces of 2, 3, 5 or 7. */
function readEverySplit(wire: string | Buffer, keep = 0, end = false): HttpAnswer[] {
  const whole = read(wire, 0, keep, end).answers;
  for (const size of [1, 2, 3, 5, 7]) expect(read(wire, size, keep, end).answers).toEqual(whole);
  return whole;
}

const ok = (body: string, headers = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`;

describe('HttpResponseReader', () => {
  it('reads Content-Length bodies, back to back, counting their bytes without keeping them', () => {
    const answers = readEverySplit(ok('hello', 'X-Cache: NEAR\r\nServer-Timing: total;dur=0.1\r\n') + ok('', 'X-Cache: HIT\r\n') + ok('é'.repeat(10)));
    expect(answers).toEqual([
      { status: 200, headers: { 'content-length': '5', 'x-cache': 'NEAR', 'server-timing': 'total;dur=0.1' }, bytes: 5, body: '', keepAlive: true },
      { status: 200, headers: { 'content-length': '0', 'x-cache': 'HIT' }, bytes: 0, body: '', keepAlive: true },
      { status: 200, headers: { 'content-length': '20' }, bytes: 20, body: '', keepAlive: true },
    ]);
  });

  it('keeps a body up to the bound asked for, multi-byte characters split across reads included', () => {
    const body = JSON.stringify({ error: 'ü'.repeat(30), sqlstate: '22P02' });
    expect(readEverySplit(ok(body), 1000)[0]!.body).toBe(body);
    const cut = readEverySplit(ok(body), 10)[0]!;
    expect(cut.bytes).toBe(Buffer.byteLength(body));
    expect(Buffer.byteLength(cut.body, 'utf8')).toBeLessThanOrEqual(10 + 2);
    expect(body.startsWith(cut.body.replace(/\uFFFD$/, ''))).toBe(true);
  });

  it('asks how much to keep once per answer, with its status', () => {
    const statuses: number[] = [];
    const answers: HttpAnswer[] = [];
    const reader = new HttpResponseReader((answer) => answers.push(answer), (status) => (statuses.push(status), status === 200 ? 0 : 100));
    reader.feed(Buffer.from(ok('kept not') + 'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops'));
    expect(statuses).toEqual([200, 500]);
    expect(answers.map((a) => [a.status, a.body])).toEqual([[200, ''], [500, 'oops']]);
  });

  it('de-chunks a chunked body, with chunk extensions and trailers', () => {
    const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n' + ok('next');
    const answers = readEverySplit(wire, 100);
    expect(answers.map((a) => [a.bytes, a.body])).toEqual([[15, 'hello0123456789'], [4, 'next']]);
  });

  it('reads a body that ends with the connection, and answers without a body (204, 304, HEAD-less 1xx first)', () => {
    const untilClose = readEverySplit('HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nall of it', 100, true);
    expect(untilClose).toEqual([{ status: 200, headers: { 'x-a': '1' }, bytes: 9, body: 'all of it', keepAlive: false }]);
    const noBody = readEverySplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n' + ok('z'));
    expect(noBody.map((a) => [a.status, a.bytes])).toEqual([[304, 0], [204, 0], [200, 1]]);
  });

  it('joins repeated headers, lower-cases names, and knows when the server will close', () => {
    const [joined] = read(ok('', 'Set-Cookie: a=1\r\nSET-COOKIE: b=2\r\n')).answers;
    expect(joined!.headers['set-cookie']).toBe('a=1, b=2');
    expect(read(ok('', 'Connection: close\r\n')).answers[0]!.keepAlive).toBe(false);
    expect(read('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').answers[0]!.keepAlive).toBe(false);
    expect(read('HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n').answers[0]!.keepAlive).toBe(true);
  });

  it('is idle only between answers', () => {
    expect(read(ok('abc')).idle).toBe(true);
    expect(read(ok('abc').slice(0, 10)).idle).toBe(false);
    expect(read(ok('abc').slice(0, -1)).idle).toBe(false);
  });

  it('refuses what is not HTTP/1.x framing, in one line', () => {
    const refused = (wire: string, end = false) => {
      try {
        read(wire, 0, 0, end);
      } catch (error) {
        expect(error).toBeInstanceOf(HttpProtocolError);
        expect((error as Error).message).not.toContain('\n');
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused('SSH-2.0-OpenSSH_9.2\r\n\r\n')).toMatch(/^malformed HTTP response: status line "SSH-2.0/);
    expect(refused('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n')).toMatch(/header line/);
    expect(refused('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n')).toMatch(/Content-Length "-1"/);
    expect(refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')).toMatch(/chunk size "zz"/);
    expect(refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab')).toMatch(/no CRLF after a chunk/);
    expect(refused('HTTP/1.1 101 Switching Protocols\r\n\r\n')).toMatch(/101/);
    expect(refused(`HTTP/1.1 200 OK\r\nX: ${'y'.repeat(70_000)}`)).toMatch(/a head over 65536 bytes/);
    expect(refused(ok('abc').slice(0, -1), true)).toMatch(/closed in the middle of a response/);
  });

  it('gives the same answers however a stream of responses is cut (in two anywhere, in three around any short middle piece), over views of a buffer overwritten after each read', () => {
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
    // Every cut in two, and every cut in three whose middle piece is up to 6 bytes: enough for any
    // CRLFCRLF, chunk line or size split over three reads (every pair of cuts took 5 s of the suite).
    for (let i = 1; i < wire.length; i++) for (let j = i; j < Math.min(wire.length, i + 7); j++) expect(run([i, j])).toEqual(whole);
  });
});
