/**
 * Faults during `serve`, through the command's own wiring (startServe: the runtime's pool, its
 * connectClient for the slow route, connectRedis from the configuration). serve-faults.test.ts
 * covers each fault against createReportServer with injected parts; this adds both faults at once
 * on the real wiring: Redis killed, then PostgreSQL cut off (a TCP proxy in front of the machine's
 * server, which keeps running) and both back, with recovery and no restart of perfbench.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { startServe } from '../../src/usecases/report-server.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import pg from 'pg';
import { PgProxy, TestRedis, eventually, fetchRaw, json } from './serve-helpers.js';
import { TEST_DATABASE_URL, dropSeededTable, testRuntime, uniqueTable, withRuntime } from '../support/services.js';

const table = uniqueTable('fault_serve');
const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });

beforeAll(async () => {
  await admin.connect();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '4000', categories: '10', distribution: 'uniform', seed: '6' })));
});
afterAll(async () => {
  await dropSeededTable(admin, table);
  await admin.end();
});

describe('serve: Redis killed, then PostgreSQL restarted, on the command wiring', () => {
  it('falls back to the database, answers 503 while both are down, and recovers without a restart', async () => {
    const redis = await TestRedis.start();
    const proxy = await PgProxy.start();
    const runtime = testRuntime({ DATABASE_URL: proxy.url, REDIS_URL: `redis://127.0.0.1:${redis.port}/0`, PERFBENCH_CONNECT_TIMEOUT_MS: '1000' });
    try {
      const running = await startServe(runtime, {
        port: 0, host: '127.0.0.1', table: tableIdentifier(table), column: columnIdentifier('category'), ttlSeconds: 60, poolSize: 2,
        limits: { databaseRetryMs: 200, healthTimeoutMs: 500 },
      });
      const get = (route: string, category: string) => fetchRaw(`${running.url}/report/${route}?category=${category}`);
      const first = await get('fast', 'cat-1');
      expect([first.status, first.headers['x-cache']]).toEqual([200, 'MISS']);
      expect((await get('fast', 'cat-1')).headers['x-cache']).toBe('HIT');

      // Redis gone: the same report, from the database.
      await redis.stop();
      const bypass = await get('fast', 'cat-1');
      expect([bypass.status, bypass.headers['x-cache']]).toEqual([200, 'BYPASS']);
      expect(bypass.body.equals(first.body)).toBe(true);

      // PostgreSQL gone too: 503 with a JSON error on both routes, health says down.
      await proxy.down();
      for (const route of ['slow', 'fast']) {
        const reply = await get(route, 'cat-2');
        expect(reply.status, route).toBe(503);
        expect(json(reply)).toMatchObject({ status: 503, error: expect.stringMatching(/^database unavailable: /) });
      }
      expect((await fetchRaw(`${running.url}/healthz`)).status).toBe(503);

      // Both back: every route answers again, and the cache is used again.
      await proxy.up();
      await redis.start();
      for (const route of ['slow', 'fast']) {
        const reply = await eventually(`${route} to recover`, async () => {
          const attempt = await get(route, 'cat-2');
          return attempt.status === 200 ? attempt : undefined;
        });
        expect((json(reply) as { count: number }).count).toBeGreaterThan(0);
      }
      await eventually('the cache to be used again', async () => ((await get('fast', 'cat-3')).headers['x-cache'] === 'MISS' ? true : undefined));
      expect((await get('fast', 'cat-3')).headers['x-cache']).toBe('HIT');
      expect((await fetchRaw(`${running.url}/healthz`)).status).toBe(200);
      const logs = runtime.out.stderr;
      expect(logs).toMatch(/database unavailable/);
      expect(logs).toMatch(/database is back/);
      expect(logs).not.toMatch(/\n\s+at /);
    } finally {
      await runtime.close();
      await proxy.down();
      await redis.stop();
    }
  });
});
