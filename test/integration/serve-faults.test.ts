/**
 * Faults, against real servers: a private redis-server stopped and restarted mid-run, PostgreSQL
 * cut off (through a TCP proxy, so the machine's server keeps running) and back, and the slow
 * route's connection terminated by the server (pg_terminate_backend).
 */
import { Agent } from 'node:http';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/cache/redis.js';
import { MemoryCache } from '../../src/cache/memory.js';
import type { CacheTier } from '../../src/cache/tier.js';
import { createReportServer, type ReportServer, type ServerLimits } from '../../src/server/server.js';
import {
  PgProxy, WORKLOAD, TestRedis, countingPool, dropTable, eventually, fetchRaw, json, seedTable, slowFactory, uniqueNamespace,
} from './serve-helpers.js';
import { TEST_DATABASE_URL } from '../support/services.js';

const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  await seedTable();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

afterAll(async () => {
  await dropTable();
});

async function start(cache: CacheTier, databaseUrl = TEST_DATABASE_URL, limits: Partial<ServerLimits> = {}) {
  const pool = countingPool(databaseUrl);
  const slow = slowFactory(databaseUrl);
  const logs: string[] = [];
  const server: ReportServer = createReportServer({
    workload: WORKLOAD, pool, connectSlow: slow.connect, cache, namespace: uniqueNamespace('faults'), ttlSeconds: 300,
    log: (line) => logs.push(line), limits: { databaseRetryMs: 200, healthTimeoutMs: 500, ...limits },
  });
  const { url } = await server.listen(0, '127.0.0.1');
  cleanups.push(async () => {
    await server.close();
    await pool.end();
  });
  return { server, url, pool, slow, logs };
}

