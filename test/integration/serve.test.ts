/**
 * `perfbench serve` against the test PostgreSQL (a table of this file's own) and Redis: bodies,
 * cache headers, TTL, single-flight, bad requests, limits and graceful shutdown.
 */
import { once } from 'node:events';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KEY_PREFIX } from '../../src/cache/report-cache.js';
import { connectRedis } from '../../src/cache/redis.js';
import type { RedisCache } from '../../src/cache/redis.js';
import { runWorkload } from '../../src/db/report.js';
import { createReportServer, type ReportServer, type ServerLimits } from '../../src/server/server.js';
import {
  WORKLOAD, countingPool, dropTable, eventually, fetchRaw, gate, json, rawExchange, seedTable, slowFactory, uniqueNamespace,
} from './serve-helpers.js';
import { TEST_DATABASE_URL, testConfig } from '../support/services.js';

let cache: RedisCache;
const namespaces: string[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  await seedTable();
  cache = await connectRedis(testConfig().redis, 2_000);
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

afterAll(async () => {
  for (const namespace of namespaces) await cache.deletePrefix(`${KEY_PREFIX}report:v1:${namespace}:`);
  await cache.close();
  await dropTable();
});

interface Harness {
  server: ReportServer;
  url: string;
  port: number;
  pool: ReturnType<typeof countingPool>;
  slow: ReturnType<typeof slowFactory>;
  logs: string[];
}

async function start(options: { ttlSeconds?: number; limits?: Partial<ServerLimits> } = {}): Promise<Harness> {
  const pool = countingPool();
  const slow = slowFactory();
  const namespace = uniqueNamespace('serve');
  namespaces.push(namespace);
  const logs: string[] = [];
  const server = createReportServer({
    workload: WORKLOAD, pool, connectSlow: slow.connect, cache, namespace, ttlSeconds: options.ttlSeconds ?? 300,
    log: (line) => logs.push(line), limits: options.limits,
  });
  const bound = await server.listen(0, '127.0.0.1');
  cleanups.push(async () => {
    await server.close();
    await pool.end();
  });
  return { server, url: bound.url, port: bound.port, pool, slow, logs };
}

async function expectedBody(category: string): Promise<Buffer> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return WORKLOAD.body(category, (await runWorkload(client, WORKLOAD, category)).rows);
  } finally {
    await client.end();
  }
}

async function backends(applicationName: string): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const result = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    return Number(result.rows[0]!.n);
  } finally {
    await client.end();
  }
}

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  if (!line) throw new Error(`no series ${series} in metrics`);
  return Number(line.slice(series.length + 1));
}

