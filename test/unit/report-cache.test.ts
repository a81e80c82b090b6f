import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../src/cache/memory.js';
import { ReportCache, reportKey } from '../../src/cache/report-cache.js';
import type { CacheTier } from '../../src/cache/tier.js';

function counter() {
  let calls = 0;
  const load = async (category: string) => {
    calls++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return Buffer.from(`{"category":"${category}"}`);
  };
  return { load, calls: () => calls };
}

/** A tier whose server is "down" while `down` is true: every call rejects, as ioredis does offline. */
class SwitchableTier extends MemoryCache {
  down = false;
  override async get(key: string) {
    if (this.down) throw new Error('Connection is closed.');
    return super.get(key);
  }
  override async set(key: string, value: Buffer | string, ttl: number) {
    if (this.down) throw new Error('Connection is closed.');
    return super.set(key, value, ttl);
  }
}

describe('report cache-aside', () => {
  it('misses, then hits, under a key carrying the namespace', async () => {
    const tier = new MemoryCache();
    const { load, calls } = counter();
    const cache = new ReportCache({ tier, namespace: 'fp1:products:category', ttlSeconds: 60, load });
    const first = await cache.get('cat-1');
    const second = await cache.get('cat-1');
    expect([first.status, second.status]).toEqual(['MISS', 'HIT']);
    expect(second.body.toString()).toBe('{"category":"cat-1"}');
    expect(calls()).toBe(1);
    expect(cache.key('cat-1')).toBe('perfbench:report:v1:fp1:products:category:cat-1');
    expect(await tier.get(reportKey('fp1:products:category', 'cat-1'))).not.toBeNull();
    expect(first.dbMs).toBeGreaterThan(0);
  });

  it('runs one query for a burst of concurrent misses (single-flight)', async () => {
    const { load, calls } = counter();
    const cache = new ReportCache({ tier: new MemoryCache(), namespace: 'n', ttlSeconds: 60, load });
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.get('hot')));
    expect(calls()).toBe(1);
    expect(new Set(results.map((result) => result.body.toString())).size).toBe(1);
  });

  it('bypasses a failing tier, tells every GET and SET outcome, and recovers', async () => {
    const tier = new SwitchableTier();
    const { load, calls } = counter();
    const events: string[] = [];
    const cache = new ReportCache({ tier, namespace: 'n', ttlSeconds: 60, load, onCacheEvent: (op, ok) => events.push(`${op} ${ok ? 'ok' : 'failed'}`) });
    tier.down = true;
    expect((await cache.get('a')).status).toBe('BYPASS');
    expect((await cache.get('a')).status).toBe('BYPASS');
    tier.down = false;
    expect((await cache.get('a')).status).toBe('MISS');
    expect((await cache.get('a')).status).toBe('HIT');
    expect(events).toEqual(['get failed', 'get failed', 'get ok', 'set ok', 'get ok']);
    expect(calls()).toBe(3);
  });

  it('serves the loaded body when only the SET fails, and tells that the SET failed', async () => {
    const tier: CacheTier = Object.assign(new MemoryCache(), { set: async () => { throw new Error('OOM command not allowed'); } });
    const { load } = counter();
    const events: Array<[string, boolean, string | undefined]> = [];
    const cache = new ReportCache({ tier, namespace: 'n', ttlSeconds: 60, load, onCacheEvent: (op, ok, error) => events.push([op, ok, error?.message]) });
    const result = await cache.get('x');
    expect(result.status).toBe('BYPASS');
    expect(result.body.toString()).toBe('{"category":"x"}');
    expect(events).toEqual([['get', true, undefined], ['set', false, 'OOM command not allowed']]);
  });
});