describe('Redis stopped and restarted mid-run', () => {
  it('answers from the database with BYPASS, logs it once, and uses the cache again when Redis returns', async () => {
    const redis = await TestRedis.start();
    cleanups.push(() => redis.stop());
    const tier = await connectRedis({ mode: 'external', host: '127.0.0.1', port: redis.port, password: undefined, username: undefined, db: 0, tls: false, sources: {} }, 2_000);
    cleanups.push(() => tier.close());
    const { url, logs, pool } = await start(tier);

    const miss = await fetchRaw(`${url}/report/fast?category=cat-04`);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect((await fetchRaw(`${url}/report/fast?category=cat-04`)).headers['x-cache']).toBe('HIT');

    await redis.stop();
    const during = [];
    for (let i = 0; i < 5; i++) during.push(await fetchRaw(`${url}/report/fast?category=cat-04`));
    expect(during.map((reply) => [reply.status, reply.headers['x-cache']])).toEqual(Array(5).fill([200, 'BYPASS']));
    expect(during.every((reply) => reply.body.equals(miss.body))).toBe(true);
    expect(pool.reportQueries).toBe(6);
    const health = await fetchRaw(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(json(health)).toMatchObject({ status: 'degraded', database: { up: true }, cache: { up: false } });
    const downLines = logs.filter((line) => /unavailable/.test(line));
    expect(downLines).toHaveLength(1);
    expect(downLines[0]).toMatch(/BYPASS/);

    await redis.start();
    // ioredis reconnects in the background (backoff up to 2 s); the first answer after that is a MISS (the server restarted empty).
    const back = await eventually('the cache to be used again', async () => {
      const reply = await fetchRaw(`${url}/report/fast?category=cat-04`);
      return reply.headers['x-cache'] !== 'BYPASS' ? reply : undefined;
    });
    expect(back.headers['x-cache']).toBe('MISS');
    expect((await fetchRaw(`${url}/report/fast?category=cat-04`)).headers['x-cache']).toBe('HIT');
    // The line may wait for the end of the 5 s window that began with the "unavailable" line.
    await eventually('the "is back" line', async () => (logs.some((line) => /is back/.test(line)) ? true : undefined));
    expect(logs.filter((line) => /is back/.test(line))).toHaveLength(1);
    expect(logs.filter((line) => /unavailable/.test(line))).toHaveLength(1);
  });
});

describe('Redis refusing writes (maxmemory reached, noeviction)', () => {
  it('/healthz says degraded (cache read-only) while /report/fast answers BYPASS, and the log says so once, not per request', async () => {
    const redis = await TestRedis.start();
    cleanups.push(() => redis.stop());
    const control = await redis.client();
    cleanups.push(async () => control.disconnect());
    const tier = await connectRedis({ mode: 'external', host: '127.0.0.1', port: redis.port, password: undefined, username: undefined, db: 0, tls: false, sources: {} }, 2_000);
    cleanups.push(() => tier.close());
    const { url, logs, server } = await start(tier, TEST_DATABASE_URL, { cacheLogIntervalMs: 3_000 });
    const cacheLines = () => logs.filter((line) => line.startsWith('cache ('));

    expect((await fetchRaw(`${url}/report/fast?category=cat-01`)).headers['x-cache']).toBe('MISS');
    expect((await fetchRaw(`${url}/report/fast?category=cat-01`)).headers['x-cache']).toBe('HIT');
    expect(json(await fetchRaw(`${url}/healthz`))).toMatchObject({ status: 'ok', cache: { up: true, state: 'up', read: { up: true }, write: { up: true } } });

    // Past maxmemory with noeviction: reads answer, every write is refused.
    await control.set('filler', 'x'.repeat(2 * 1024 * 1024));
    await control.config('SET', 'maxmemory-policy', 'noeviction');
    await control.config('SET', 'maxmemory', '1mb');

    const health = await fetchRaw(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(json(health)).toMatchObject({
      status: 'degraded', database: { up: true },
      cache: { up: false, state: 'read-only', error: expect.stringMatching(/^OOM command not allowed/), read: { up: true }, write: { up: false, error: expect.stringMatching(/^OOM/) } },
    });

    // 120 requests from 4 clients, as the traffic: the cached report is still a HIT, every other one a BYPASS.
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    cleanups.push(async () => agent.destroy());
    const answers: Record<string, number> = {};
    await Promise.all(Array.from({ length: 4 }, async (_, worker) => {
      for (let i = worker; i < 120; i += 4) {
        const category = `cat-${String((i % 20) + 1).padStart(2, '0')}`;
        const reply = await fetchRaw(`${url}/report/fast?category=${category}`, { agent });
        const key = `${category === 'cat-01' ? 'cached' : 'other'} ${String(reply.status)} ${String(reply.headers['x-cache'])}`;
        answers[key] = (answers[key] ?? 0) + 1;
      }
    }));
    // Every 20th request asks for cat-01 (the one cached before): 6 hits, 114 bypasses.
    expect(answers).toEqual({ 'cached 200 HIT': 6, 'other 200 BYPASS': 114 });
    expect(json(await fetchRaw(`${url}/healthz`))).toMatchObject({ status: 'degraded', cache: { state: 'read-only' } });
    expect((await fetchRaw(`${url}/metrics`)).body.toString()).toMatch(/^perfbench_cache_up 0$/m);
    // One line for the whole episode (the log had 279 "unavailable" and 278 "back" lines in 5 s).
    expect(cacheLines()).toEqual([
      expect.stringMatching(/^cache \(redis [\d.]+\) refuses writes \(OOM command not allowed[^)]*\): \/report\/fast serves what is cached and answers misses from the database with X-Cache: BYPASS, uncached, until a write succeeds$/),
    ]);

    // Writes accepted again: the next miss is cached, and that write brings the cache back.
    await control.config('SET', 'maxmemory', '0');
    const miss = await fetchRaw(`${url}/report/fast?category=cat-02`);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect((await fetchRaw(`${url}/report/fast?category=cat-02`)).headers['x-cache']).toBe('HIT');
    expect(json(await fetchRaw(`${url}/healthz`))).toMatchObject({ status: 'ok', cache: { up: true, state: 'up' } });
    expect(server.metrics.cache.MISS).toBe(2);
    // Inside the 3 s window that began with the first line, the "back" line waits for the window's end.
    await eventually('the "is back" line', async () => (cacheLines().length > 1 ? true : undefined), 10_000);
    expect(cacheLines()).toHaveLength(2);
    expect(cacheLines()[1]).toMatch(/^cache \(redis [\d.]+\) is back: a write succeeded; \/report\/fast caches reports again/);
  });
});

describe('PostgreSQL unavailable', () => {
  it('answers 503 with a JSON error while it is down, keeps serving cache hits, and recovers without a restart', async () => {
    const proxy = await PgProxy.start();
    cleanups.push(() => proxy.down());
    const { url, slow, logs, server } = await start(new MemoryCache(), proxy.url);

    expect((await fetchRaw(`${url}/report/slow?category=cat-06`)).status).toBe(200);
    expect((await fetchRaw(`${url}/report/fast?category=cat-06`)).headers['x-cache']).toBe('MISS');

    await proxy.down();
    for (const route of ['slow', 'fast']) {
      const reply = await fetchRaw(`${url}/report/${route}?category=cat-08`);
      expect(reply.status, route).toBe(503);
      expect(reply.headers['retry-after']).toBe('1');
      expect(json(reply)).toMatchObject({ status: 503, error: expect.stringMatching(/^database unavailable: /) });
    }
    // A cached report needs no database.
    const hit = await fetchRaw(`${url}/report/fast?category=cat-06`);
    expect([hit.status, hit.headers['x-cache']]).toEqual([200, 'HIT']);
    const health = await fetchRaw(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(json(health)).toMatchObject({ status: 'down', database: { up: false } });
    expect(server.metrics.render({ inFlight: 0, slowQueueDepth: 0, databaseUp: false, cacheUp: true })).toContain('perfbench_database_up 0');

    await proxy.up();
    for (const route of ['slow', 'fast']) {
      const reply = await eventually(`${route} to recover`, async () => {
        const attempt = await fetchRaw(`${url}/report/${route}?category=cat-08`);
        return attempt.status === 200 ? attempt : undefined;
      });
      expect(json(reply)).toMatchObject({ category: 'cat-08' });
    }
    // The slow route's connection died with the outage and was opened again.
    expect(slow.state.connects).toBeGreaterThanOrEqual(2);
    expect(logs.filter((line) => /^database unavailable/.test(line))).toHaveLength(1);
    expect(logs.filter((line) => /^database is back/.test(line))).toHaveLength(1);
    expect((await fetchRaw(`${url}/healthz`)).status).toBe(200);
  });

  it("re-creates the slow route's connection after the server terminates its backend", async () => {
    const { url, slow } = await start(new MemoryCache());
    expect((await fetchRaw(`${url}/report/slow?category=cat-02`)).status).toBe(200);
    expect(slow.state.connects).toBe(1);

    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const terminated = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [slow.state.applicationName]);
      expect(terminated.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    // The idle client hears of its death and is dropped; at most one request may meet it first.
    const statuses: number[] = [];
    await eventually('the slow route to answer again', async () => {
      const reply = await fetchRaw(`${url}/report/slow?category=cat-02`);
      statuses.push(reply.status);
      return reply.status === 200 ? true : undefined;
    });
    expect(statuses.filter((status) => status !== 200).length).toBeLessThanOrEqual(1);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    expect(slow.state.connects).toBe(2);
  });
});
