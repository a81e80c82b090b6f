import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startEmbeddedRedis } from '../../src/cache/embedded-redis.js';
import { connectRedis } from '../../src/cache/redis.js';
import { ReportCache } from '../../src/cache/report-cache.js';
import { loadConfig } from '../../src/config.js';
import { freeLoopbackPort } from '../../src/net.js';
import { TEST_REDIS_URL, testRuntime } from '../support/services.js';

const redisConfig = (url: string) => loadConfig({ flags: {}, env: { REDIS_URL: url }, cwd: '/' }).redis;

describe('Redis tier against the real Redis', () => {
  it('sets with a TTL, gets, counts hits and misses, and deletes by prefix', async () => {
    const cache = await connectRedis(redisConfig(TEST_REDIS_URL), 2000);
    try {
      const prefix = `perfbench:test:${process.pid}:`;
      const before = await cache.stats();
      await cache.set(`${prefix}a`, Buffer.from('value'), 30);
      await cache.set(`${prefix}b*`, 'glob-looking key', 30);
      expect((await cache.get(`${prefix}a`))?.toString()).toBe('value');
      expect(await cache.get(`${prefix}missing`)).toBeNull();
      const after = await cache.stats();
      expect(after.hits - before.hits).toBeGreaterThanOrEqual(1);
      expect(after.misses - before.misses).toBeGreaterThanOrEqual(1);
      expect(await cache.deletePrefix(prefix)).toBe(2);
      expect(await cache.get(`${prefix}a`)).toBeNull();
      const info = await cache.info();
      expect(info.version).toMatch(/^\d+\.\d+/);
      expect(info.usedMemoryBytes).toBeGreaterThan(0);
      expect(cache.label).toMatch(/^redis \d/);
    } finally {
      await cache.close();
    }
  });

  it('fails fast with one line when nothing listens', async () => {
    const port = await freeLoopbackPort();
    const error = await connectRedis(redisConfig(`redis://127.0.0.1:${port}`), 2000).catch((e) => e);
    expect(error.line).toBe(`cannot connect to Redis at 127.0.0.1:${port}: connection refused — is redis-server running? check REDIS_URL / REDIS_HOST / REDIS_PORT (or --redis-url)`);
  });

  it('reports a wrong password', async () => {
    const server = await startEmbeddedRedis();
    const port = server!.port;
    spawnSync('redis-cli', ['-p', String(port), 'CONFIG', 'SET', 'requirepass', 'right']);
    try {
      const error = await connectRedis(redisConfig(`redis://:wrong@127.0.0.1:${port}`), 2000).catch((e) => e);
      expect(error.line).toContain('authentication failed');
      expect(error.line).not.toContain('wrong');
    } finally {
      await server!.stop();
    }
  });
});

describe('embedded redis-server', () => {
  it('starts on a free loopback port without persistence and stops', async () => {
    const server = await startEmbeddedRedis();
    expect(server).toBeDefined();
    const cache = await connectRedis(redisConfig(`redis://127.0.0.1:${server!.port}`), 2000, 'embedded-redis');
    const config = await cache.info();
    expect(config.version).toMatch(/^\d/);
    const save = spawnSync('redis-cli', ['-p', String(server!.port), 'CONFIG', 'GET', 'save'], { encoding: 'utf8' });
    expect(save.stdout.split('\n')[1]).toBe('');
    await cache.close();
    await server!.stop();
    const ping = spawnSync('redis-cli', ['-p', String(server!.port), 'PING'], { encoding: 'utf8' });
    expect(ping.stdout).not.toContain('PONG');
  });

  it('is absent when there is no redis-server binary', async () => {
    expect(await startEmbeddedRedis('/nonexistent/redis-server')).toBeUndefined();
  });

  it('reports a binary that will not start', async () => {
    await expect(startEmbeddedRedis('/bin/false')).rejects.toThrow(/could not start a private redis-server/);
  });
});

describe('runtime cache selection', () => {
  it('uses the configured Redis, a private one, or the in-process tier', async () => {
    const external = testRuntime();
    expect((await external.cache()).kind).toBe('redis');
    await external.close();

    const embedded = testRuntime({ REDIS_URL: '' });
    const tier = await embedded.cache();
    expect(tier.kind).toBe('embedded-redis');
    expect(tier.label).toMatch(/^embedded redis/);
    await embedded.close();

    const memory = testRuntime({ REDIS_URL: 'memory://' });
    expect((await memory.cache()).kind).toBe('in-process');
    await memory.close();
  });

  it('falls back to the in-process tier, saying so once, when redis-server is not on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const runtime = testRuntime({ REDIS_URL: '' });
      expect((await runtime.cache()).kind).toBe('in-process');
      expect(runtime.out.stderr).toContain('no redis-server on PATH');
      await runtime.close();
    } finally {
      process.env.PATH = path;
    }
  });

  it('serves the report cache through real Redis', async () => {
    const runtime = testRuntime();
    const tier = await runtime.cache();
    const namespace = `test-${process.pid}`;
    const cache = new ReportCache({ tier, namespace, ttlSeconds: 1, load: async (category) => Buffer.from(category) });
    expect((await cache.get('x')).status).toBe('MISS');
    expect((await cache.get('x')).status).toBe('HIT');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await cache.get('x')).status).toBe('MISS');
    expect(await tier.deletePrefix(`perfbench:report:v1:${namespace}:`)).toBe(1);
    await runtime.close();
  });
});
