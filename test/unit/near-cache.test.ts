/**
 * The near cache's own rules, without Redis: bytes accounted per entry (key + value + overhead) and
 * never above the bound, least recently used out first, and fills voided by an invalidation, a
 * flush or a loss of coherence between `begin` and `commit`.
 */
import { describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD_BYTES, NearCache, ownBytes } from '../../src/cache/near-cache.js';

/** Values are byte counts, so the accounting is plain arithmetic. */
function cache(maxBytes: number): NearCache<number> {
  const near = new NearCache<number>({ maxBytes, sizeOf: (bytes) => bytes });
  near.enable();
  return near;
}

function put(near: NearCache<number>, key: string, bytes: number): boolean {
  const fill = near.begin(key);
  if (!fill) throw new Error(`no fill for ${key}`);
  return near.commit(fill, bytes);
}

describe('near cache size accounting', () => {
  it('counts key bytes, value bytes and the per-entry overhead', () => {
    const near = cache(10_000);
    put(near, 'k1', 100);
    put(near, 'ключ', 50);
    // 'ключ' is 4 characters but 8 UTF-8 bytes.
    expect(near.stats().bytes).toBe((2 + 100 + ENTRY_OVERHEAD_BYTES) + (8 + 50 + ENTRY_OVERHEAD_BYTES));
    expect(near.stats().entries).toBe(2);
  });

  it('replacing a key counts only the new value', () => {
    const near = cache(10_000);
    put(near, 'k', 100);
    put(near, 'k', 300);
    expect(near.stats()).toMatchObject({ entries: 1, bytes: 1 + 300 + ENTRY_OVERHEAD_BYTES });
  });

  it('stays within its bound when more than the bound is inserted, evicting least recently used first', () => {
    const entry = 2 + 200 + ENTRY_OVERHEAD_BYTES; // keys k0..k9: 2 bytes each
    const near = cache(entry * 4 + entry - 1); // room for 4 entries, not 5
    for (let i = 0; i < 10; i++) {
      put(near, `k${i}`, 200);
      expect(near.stats().bytes).toBeLessThanOrEqual(near.maxBytes);
    }
    expect(near.keys()).toEqual(['k6', 'k7', 'k8', 'k9']);
    expect(near.stats()).toMatchObject({ entries: 4, bytes: entry * 4, evicted: 6, stored: 10 });
  });

  it('a hit makes the key the most recently used, so it outlives older ones', () => {
    const entry = 2 + 100 + ENTRY_OVERHEAD_BYTES;
    const near = cache(entry * 3);
    put(near, 'k1', 100);
    put(near, 'k2', 100);
    put(near, 'k3', 100);
    expect(near.get('k1')).toBe(100);
    expect(near.keys()).toEqual(['k2', 'k3', 'k1']);
    put(near, 'k4', 100);
    expect(near.keys()).toEqual(['k3', 'k1', 'k4']);
    expect(near.get('k2')).toBeUndefined();
    expect(near.stats()).toMatchObject({ hits: 1, misses: 1, evicted: 1 });
  });

  it('evicts as many entries as a large value needs, and never stores a value larger than the bound', () => {
    const small = 2 + 100 + ENTRY_OVERHEAD_BYTES;
    const near = cache(small * 3);
    put(near, 'k1', 100);
    put(near, 'k2', 100);
    put(near, 'k3', 100);
    const big = small * 2 - 2 - ENTRY_OVERHEAD_BYTES; // needs the room of two small entries
    expect(put(near, 'kb', big)).toBe(true);
    expect(near.keys()).toEqual(['k3', 'kb']);
    expect(near.stats().bytes).toBe(small * 3);
    expect(put(near, 'kx', small * 3)).toBe(false);
    expect(near.stats()).toMatchObject({ tooLarge: 1, entries: 2, bytes: small * 3 });
  });

  it('a bound of 0 stores nothing', () => {
    const near = cache(0);
    expect(put(near, 'k', 1)).toBe(false);
    expect(near.stats()).toMatchObject({ entries: 0, bytes: 0, tooLarge: 1 });
  });

  it('refuses a negative bound', () => {
    expect(() => new NearCache<number>({ maxBytes: -1, sizeOf: (n) => n })).toThrow(RangeError);
  });
});