describe('the report routes', () => {
  it('answers the same body on /report/slow and /report/fast, equal to the query run directly', async () => {
    const { url } = await start();
    const expected = await expectedBody('cat-03');
    const slowReply = await fetchRaw(`${url}/report/slow?category=cat-03`);
    const fastReply = await fetchRaw(`${url}/report/fast?category=cat-03`);
    const hitReply = await fetchRaw(`${url}/report/fast?category=cat-03`);
    expect(slowReply.status).toBe(200);
    expect(fastReply.status).toBe(200);
    expect(slowReply.body.equals(expected)).toBe(true);
    expect(fastReply.body.equals(expected)).toBe(true);
    expect(hitReply.body.equals(expected)).toBe(true);

    const body = json(fastReply) as { category: string; count: number; products: Array<{ category: string }> };
    expect(body.category).toBe('cat-03');
    expect(body.count).toBeGreaterThan(0);
    expect(body.products).toHaveLength(body.count);
    expect(body.products.every((product) => product.category === 'cat-03')).toBe(true);
    expect(slowReply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(slowReply.headers['content-length'])).toBe(expected.length);
  });

  it('says MISS, then HIT on the fast route, BYPASS on the slow one, with a Server-Timing breakdown', async () => {
    const { url, pool } = await start();
    const first = await fetchRaw(`${url}/report/fast?category=cat-05`);
    const second = await fetchRaw(`${url}/report/fast?category=cat-05`);
    const slowReply = await fetchRaw(`${url}/report/slow?category=cat-05`);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(slowReply.headers['x-cache']).toBe('BYPASS');
    expect(pool.reportQueries).toBe(1);
    for (const reply of [first, second, slowReply]) {
      expect(reply.headers['server-timing']).toMatch(/^queue;dur=\d+\.\d{3}, cache;dur=\d+\.\d{3}, db;dur=\d+\.\d{3}, total;dur=\d+\.\d{3}$/);
    }
    // A hit never touches the database.
    expect(second.headers['server-timing']).toContain('db;dur=0.000');
    expect(first.headers['server-timing']).not.toContain('db;dur=0.000');
  });

  it('answers HEAD with the headers and no body', async () => {
    const { url } = await start();
    const reply = await fetchRaw(`${url}/report/fast?category=cat-01`, { method: 'HEAD' });
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(0);
    expect(Number(reply.headers['content-length'])).toBe((await expectedBody('cat-01')).length);
    expect(reply.headers['x-cache']).toBe('MISS');
  });

  it('expires cached reports after the TTL', async () => {
    const { url, pool } = await start({ ttlSeconds: 1 });
    expect((await fetchRaw(`${url}/report/fast?category=cat-07`)).headers['x-cache']).toBe('MISS');
    expect((await fetchRaw(`${url}/report/fast?category=cat-07`)).headers['x-cache']).toBe('HIT');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Redis expires a key within a few ms of its TTL: poll rather than assume the exact moment.
    await eventually('the key to expire', async () => {
      const reply = await fetchRaw(`${url}/report/fast?category=cat-07`);
      return reply.headers['x-cache'] === 'MISS' ? true : undefined;
    }, 5_000);
    expect(pool.reportQueries).toBe(2);
  });

  it('runs one query for a burst of concurrent misses of one key (single-flight)', async () => {
    const { url, pool, server } = await start();
    const held = gate();
    pool.gate = held.promise;
    const burst = Array.from({ length: 20 }, () => fetchRaw(`${url}/report/fast?category=cat-09`));
    // Hold the one query until all 20 requests are inside the server, so they truly overlap.
    await eventually('20 requests in flight', async () => {
      const scrape = await fetchRaw(`${url}/metrics`);
      return metricValue(scrape.body.toString(), 'perfbench_http_in_flight_requests') >= 21 ? true : undefined;
    });
    held.open();
    const replies = await Promise.all(burst);
    expect(pool.reportQueries).toBe(1);
    expect(server.metrics.queries.fast).toBe(1);
    expect(replies.every((reply) => reply.status === 200 && reply.headers['x-cache'] === 'MISS')).toBe(true);
    expect(new Set(replies.map((reply) => reply.body.toString('base64'))).size).toBe(1);
    expect((await fetchRaw(`${url}/report/fast?category=cat-09`)).headers['x-cache']).toBe('HIT');
  });

  it('serves the slow route strictly one request at a time on one connection', async () => {
    const { url, slow, server } = await start();
    const held = gate();
    slow.state.gate = held.promise;
    const queued = Array.from({ length: 4 }, (_, i) => fetchRaw(`${url}/report/slow?category=cat-1${i}`));
    await eventually('4 requests queued on the slow route', async () => {
      const scrape = await fetchRaw(`${url}/metrics`);
      return metricValue(scrape.body.toString(), 'perfbench_slow_queue_depth') === 4 ? true : undefined;
    });
    held.open();
    const replies = await Promise.all(queued);
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200]);
    expect(slow.state.connects).toBe(1);
    expect(server.metrics.queries.slow).toBe(4);
    // Requests behind others waited in the queue, and the header says so.
    const queueMs = replies.map((reply) => Number(/queue;dur=([\d.]+)/.exec(String(reply.headers['server-timing']))![1]));
    expect(queueMs.filter((ms) => ms > 0).length).toBeGreaterThanOrEqual(3);
  });
});

describe('bad requests', () => {
  it('answers 400 with a JSON error for a missing or invalid category', async () => {
    const { url, pool } = await start();
    const cases: Array<[string, RegExp]> = [
      ['', /missing query parameter 'category'/],
      ['?category=', /is empty/],
      ['?category=a&category=b', /once/],
      [`?category=${'x'.repeat(129)}`, /longer than 128 characters/],
      ['?category=cat%0A01', /printable/],
      ['?category=%FF%FE', /printable/],
      ['?other=cat-01', /missing query parameter 'category'/],
    ];
    for (const [query, message] of cases) {
      for (const route of ['slow', 'fast']) {
        const reply = await fetchRaw(`${url}/report/${route}${query}`);
        expect(reply.status, `${route}${query}`).toBe(400);
        expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(json(reply)).toMatchObject({ status: 400, error: expect.stringMatching(message) });
      }
    }
    expect(pool.reportQueries).toBe(0);
  });

  it('answers 404 for unknown routes, 405 with Allow for other methods, 413 for a body', async () => {
    const { url } = await start();
    const notFound = await fetchRaw(`${url}/report/medium?category=cat-01`);
    expect(notFound.status).toBe(404);
    expect(json(notFound).error).toMatch(/not found/);
    expect((await fetchRaw(`${url}/`)).status).toBe(404);

    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const reply = await fetchRaw(`${url}/report/fast?category=cat-01`, { method });
      expect(reply.status, method).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD');
    }
    const withBody = await fetchRaw(`${url}/report/fast?category=cat-01`, { body: 'x'.repeat(100), headers: { 'Content-Type': 'text/plain', 'Content-Length': '100' } });
    expect(withBody.status).toBe(413);
    expect(withBody.headers.connection).toBe('close');
    const chunked = await fetchRaw(`${url}/healthz`, { headers: { 'Transfer-Encoding': 'chunked' }, body: 'hello' });
    expect(chunked.status).toBe(413);
  });

  it('answers 414 for a long URL, 431 for oversized headers, 400 for garbage, and keeps serving', async () => {
    const { url, port } = await start();
    const longUrl = await fetchRaw(`${url}/report/fast?category=cat-01&pad=${'a'.repeat(3_000)}`);
    expect(longUrl.status).toBe(414);

    const bigHeader = await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(bigHeader).toMatch(/^HTTP\/1\.1 431 /);
    expect(bigHeader).toContain('"status":431');

    const garbage = await rawExchange(port, 'HELLO THERE\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);

    expect((await fetchRaw(`${url}/report/fast?category=cat-01`)).status).toBe(200);
    const scrape = (await fetchRaw(`${url}/metrics`)).body.toString();
    expect(metricValue(scrape, 'perfbench_http_requests_total{route="other",status="431"}')).toBe(1);
    expect(metricValue(scrape, 'perfbench_http_requests_total{route="/report/fast",status="414"}')).toBe(1);
  });

  it('times out a client that sends its headers too slowly (408) and closes idle keep-alive connections', async () => {
    const { port } = await start({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300, connectionsCheckingIntervalMs: 50 } });
    const slowloris = await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    expect(slowloris).toMatch(/^HTTP\/1\.1 408 /);

    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(socket, 'close');
    // The server, not the client, closed the kept-alive connection.
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received).toMatch(/Connection: keep-alive/i);
  });
});

