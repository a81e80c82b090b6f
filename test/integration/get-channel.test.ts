/**
 * The GET channel of the cache-hit paths (cache/get-channel.ts) against a real Redis: it reads
 * exactly the bytes Redis holds (binary, large, empty, multi-byte keys), nil for a missing key,
 * Redis's own error for a key of another type, pipelined GETs in order, in the tier's database;
 * a killed connection fails the GETs in flight and the channel is back once Redis accepts it again.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetChannel } from '../../src/cache/get-channel.js';
import { connectRedis, type RedisCache } from '../../src/cache/redis.js';
import { testConfig } from '../support/services.js';

const prefix = `perfbench:test:get-channel:${randomBytes(4).toString('hex')}:`;
const config = testConfig().redis;
let tier: RedisCache;
let admin: Redis;

beforeAll(async () => {
  tier = await connectRedis(config, 5_000);
  admin = new Redis({ host: config.host, port: config.port, username: config.username, password: config.password, db: config.db, lazyConnect: true });
  await admin.connect();
});
afterAll(async () => {
  await tier.deletePrefix(prefix);
  await tier.close();
  admin.disconnect();
});

const bytes = (reply: Buffer | null): Buffer | null => reply;
/** Buffer.equals: a deep equality of a 300 kB Buffer element by element takes vitest seconds. */
const same = (reply: Buffer | null, value: Buffer): boolean => reply !== null && reply.equals(value);

describe('the GET channel', () => {
  it('reads the bytes Redis holds, nil for a missing key, and Redis\'s error for another type', async () => {
    const values: Record<string, Buffer> = {
      big: randomBytes(300_000),
      empty: Buffer.alloc(0),
      'Grüße "Straße" 1': Buffer.from('{"rows":[{"name":"Ünïcode ✓"}]}'),
      crlf: Buffer.from('a\r\n$3\r\nfoo\r\n'),
    };
    for (const [name, value] of Object.entries(values)) await tier.set(prefix + name, value, 60);
    await admin.rpush(`${prefix}list`, 'x');
    await admin.expire(`${prefix}list`, 60);
    const channel = (await tier.openGetChannel())!;
    try {
      for (const [name, value] of Object.entries(values)) expect(same(await channel.get(GetChannel.command(prefix + name)), value), name).toBe(true);
      expect(await channel.get(GetChannel.command(`${prefix}missing`))).toBeNull();
      await expect(channel.get(GetChannel.command(`${prefix}list`))).rejects.toThrow(/WRONGTYPE/);
      // Pipelined: many GETs in flight on the one connection come back to their own callers, the
      // values kept whole though the socket reads into one reused buffer, and sizes (values not kept) between them.
      const names = Array.from({ length: 60 }, (_, i) => Object.keys(values)[i % 4]!);
      const replies = await Promise.all(names.map((name, i) => (i % 3 === 2 ? channel.size(GetChannel.command(prefix + name)) : channel.get(GetChannel.command(prefix + name)))));
      replies.forEach((reply, i) => {
        const value = values[names[i]!]!;
        if (i % 3 === 2) expect(reply, `${i}: ${names[i]}`).toBe(value.length);
        else expect(same(reply as Buffer, value), `${i}: ${names[i]}`).toBe(true);
      });
      expect(await channel.size(GetChannel.command(`${prefix}missing`))).toBeNull();
    } finally {
      await channel.close();
    }
  });

  it('reads the database the tier is configured with, not database 0', async () => {
    const other = config.db === 0 ? 1 : 0;
    const elsewhere = new Redis({ host: config.host, port: config.port, username: config.username, password: config.password, db: other });
    const key = `${prefix}which-db`;
    try {
      await tier.set(key, 'configured', 60);
      await elsewhere.set(key, 'other', 'EX', 60);
      const channel = (await tier.openGetChannel())!;
      try {
        expect(bytes(await channel.get(GetChannel.command(key)))?.toString()).toBe('configured');
      } finally {
        await channel.close();
      }
    } finally {
      await elsewhere.del(key);
      elsewhere.disconnect();
    }
  });

  it('fails the GETs of a killed connection with one clear error, then reconnects', async () => {
    const key = `${prefix}reconnect`;
    await tier.set(key, 'still here', 60);
    const channel = (await tier.openGetChannel())!;
    try {
      const command = GetChannel.command(key);
      expect(bytes(await channel.get(command))?.toString()).toBe('still here');
      // Exactly this channel's connection: CLIENT LIST's addr is the channel's end of it.
      await admin.client('KILL', 'ADDR', channel.localAddress!);
      await expect(channel.get(command)).rejects.toThrow(/connection/i);
      let back: Buffer | null = null;
      for (let attempt = 0; attempt < 50 && back === null; attempt++) {
        back = await channel.get(command).then(bytes, () => null);
        if (back === null) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(back?.toString()).toBe('still here');
    } finally {
      await channel.close();
    }
    await expect(channel.get(GetChannel.command(key))).rejects.toThrow(/closed/);
  });
});
