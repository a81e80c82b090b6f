/**
 * /report/fast with a near cache (issue 13, item 1), on a private redis-server this file may flush,
 * kill and restart, and the test PostgreSQL: hot reports answered from memory (X-Cache: NEAR, counted
 * in /metrics), their gzip and brotli encodings and entity tags, 304 on If-None-Match, a key changed
 * in Redis never served stale once its invalidation arrived, and Redis killed and restored with no
 * stale answer.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, redisInBackground, type RedisCache } from '../../src/cache/redis.js';
import { reportKey } from '../../src/cache/report-cache.js';
import { runTarget } from '../../src/measure/runner.js';
import { createReportServer } from '../../src/server/server.js';
import { httpPath } from '../../src/targets/http-path.js';
import type { PathContext } from '../../src/targets/path.js';
import { categorySequence } from '../../src/workload/sequence.js';
import { WORKLOAD, countingPool, dropTable, eventually, fetchRaw, seedTable, slowFactory, TestRedis, uniqueNamespace } from './serve-helpers.js';
import { testConfig } from '../support/services.js';

let redis: TestRedis;
let cache: RedisCache;
/** Another client of the private server: the "other application" writing keys. */
let writer: Redis;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  await seedTable();
  redis = await TestRedis.start();
  cache = await connectRedis(testConfig({ REDIS_URL: `redis://127.0.0.1:${redis.port}/0` }).redis, 2_000);
  writer = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
  writer.on('error', () => undefined);
  await writer.connect();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

afterAll(async () => {
  writer.disconnect();
  await cache.close();
  await redis.stop();
  await dropTable();
});

async function start(nearCacheBytes = 16 * 1024 * 1024) {
  const pool = countingPool();
  const namespace = uniqueNamespace('near');
  const logs: string[] = [];
  const server = createReportServer({
    workload: WORKLOAD, pool, connectSlow: slowFactory().connect, cache, namespace, ttlSeconds: 300,
    log: (line) => logs.push(line), nearCacheBytes,
  });
  const bound = await server.listen(0, '127.0.0.1');
  cleanups.push(async () => {
    await server.close();
    await pool.end();
  });
  await eventually('the near cache to be coherent', async () => (server.near?.coherent ? true : undefined), 10_000);
  const fast = (category: string, headers: Record<string, string> = {}) => fetchRaw(`${bound.url}/report/fast?category=${category}`, { headers });
  /** Requests until the answer comes from memory (the entry is stored once its encodings are made). */
  const untilNear = (category: string) => eventually(`${category} from the near cache`, async () => {
    const reply = await fast(category);
    return reply.headers['x-cache'] === 'NEAR' ? reply : undefined;
  }, 5_000);
  return { server, url: bound.url, pool, namespace, logs, fast, untilNear, key: (category: string) => reportKey(namespace, category) };
}

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  if (!line) throw new Error(`no series ${series} in metrics`);
  return Number(line.slice(series.length + 1));
}