describe('health and metrics', () => {
  it('reports database and cache status on /healthz', async () => {
    const { url } = await start();
    const reply = await fetchRaw(`${url}/healthz`);
    expect(reply.status).toBe(200);
    expect(json(reply)).toMatchObject({ status: 'ok', database: { up: true }, cache: { up: true, tier: expect.stringMatching(/^redis /) } });
  });

  it('counts requests per route and status, cache outcomes and latencies in Prometheus text', async () => {
    const { url } = await start();
    await fetchRaw(`${url}/report/fast?category=cat-02`);
    await fetchRaw(`${url}/report/fast?category=cat-02`);
    await fetchRaw(`${url}/report/fast?category=cat-02`);
    await fetchRaw(`${url}/report/slow?category=cat-02`);
    await fetchRaw(`${url}/report/slow`);
    await fetchRaw(`${url}/nowhere`);
    const reply = await fetchRaw(`${url}/metrics`);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = reply.body.toString();
    expect(metricValue(text, 'perfbench_http_requests_total{route="/report/fast",status="200"}')).toBe(3);
    expect(metricValue(text, 'perfbench_http_requests_total{route="/report/slow",status="200"}')).toBe(1);
    expect(metricValue(text, 'perfbench_http_requests_total{route="/report/slow",status="400"}')).toBe(1);
    expect(metricValue(text, 'perfbench_http_requests_total{route="other",status="404"}')).toBe(1);
    expect(metricValue(text, 'perfbench_report_cache_total{result="hit"}')).toBe(2);
    expect(metricValue(text, 'perfbench_report_cache_total{result="miss"}')).toBe(1);
    expect(metricValue(text, 'perfbench_db_queries_total{route="/report/fast"}')).toBe(1);
    expect(metricValue(text, 'perfbench_http_request_duration_seconds_count{route="/report/fast"}')).toBe(3);
    expect(metricValue(text, 'perfbench_http_request_duration_seconds_bucket{route="/report/fast",le="+Inf"}')).toBe(3);
    expect(metricValue(text, 'perfbench_http_request_duration_seconds_count{route="/report/slow"}')).toBe(2);
  });
});

describe('graceful shutdown', () => {
  it('answers in-flight requests, refuses new connections, then ends the slow connection', async () => {
    const { url, server, slow } = await start();
    expect((await fetchRaw(`${url}/report/slow?category=cat-01`)).status).toBe(200);
    expect(await backends(slow.state.applicationName)).toBe(1);
    const held = gate();
    slow.state.gate = held.promise;
    const agent = new Agent({ keepAlive: true });
    cleanups.push(async () => agent.destroy());
    const inFlight = [1, 2, 3].map((i) => fetchRaw(`${url}/report/slow?category=cat-0${i}`, { agent }));
    await eventually('3 slow requests in flight', async () => {
      const scrape = await fetchRaw(`${url}/metrics`);
      return metricValue(scrape.body.toString(), 'perfbench_slow_queue_depth') === 3 ? true : undefined;
    });
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await eventually('the listener to close', async () => (server.server.listening ? undefined : true));
    await expect(fetchRaw(`${url}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(closed).toBe(false);

    held.open();
    const replies = await Promise.all(inFlight);
    await closing;
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200]);
    for (const [i, reply] of replies.entries()) expect(reply.body.equals(await expectedBody(`cat-0${i + 1}`))).toBe(true);
    expect(replies.every((reply) => reply.headers.connection === 'close')).toBe(true);
    // The dedicated connection was ended by close(): its backend is gone.
    await eventually('the slow connection to end', async () => (await backends(slow.state.applicationName)) === 0 ? true : undefined);
  });
});
