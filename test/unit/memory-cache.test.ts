import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../src/cache/memory.js';

describe('in-process cache tier', () => {
  it('expires entries after their TTL and counts hits and misses', async () => {
    let now = 0;
    const cache = new MemoryCache(() => now);
    await cache.set('a', 'x', 10);
    expect((await cache.get('a'))?.toString()).toBe('x');
    now = 10_001;
    expect(await cache.get('a')).toBeNull();
    expect(await cache.stats()).toEqual({ hits: 1, misses: 1 });
    expect(cache.label).toContain('in-process');
  });

  it('deletes by prefix and reports its memory', async () => {
    const cache = new MemoryCache();
    await cache.set('p:1', 'aa', 60);
    await cache.set('p:2', 'bb', 60);
    await cache.set('q:1', 'cc', 60);
    expect((await cache.info()).usedMemoryBytes).toBe(3 * 5);
    expect(await cache.deletePrefix('p:')).toBe(2);
    expect(await cache.get('q:1')).not.toBeNull();
    await cache.close();
    expect(await cache.get('q:1')).toBeNull();
  });
});