describe('/report/fast with a near cache', () => {
  it('says MISS, HIT, then NEAR with the same bytes and no database query, counted in /metrics', async () => {
    const { url, pool, fast, untilNear, server } = await start();
    const miss = await fast('cat-02');
    const hit = await fast('cat-02');
    expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT']);
    const near = await untilNear('cat-02');
    expect(near.status).toBe(200);
    expect(near.body.equals(miss.body)).toBe(true);
    expect(near.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(near.headers['cache-control']).toBe('no-cache');
    expect(near.headers['vary']).toBe('Accept-Encoding');
    expect(near.headers['content-encoding']).toBeUndefined();
    expect(near.headers['etag']).toBe(miss.headers['etag']);
    expect(near.headers['server-timing']).toMatch(/^queue;dur=0\.000, cache;dur=0\.000, db;dur=0\.000, total;dur=\d+\.\d{3}$/);
    expect(pool.reportQueries).toBe(1);
    const metrics = (await fetchRaw(`${url}/metrics`)).body.toString();
    expect(metricValue(metrics, 'perfbench_report_cache_total{result="near"}')).toBe(server.metrics.cache.NEAR);
    expect(server.metrics.cache.NEAR).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'perfbench_near_cache_coherent')).toBe(1);
    expect(metricValue(metrics, 'perfbench_near_cache_entries')).toBe(1);
    expect(metricValue(metrics, 'perfbench_near_cache_bytes')).toBeGreaterThan(miss.body.length);
  });

  it('sends the encoding the client accepts, made once, each with its own entity tag, and identity otherwise', async () => {
    const { fast, untilNear } = await start();
    await fast('cat-04');
    const plain = await untilNear('cat-04');
    const gzip = await fast('cat-04', { 'Accept-Encoding': 'gzip' });
    const br = await fast('cat-04', { 'Accept-Encoding': 'gzip, deflate, br' });
    const refused = await fast('cat-04', { 'Accept-Encoding': 'br;q=0, gzip;q=0' });
    expect(gzip.headers['x-cache']).toBe('NEAR');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.equals(plain.body)).toBe(true);
    expect(gzip.body.length).toBeLessThan(plain.body.length / 3);
    expect(Number(gzip.headers['content-length'])).toBe(gzip.body.length);
    const tags = [plain, gzip, br].map((reply) => reply.headers['etag']);
    expect(new Set(tags).size).toBe(3);
    expect(tags[1]).toBe(`${tags[0]!.slice(0, -1)}-gzip"`);
  });

  it('answers 304 without a body when If-None-Match holds the current tag, from memory and from Redis', async () => {
    const { fast, untilNear } = await start();
    const first = await fast('cat-06');
    const etag = first.headers['etag'] as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const hit = await fast('cat-06', { 'If-None-Match': etag });
    expect(hit.status).toBe(304);
    expect(hit.headers['x-cache']).toBe('HIT');
    await untilNear('cat-06');
    const near = await fast('cat-06', { 'If-None-Match': `"other", W/${etag}` });
    expect(near.status).toBe(304);
    expect(near.body.length).toBe(0);
    expect(near.headers['etag']).toBe(etag);
    expect(near.headers['x-cache']).toBe('NEAR');
    // The gzip representation has its own tag: the identity tag does not validate it.
    const gzip = await fast('cat-06', { 'If-None-Match': etag, 'Accept-Encoding': 'gzip' });
    expect(gzip.status).toBe(200);
    expect((await fast('cat-06', { 'If-None-Match': gzip.headers['etag'] as string, 'Accept-Encoding': 'gzip' })).status).toBe(304);
    expect((await fast('cat-06', { 'If-None-Match': '"stale"' })).status).toBe(200);
  });

  it('never serves a report stale once the invalidation of its changed key has arrived', async () => {
    const { fast, untilNear, key, server } = await start();
    await fast('cat-07');
    const original = await untilNear('cat-07');
    const changed = Buffer.from(JSON.stringify({ changed: 'by another client' }));
    await writer.set(key('cat-07'), changed, 'EX', 300);
    // Bounded: the invalidation evicts the key within 2 s.
    await eventually('the invalidation to evict the report', async () => (!server.near!.near.has(key('cat-07')) ? true : undefined), 2_000);
    for (let i = 0; i < 20; i++) {
      const reply = await fast('cat-07');
      expect(reply.body.equals(original.body), `answer ${i} is the old report`).toBe(false);
      expect(reply.body.equals(changed)).toBe(true);
    }
    expect((await untilNear('cat-07')).body.equals(changed)).toBe(true);
  });

  it('drops everything on FLUSHALL: the next answers are read again', async () => {
    const { fast, untilNear, server, pool } = await start();
    await fast('cat-08');
    await untilNear('cat-08');
    await writer.flushall();
    await eventually('the flush to arrive', async () => (server.near!.stats().flushes >= 1 ? true : undefined), 2_000);
    expect(server.near!.stats().entries).toBe(0);
    expect((await fast('cat-08')).headers['x-cache']).toBe('MISS');
    expect(pool.reportQueries).toBe(2);
  });

  it('Redis killed: drops the near cache and answers BYPASS from the database; restored: no stale answer', async () => {
    const { fast, untilNear, key, server, logs } = await start();
    const marker = (text: string) => Buffer.from(JSON.stringify({ marker: text }));
    await writer.set(key('cat-09'), marker('before the restart'), 'EX', 300);
    await fast('cat-09');
    expect((await untilNear('cat-09')).body.equals(marker('before the restart'))).toBe(true);

    await redis.stop();
    await eventually('the near cache to be dropped', async () => (!server.near!.coherent ? true : undefined), 2_000);
    const down = await fast('cat-09');
    expect(down.headers['x-cache']).toBe('BYPASS');
    expect(down.body.equals(marker('before the restart'))).toBe(false);

    await redis.start();
    await eventually('the writer to reconnect', async () => (writer.status === 'ready' ? true : undefined), 10_000);
    await writer.set(key('cat-09'), marker('after the restart'), 'EX', 300);
    const answers: Buffer[] = [];
    await eventually('the near cache to be coherent again', async () => {
      answers.push((await fast('cat-09')).body);
      return server.near!.coherent ? true : undefined;
    }, 15_000);
    answers.push((await untilNear('cat-09')).body);
    expect(answers.filter((body) => body.equals(marker('before the restart')))).toEqual([]);
    expect(answers.at(-1)!.equals(marker('after the restart'))).toBe(true);
    expect(logs.some((line) => /near cache dropped \(.*\): answering from Redis until invalidations arrive again/.test(line))).toBe(true);
    expect(logs).toContain('near cache back: Redis invalidations arrive again');
  }, 40_000);

  it("is timed by bench's http-fast path: near hits are hits", async () => {
    const { url } = await start();
    const sequence = categorySequence({ categories: 20, distribution: 'uniform', seed: 5 });
    const context: PathContext = {
      connect: () => Promise.reject(new Error('no database in this test')),
      workload: WORKLOAD, sequence,
      cache: () => Promise.reject(new Error('a server at a URL: not our tier')),
      keyNamespace: 'unused', ttlSeconds: 60, signal: new AbortController().signal, http: { baseUrl: url },
    };
    const path = httpPath(context, 'fast');
    try {
      const result = await runTarget(path.target(4), { concurrency: 4, iterations: 400, sequence });
      expect([result.ops, result.errors]).toEqual([400, 0]);
      const findings = await path.findings(false);
      expect(findings.flags).toEqual([]);
      expect(Object.keys(findings.serverTiming!.xCache).filter((status) => status !== 'HIT' && status !== 'NEAR')).toEqual([]);
      expect(findings.serverTiming!.xCache.NEAR).toBeGreaterThan(0);
    } finally {
      await path.close();
    }
  });

  it('with Redis down at start: answers BYPASS, says the near cache is not in use, and uses it once Redis answers', async () => {
    const late = await TestRedis.reserve();
    const background = redisInBackground(testConfig({ REDIS_URL: `redis://127.0.0.1:${late.port}/0` }).redis, 1_000);
    const pool = countingPool();
    const logs: string[] = [];
    const server = createReportServer({
      workload: WORKLOAD, pool, connectSlow: slowFactory().connect, cache: background, namespace: uniqueNamespace('near-late'), ttlSeconds: 300,
      log: (line) => logs.push(line), nearCacheBytes: 16 * 1024 * 1024,
    });
    const bound = await server.listen(0, '127.0.0.1');
    cleanups.push(async () => {
      await server.close();
      await pool.end();
      await background.close();
      await late.stop();
    });
    const fast = () => fetchRaw(`${bound.url}/report/fast?category=cat-13`);
    expect((await fast()).headers['x-cache']).toBe('BYPASS');
    await eventually('the not-in-use line', async () => (logs.some((line) => line.startsWith('near cache not in use yet: ')) ? true : undefined), 8_000);
    await late.start();
    await eventually('the near cache to be coherent', async () => (server.near!.coherent ? true : undefined), 10_000);
    expect(logs).toContain('near cache in use: Redis invalidations arrive');
    await eventually('a near hit', async () => ((await fast()).headers['x-cache'] === 'NEAR' ? true : undefined), 5_000);
  }, 30_000);

  it('stays within its bound: a bound smaller than two reports holds one', async () => {
    const first = await start();
    await first.fast('cat-10');
    const one = (await first.untilNear('cat-10')).body.length;
    const bytes = first.server.near!.stats().bytes;
    await cleanups.pop()!();
    const { fast, untilNear, server } = await start(Math.floor(bytes * 1.5));
    for (const category of ['cat-10', 'cat-11', 'cat-12']) {
      await fast(category);
      await untilNear(category);
      expect(server.near!.stats().bytes).toBeLessThanOrEqual(Math.floor(bytes * 1.5));
    }
    expect(server.near!.stats()).toMatchObject({ entries: 1 });
    expect(server.near!.stats().evicted).toBe(2);
    expect(one).toBeGreaterThan(0);
  });
});
