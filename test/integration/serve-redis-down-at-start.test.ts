/**
 * serve with Redis down when it starts: it starts anyway, degraded (one warning, the fast route
 * answers from the database with X-Cache: BYPASS, /healthz says degraded in plain words), and once
 * a redis-server answers on that port the cache works without a restart. A private redis-server on
 * a loopback port; the shared one is never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../../src/usecases/report-server.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { testRuntime } from '../support/services.js';
import { dropTable, eventually, fetchRaw, json, seedTable, TABLE, TestRedis } from './serve-helpers.js';

let redis: TestRedis;

beforeAll(async () => {
  await seedTable();
  redis = await TestRedis.reserve();
});

afterAll(async () => {
  await redis.stop();
  await dropTable();
});

describe('serve with Redis down at start', () => {
  it('starts degraded, says so once, answers BYPASS, and uses the cache once Redis answers', async () => {
    const runtime = testRuntime({ REDIS_URL: `redis://127.0.0.1:${redis.port}/0`, PERFBENCH_CONNECT_TIMEOUT_MS: '500' });
    try {
      const running = await startServe(runtime, {
        port: 0, host: '127.0.0.1', table: tableIdentifier(TABLE), column: columnIdentifier('category'), ttlSeconds: 60, poolSize: 2,
      });
      const warnings = runtime.out.stderr.trim().split('\n').filter((line) => line.includes('starting without the cache'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`cannot connect to Redis at 127.0.0.1:${redis.port}: connection refused`);

      const bypass = await fetchRaw(`${running.url}/report/fast?category=${running.exampleCategory}`);
      expect(bypass.status).toBe(200);
      expect(bypass.headers['x-cache']).toBe('BYPASS');
      const health = await fetchRaw(`${running.url}/healthz`);
      expect(health.status).toBe(200);
      const body = json(health) as { status: string; cache: { up: boolean; error?: string; tier: string } };
      expect(body.status).toBe('degraded');
      expect(body.cache.up).toBe(false);
      expect(body.cache.error).not.toMatch(/Stream isn't writeable|enableOfflineQueue/);

      await redis.start();
      await eventually('the fast route to use the cache again', async () => {
        const reply = await fetchRaw(`${running.url}/report/fast?category=${running.exampleCategory}`);
        return reply.headers['x-cache'] === 'HIT' ? reply : undefined;
      }, 20_000);
      const recovered = json(await fetchRaw(`${running.url}/healthz`)) as { status: string };
      expect(recovered.status).toBe('ok');
    } finally {
      await runtime.close();
    }
  });
});
