/**
 * The near cache kept coherent by Redis itself (CLIENT TRACKING BCAST on a RESP2 redirect
 * connection), on a private redis-server this file may flush, pause, kill and restart: a changed key
 * is never served stale once its invalidation has arrived, the memory bound holds with real values,
 * FLUSHALL drops everything, and a dropped connection (either one, or Redis itself) drops the near
 * cache until tracking is set up again — with no stale answer after Redis comes back.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD_BYTES, NearCache, nearListener, readThrough } from '../../src/cache/near-cache.js';
import { connectRedis, type RedisCache } from '../../src/cache/redis.js';
import { KEY_PREFIX } from '../../src/cache/report-cache.js';
import type { Tracking } from '../../src/cache/tier.js';
import { eventually, TestRedis } from './serve-helpers.js';
import { testConfig } from '../support/services.js';

let redis: TestRedis;
/** Another client: the "other application" whose writes must reach the near cache. */
let writer: Redis;
const open: Array<() => Promise<unknown>> = [];

interface Near {
  cache: RedisCache;
  near: NearCache<Buffer>;
  tracking: Tracking;
  events: string[];
  read: (key: string) => Promise<{ value: Buffer | null; near: boolean }>;
}

/** A RedisCache on the private server with a near cache listening to its invalidations, once tracking is on. */
async function nearCache(maxBytes = 64 * 1024 * 1024): Promise<Near> {
  const cache = await connectRedis(testConfig({ REDIS_URL: `redis://127.0.0.1:${redis.port}/0` }).redis, 2_000);
  const near = new NearCache<Buffer>({ maxBytes, sizeOf: (value) => value.length });
  const events: string[] = [];
  const tracking = cache.track(KEY_PREFIX, nearListener(near, (event, reason) => events.push(reason ? `${event}: ${reason}` : event)));
  open.push(async () => {
    await tracking.close();
    await cache.close();
  });
  await eventually('tracking to be on', async () => (tracking.active ? true : undefined), 10_000);
  return { cache, near, tracking, events, read: (key) => readThrough(near, cache, key) };
}

const key = (name: string) => `${KEY_PREFIX}report:v1:near-test:${name}`;
const text = (reply: { value: Buffer | null }) => reply.value?.toString() ?? null;

beforeAll(async () => {
  // DEBUG, to turn Redis's active expiry off: a key past its TTL is then deleted (and told) only when read.
  redis = await TestRedis.start(['--enable-debug-command', 'yes']);
  writer = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
  writer.on('error', () => undefined);
  await writer.connect();
});

afterEach(async () => {
  while (open.length > 0) await open.pop()!().catch(() => undefined);
  if (writer.status === 'ready') await writer.flushall();
});

afterAll(async () => {
  writer.disconnect();
  await redis.stop();
});

