/**
 * `--redis-cluster` / REDIS_CLUSTER_NODES (issue 14, item 3) as configuration, and the hash-slot
 * arithmetic the cluster adapter relies on. The cluster itself is exercised against real
 * redis-server processes in test/integration/redis-cluster*.test.ts.
 */
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { invokedCommand } from '../../src/cli.js';
import { describeRedis, loadConfig, type ConfigFlags } from '../../src/config.js';
import { SLOTS, slotsCoveredBy, tagServedBy } from '../../src/cache/redis-cluster.js';
import { reportKey } from '../../src/cache/report-cache.js';
import { usageLine } from '../support/usage.js';

function load(env: NodeJS.ProcessEnv, flags: ConfigFlags = {}) {
  return loadConfig({ flags, env, cwd: '/nonexistent' });
}

describe('--redis-cluster and REDIS_CLUSTER_NODES', () => {
  it('reads the startup nodes from the flag, IPv6 hosts in brackets', () => {
    const { redis } = load({}, { redisCluster: '127.0.0.1:7000, cache-2:7001,[::1]:7002' });
    expect(redis.mode).toBe('cluster');
    expect(redis.clusterNodes).toEqual([{ host: '127.0.0.1', port: 7000 }, { host: 'cache-2', port: 7001 }, { host: '::1', port: 7002 }]);
    expect(redis.sources.nodes).toBe('flag --redis-cluster');
    expect(describeRedis(redis)).toBe('redis-cluster://127.0.0.1:7000,cache-2:7001,[::1]:7002');
  });

  it('reads REDIS_CLUSTER_NODES, with the password of REDIS_PASSWORD (never printed)', () => {
    const { redis } = load({ REDIS_CLUSTER_NODES: 'cache-1:7000', REDIS_PASSWORD: 'hunter2' });
    expect(redis).toMatchObject({ mode: 'cluster', password: 'hunter2', db: 0 });
    expect(describeRedis(redis)).toBe('redis-cluster://:***@cache-1:7000');
  });

  it('refuses --redis-url with --redis-cluster (exit 2), and a single Redis beside the nodes in one source', () => {
    expect(usageLine(() => load({}, { redisUrl: 'redis://127.0.0.1:6379', redisCluster: '127.0.0.1:7000' })))
      .toMatch(/flag --redis-url and flag --redis-cluster name two different Redis setups: give one of them/);
    expect(usageLine(() => load({ REDIS_HOST: 'cache', REDIS_CLUSTER_NODES: '127.0.0.1:7000' })))
      .toMatch(/env REDIS_HOST and env REDIS_CLUSTER_NODES name two different Redis setups/);
  });

  it('lets a higher source choose between a single Redis and a cluster, taking nothing of the other', () => {
    const cluster = load({ REDIS_URL: 'redis://:secret@cache:6380/3' }, { redisCluster: '127.0.0.1:7000' }).redis;
    expect(cluster).toMatchObject({ mode: 'cluster', db: 0, password: undefined });
    expect(cluster.sources).not.toHaveProperty('host');
    const single = load({ REDIS_CLUSTER_NODES: '127.0.0.1:7000' }, { redisUrl: 'redis://cache:6380/3' }).redis;
    expect(single).toMatchObject({ mode: 'external', host: 'cache', port: 6380, db: 3, clusterNodes: [] });
  });

  it.each([
    ['a URL', 'redis://127.0.0.1:7000', /'redis:\/\/127.0.0.1:7000' is not host:port/],
    ['no port', '127.0.0.1', /'127.0.0.1' is not host:port/],
    ['a bad port', '127.0.0.1:70000', /'70000' is not a port/],
    ['an empty entry', '127.0.0.1:7000,', /'' is not host:port/],
  ])('refuses %s in one line (exit 2)', (_, nodes, expected) => {
    expect(usageLine(() => load({}, { redisCluster: nodes }))).toMatch(expected);
  });

  it('never echoes an entry that holds credentials', () => {
    const line = usageLine(() => load({}, { redisCluster: 'redis://:hunter2@cache-1:7000' }));
    expect(line).toMatch(/flag --redis-cluster has an entry with credentials \(user:password@\) \(expected host:port.*the password goes in REDIS_PASSWORD\)/);
    expect(line).not.toContain('hunter2');
  });

  it('refuses an empty flag', () => {
    expect(usageLine(() => load({}, { redisCluster: ' ' }))).toMatch(/flag --redis-cluster is empty/);
  });

  it('is a global option that takes a value (the word after it is not the command)', () => {
    expect(invokedCommand(['node', 'perfbench', '--redis-cluster', 'bench', 'doctor'])).toBe('doctor');
  });
});

describe('hash slots', () => {
  it('are CRC16 mod 16384, honouring a {hash tag}', () => {
    // Values as CLUSTER KEYSLOT gives them.
    expect(calculateSlot('foo')).toBe(12182);
    expect(calculateSlot('{user1000}.following')).toBe(calculateSlot('user1000'));
  });

  it('leave report keys untagged, so they spread over the masters', () => {
    const keys = Array.from({ length: 30 }, (_, i) => reportKey('ns', `cat-${i}`));
    expect(keys.every((key) => !key.includes('{'))).toBe(true);
    const thirds = new Set(keys.map((key) => Math.floor(calculateSlot(key) / (SLOTS / 3))));
    expect(thirds.size).toBe(3);
  });

  /** A slot map of three masters in thirds, as `redis-cli --cluster create` lays one out. */
  const threeMasters = { slots: Array.from({ length: SLOTS }, (_, slot) => [slot < 5461 ? 'a:1' : slot < 10923 ? 'b:2' : 'c:3']) } as unknown as Cluster;

  it('give each master a tag of its own slots', () => {
    for (const master of ['a:1', 'b:2', 'c:3']) {
      const tag = tagServedBy(threeMasters, master)!;
      expect(threeMasters.slots[calculateSlot(`perfbench:tracking:{${tag}}:x:1`)]![0]).toBe(master);
    }
    expect(tagServedBy(threeMasters, 'd:4')).toBeUndefined();
  });

  it('find a tag for a master that serves one slot only', () => {
    const oneSlot = { slots: Array.from({ length: SLOTS }, (_, slot) => [slot === 12182 ? 'lone:1' : 'a:1']) } as unknown as Cluster;
    expect(calculateSlot(tagServedBy(oneSlot, 'lone:1')!)).toBe(12182);
  });

  it('are covered only when every slot has a master of the set', () => {
    expect(slotsCoveredBy(threeMasters, new Set(['a:1', 'b:2', 'c:3']))).toBe(true);
    expect(slotsCoveredBy(threeMasters, new Set(['a:1', 'b:2']))).toBe(false);
    const unassigned = { slots: [...threeMasters.slots.slice(0, SLOTS - 1)] } as unknown as Cluster;
    expect(slotsCoveredBy(unassigned, new Set(['a:1', 'b:2', 'c:3']))).toBe(false);
  });
});