describe('near cache coherence', () => {
  it('starts unused: no fill until invalidations arrive (enable)', () => {
    const near = new NearCache<number>({ maxBytes: 1_000, sizeOf: (n) => n });
    expect(near.begin('k')).toBeUndefined();
    near.enable();
    expect(near.begin('k')).toBeDefined();
  });

  it('an invalidation evicts the key and voids a fill of it under way; other keys stay', () => {
    const near = cache(10_000);
    put(near, 'a', 10);
    put(near, 'b', 10);
    const fill = near.begin('c')!;
    near.invalidate(['a', 'c', 'unknown']);
    expect(near.commit(fill, 10)).toBe(false);
    expect(near.get('a')).toBeUndefined();
    expect(near.get('c')).toBeUndefined();
    expect(near.get('b')).toBe(10);
    expect(near.stats()).toMatchObject({ invalidations: 1, invalidated: 1, voided: 1, entries: 1, bytes: 1 + 10 + ENTRY_OVERHEAD_BYTES });
    // The next fill of the invalidated key stores again.
    expect(put(near, 'c', 20)).toBe(true);
    expect(near.get('c')).toBe(20);
  });

  it('one fill per key at a time; an abandoned fill frees the key', () => {
    const near = cache(10_000);
    const first = near.begin('k')!;
    expect(near.begin('k')).toBeUndefined();
    near.abandon(first);
    const second = near.begin('k')!;
    expect(near.commit(second, 5)).toBe(true);
  });

  it('a flush drops everything and voids every fill, and the cache stays in use', () => {
    const near = cache(10_000);
    put(near, 'a', 10);
    put(near, 'b', 10);
    const fill = near.begin('c')!;
    near.flush();
    expect(near.commit(fill, 10)).toBe(false);
    expect(near.stats()).toMatchObject({ entries: 0, bytes: 0, flushes: 1, coherent: true });
    expect(put(near, 'a', 10)).toBe(true);
  });

  it('a loss of coherence drops everything, voids fills and stops the cache until it is enabled again', () => {
    const near = cache(10_000);
    put(near, 'a', 10);
    const fill = near.begin('b')!;
    near.disable();
    expect(near.commit(fill, 10)).toBe(false);
    expect(near.get('a')).toBeUndefined();
    expect(near.begin('a')).toBeUndefined();
    expect(near.stats()).toMatchObject({ entries: 0, bytes: 0, drops: 1, coherent: false });
    near.disable();
    expect(near.stats().drops).toBe(1);
    near.enable();
    expect(put(near, 'a', 10)).toBe(true);
  });

  it('a fill begun before a loss is not stored after coherence returns', () => {
    const near = cache(10_000);
    const fill = near.begin('k')!;
    near.disable();
    near.enable();
    expect(near.commit(fill, 10)).toBe(false);
    expect(near.has('k')).toBe(false);
  });
});

describe('near cache expiry', () => {
  it('does not serve an entry past the expiry Redis gave its key, even before the invalidation arrives', () => {
    let now = 1_000;
    const near = new NearCache<number>({ maxBytes: 10_000, sizeOf: (n) => n, nowMs: () => now });
    near.enable();
    expect(near.commit(near.begin('k')!, 10, 1_500)).toBe(true);
    expect(near.commit(near.begin('forever')!, 10)).toBe(true);
    now = 1_499;
    expect(near.get('k')).toBe(10);
    now = 1_500;
    expect(near.get('k')).toBeUndefined();
    expect(near.has('k')).toBe(false);
    expect(near.get('forever')).toBe(10);
    // The caller's own clock reading takes precedence.
    expect(near.commit(near.begin('k')!, 10, 2_000)).toBe(true);
    expect(near.get('k', 2_000)).toBeUndefined();
    expect(near.stats()).toMatchObject({ expired: 2, entries: 1, bytes: 7 + 10 + ENTRY_OVERHEAD_BYTES });
  });
});

describe('ownBytes', () => {
  it('copies a view into a larger allocation (a socket chunk, the 8 kB pool) into memory of exactly its size', () => {
    const chunk = Buffer.alloc(65_536, 1);
    const view = chunk.subarray(100, 1_400);
    const own = ownBytes(view);
    expect(own.equals(view)).toBe(true);
    expect([own.byteOffset, own.buffer.byteLength]).toEqual([0, 1_300]);
    const pooled = Buffer.from('small');
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length);
    expect(ownBytes(pooled).buffer.byteLength).toBe(5);
  });

  it('keeps a Buffer that already owns its memory', () => {
    const exact = Buffer.allocUnsafeSlow(10_000);
    expect(ownBytes(exact)).toBe(exact);
  });
});