describe('near cache coherence through CLIENT TRACKING', () => {
  it('a key another client changes is evicted when its invalidation arrives, and never served stale after', async () => {
    const { near, read } = await nearCache();
    await writer.set(key('a'), 'v1');
    expect(await read(key('a'))).toMatchObject({ near: false });
    expect(text(await read(key('a')))).toBe('v1');
    expect((await read(key('a'))).near).toBe(true);

    await writer.set(key('a'), 'v2');
    // Poll, bounded, until the invalidation has evicted the key (no read in between: a read would refill it).
    const started = Date.now();
    while (near.has(key('a'))) {
      expect(Date.now() - started, 'invalidation within 2 s').toBeLessThan(2_000);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    for (let i = 0; i < 50; i++) expect(text(await read(key('a')))).toBe('v2');
    expect(near.stats()).toMatchObject({ invalidated: 1 });
  });

  it('under concurrent reads racing each write, no read begun after the write was told returns an older value', async () => {
    const { tracking, read } = await nearCache();
    const k = key('race');
    await writer.set(k, '0');
    let floor = 0;
    let stop = false;
    let reads = 0;
    const stale: string[] = [];
    // Readers hammer the key, so fills are under way while invalidations arrive.
    const reader = async () => {
      while (!stop) {
        const atStart = floor;
        const value = Number(text(await read(k)));
        reads++;
        if (value < atStart) stale.push(`read ${value} after write ${atStart} was told`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const readers = Array.from({ length: 4 }, reader);
    for (let version = 1; version <= 200; version++) {
      await writer.set(k, String(version));
      // Every write before the sync's own (this one included) has been told once it resolves.
      await tracking.sync(2_000);
      floor = version;
      expect(text(await read(k))).toBe(String(version));
    }
    stop = true;
    await Promise.all(readers);
    expect(stale).toEqual([]);
    expect(reads).toBeGreaterThan(200);
  });

  it('never serves a key past its TTL, though Redis tells the expiry only when it deletes the key', async () => {
    const { near, tracking, read } = await nearCache();
    // Without active expiry an expired key stays until something reads it, and near hits read nothing.
    await writer.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    open.push(() => writer.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1'));
    const started = Date.now();
    await writer.set(key('ttl'), 'short-lived', 'PX', 400);
    // The write's own invalidation has arrived, so it cannot void the read below.
    await tracking.sync(2_000);
    expect(text(await read(key('ttl')))).toBe('short-lived');
    expect(near.has(key('ttl'))).toBe(true);
    const late: string[] = [];
    while (Date.now() - started < 1_000) {
      const answer = text(await read(key('ttl')));
      // 10 ms of slack for the two clocks (this test's and the near cache's PTTL reading).
      if (answer !== null && Date.now() - started > 410) late.push(`${answer} at ${Date.now() - started} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(late).toEqual([]);
    // At least once: near the end Redis may still answer the key, with a PTTL of a few ms.
    expect(near.stats().expired).toBeGreaterThanOrEqual(1);
    expect(text(await read(key('ttl')))).toBeNull();
  });

  it('keeps its bytes within the bound with real values, least recently used out first', async () => {
    const value = 'x'.repeat(10_000);
    const entry = Buffer.byteLength(key('k00')) + value.length + ENTRY_OVERHEAD_BYTES;
    const { near, read } = await nearCache(entry * 5);
    for (let i = 0; i < 12; i++) await writer.set(key(`k${String(i).padStart(2, '0')}`), value);
    await read(key('k00'));
    for (let i = 1; i < 12; i++) {
      await read(key(`k${String(i).padStart(2, '0')}`));
      expect(near.stats().bytes).toBeLessThanOrEqual(entry * 5);
      // Touch k00 each time: the most recently used, it is never the one evicted.
      expect((await read(key('k00'))).near).toBe(true);
    }
    expect(near.keys()).toEqual([key('k08'), key('k09'), key('k10'), key('k11'), key('k00')]);
    expect(near.stats()).toMatchObject({ entries: 5, bytes: entry * 5 });
  });

  it('FLUSHALL drops everything', async () => {
    const { near, read } = await nearCache();
    for (const name of ['f1', 'f2', 'f3']) {
      await writer.set(key(name), name);
      await read(key(name));
    }
    expect(near.stats().entries).toBe(3);
    await writer.flushall();
    await eventually('the flush to arrive', async () => (near.stats().flushes === 1 ? true : undefined), 2_000);
    expect(near.stats()).toMatchObject({ entries: 0, bytes: 0, coherent: true });
    expect(text(await read(key('f1')))).toBeNull();
  });

  it('a write of a key outside the prefix is not told, and keys under it but not held cost nothing', async () => {
    const { near, tracking, read } = await nearCache();
    await writer.set(key('held'), '1');
    await read(key('held'));
    await writer.set('someone-else:key', '1');
    await writer.set(key('not-held'), '1');
    await tracking.sync(2_000);
    expect(near.has(key('held'))).toBe(true);
    expect(near.stats()).toMatchObject({ invalidated: 0 });
    await writer.del('someone-else:key');
  });
});

describe('near cache when a connection drops', () => {
  /** The server-side id of a client of the private server, by a flag or name in CLIENT LIST. */
  async function clientId(match: RegExp): Promise<string> {
    const list = String(await writer.client('LIST'));
    const line = list.split('\n').find((l) => match.test(l));
    if (!line) throw new Error(`no client matching ${match} in\n${list}`);
    return /\bid=(\d+)/.exec(line)![1]!;
  }

  it('the redirect connection killed: dropped at once, back once tracking is set up again, and coherent', async () => {
    const { near, tracking, events, read } = await nearCache();
    await writer.set(key('r'), 'v1');
    await read(key('r'));
    expect(near.has(key('r'))).toBe(true);
    await writer.client('KILL', 'ID', await clientId(/name=perfbench-invalidations/));
    await eventually('the near cache to be dropped', async () => (!near.isCoherent ? true : undefined), 2_000);
    expect(near.stats()).toMatchObject({ entries: 0, drops: 1 });
    // A write while it is down must not be missed once it is back.
    await writer.set(key('r'), 'v2');
    expect((await read(key('r'))).near).toBe(false);
    await eventually('tracking to be on again', async () => (tracking.active ? true : undefined), 10_000);
    expect(text(await read(key('r')))).toBe('v2');
    await writer.set(key('r'), 'v3');
    await tracking.sync(2_000);
    expect(text(await read(key('r')))).toBe('v3');
    expect(events[0]).toBe('tracking');
    expect(events[1]).toMatch(/^lost: the Redis invalidation connection closed/);
    expect(events[2]).toBe('tracking');
  });

  it('the data connection killed (tracking lost on the server): dropped, then tracked again on the new session', async () => {
    const { near, tracking, read } = await nearCache();
    await writer.set(key('d'), 'v1');
    await read(key('d'));
    // redir=<id>: the connection whose tracking redirects (the data connection).
    await writer.client('KILL', 'ID', await clientId(/ redir=\d+ /));
    await eventually('the near cache to be dropped', async () => (!near.isCoherent ? true : undefined), 2_000);
    expect(near.stats().entries).toBe(0);
    await eventually('tracking to be on again', async () => (tracking.active ? true : undefined), 10_000);
    await read(key('d'));
    expect(near.has(key('d'))).toBe(true);
    await writer.set(key('d'), 'v2');
    await tracking.sync(2_000);
    expect(near.has(key('d'))).toBe(false);
    expect(text(await read(key('d')))).toBe('v2');
  });

  it('a Redis that goes silent (CLIENT PAUSE) is found by the heartbeat: dropped, and back after', async () => {
    const { near, tracking, read } = await nearCache();
    await writer.set(key('p'), 'v1');
    await read(key('p'));
    await writer.client('PAUSE', '4000', 'ALL');
    // The heartbeat's write waits out its 2 s timeout (the data connection's command timeout).
    await eventually('the near cache to be dropped', async () => (!near.isCoherent ? true : undefined), 5_000);
    expect(near.stats().entries).toBe(0);
    await eventually('tracking to be on again', async () => (tracking.active ? true : undefined), 15_000);
    expect(text(await read(key('p')))).toBe('v1');
  }, 30_000);

  it('Redis killed and restored: dropped while down, and no stale answer after a new value is written', async () => {
    const { near, tracking, read } = await nearCache();
    await writer.set(key('k'), 'old');
    await read(key('k'));
    expect((await read(key('k'))).near).toBe(true);

    await redis.stop();
    await eventually('the near cache to be dropped', async () => (!near.isCoherent ? true : undefined), 2_000);
    expect(near.stats()).toMatchObject({ entries: 0, coherent: false });
    // Redis is down: the read fails (the route answers BYPASS from the database), never 'old' from memory.
    await expect(read(key('k'))).rejects.toThrow();

    await redis.start();
    await eventually('the writer to reconnect', async () => (writer.status === 'ready' ? true : undefined), 10_000);
    await writer.set(key('k'), 'new');
    const answers: Array<string | null> = [];
    await eventually('tracking to be on again', async () => {
      // Read all along while tracking comes back: every answer must be the new value (or a failure).
      try {
        answers.push(text(await read(key('k'))));
      } catch {
        // Redis still reconnecting: the route's BYPASS.
      }
      return tracking.active ? true : undefined;
    }, 15_000);
    for (let i = 0; i < 20; i++) answers.push(text(await read(key('k'))));
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer !== 'new')).toEqual([]);
    expect(near.has(key('k'))).toBe(true);
  }, 40_000);
});
