/**
 * A Redis Cluster master killed mid-run when a replica can take over (issue 14, item 3): a private
 * cluster of 3 masters with a replica each and a 1 s cluster-node-timeout. bench's cache path goes
 * on through the failover (the operations that met the dead master are counted as errors, later
 * ones succeed on the promoted replica) and finishes within a bound; serve's near cache stops
 * answering from memory when a master dies, and comes back once the promoted replica's
 * invalidations arrive, never serving a key that was rewritten there.
 */
import type { Cluster } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/cache/redis.js';
import { reportKey } from '../../src/cache/report-cache.js';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { createReportServer } from '../../src/server/server.js';
import { bench } from '../../src/usecases/bench.js';
import { seed } from '../../src/usecases/dataset.js';
import { PrivateRedisCluster } from '../support/redis-cluster.js';
import { TEST_DATABASE_URL, dropSeededTable, testConfig, testRuntime, uniqueTable, withRuntime } from '../support/services.js';
import { WORKLOAD, countingPool, dropTable, eventually, fetchRaw, seedTable, slowFactory, uniqueNamespace } from './serve-helpers.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const table = `"${uniqueTable('Failover')}"`;
let cluster: PrivateRedisCluster;
let other: Cluster;

const clusterEnv = () => ({ REDIS_URL: '', REDIS_CLUSTER_NODES: cluster.startupNodes });

/** A master that still has a replica to take over from it. */
async function masterWithReplica(): Promise<string> {
  const replicas = await Promise.all((await cluster.masters()).map(async (address) => ({ address, replicas: await cluster.replicasOf(address) })));
  const found = replicas.find((master) => master.replicas > 0);
  if (!found) throw new Error('no master of the test cluster has a replica left');
  return found.address;
}

beforeAll(async () => {
  await admin.connect();
  cluster = await PrivateRedisCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1_000 });
  other = await cluster.client();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '6000', categories: '30', distribution: 'uniform', seed: '5' })));
  await seedTable();
}, 120_000);

afterAll(async () => {
  other?.disconnect();
  await cluster?.stop();
  await dropSeededTable(admin, table);
  await admin.end();
  await dropTable();
});

describe('a master killed mid-run, a replica taking over', () => {
  it('bench goes on through the failover, counts what failed meanwhile, and finishes within a bound', async () => {
    const runtime = testRuntime(clusterEnv());
    const victim = await masterWithReplica();
    let killed: Promise<void> | undefined;
    let opsAtKill = 0;
    let lastOps = 0;
    const started = Date.now();
    try {
      const outcome = await bench(runtime, benchOptions({ table, paths: 'cache', duration: '7s', warmup: '0', trials: '1', concurrency: '4' }), {
        onProgress: (event) => {
          if (event.phase !== 'measure') return;
          lastOps = event.ops;
          if (killed || event.elapsedMs < 1_000) return;
          opsAtKill = event.ops;
          killed = cluster.kill(victim);
        },
      });
      await killed;
      expect(killed).toBeDefined();
      const cache = outcome.result.paths.find((p) => p.name === 'cache')!;
      // Operations succeeded after the kill: the replica took over the dead master's slots.
      expect(lastOps).toBeGreaterThan(opsAtKill);
      expect(cache.ops).toBeGreaterThan(opsAtKill);
      // Either the failover hid itself in the retries, or what failed is counted (with its cause).
      if (cache.errors > 0) expect(cache.firstError).toBeTruthy();
      else expect(cache.firstError).toBeUndefined();
    } finally {
      await runtime.close();
    }
    expect(Date.now() - started).toBeLessThan(60_000);
    await cluster.waitUntilServing();
    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    expect(masters).not.toContain(victim);
    // The run's keys were removed from every master, the promoted one included.
    expect(await cluster.allKeys()).toEqual([]);
  }, 90_000);

  it('serve\'s near cache stops trusting memory when a master dies, and comes back coherent with the promoted replica', async () => {
    const cache = await connectRedis(testConfig(clusterEnv()).redis, 2_000);
    const pool = countingPool();
    const namespace = uniqueNamespace('failover');
    const logs: string[] = [];
    const server = createReportServer({
      workload: WORKLOAD, pool, connectSlow: slowFactory().connect, cache, namespace, ttlSeconds: 300,
      log: (line) => logs.push(line), nearCacheBytes: 16 * 1024 * 1024,
    });
    const bound = await server.listen(0, '127.0.0.1');
    const fast = (category: string) => fetchRaw(`${bound.url}/report/fast?category=${category}`);
    try {
      await eventually('the near cache to be coherent', async () => (server.near?.coherent ? true : undefined), 15_000);
      const categories = Array.from({ length: 20 }, (_, i) => `cat-${String(i + 1).padStart(2, '0')}`);
      for (const category of categories) await fast(category);
      for (const category of categories) {
        await eventually(`${category} from memory`, async () => ((await fast(category)).headers['x-cache'] === 'NEAR' ? true : undefined), 5_000);
      }

      const victim = await masterWithReplica();
      const onVictim = (await cluster.keysByMaster()).get(victim)!.filter((key) => key.startsWith(reportKey(namespace, '')));
      expect(onVictim.length).toBeGreaterThan(0);
      await cluster.kill(victim);
      await eventually('the near cache to drop out', async () => (server.near?.coherent ? undefined : true), 10_000);
      expect(logs.join('\n')).toMatch(/near cache dropped \(.+\): answering from Redis until invalidations arrive again/);

      await cluster.waitUntilServing();
      await eventually('the near cache to be coherent again', async () => (server.near?.coherent ? true : undefined), 20_000);
      // A key on the promoted replica, rewritten by another application: never served stale.
      const key = onVictim[0]!;
      const category = decodeURIComponent(key.slice(reportKey(namespace, '').length));
      expect(logs.join('\n')).toMatch(/near cache back: Redis invalidations arrive again/);
      await eventually(`${category} from memory again`, async () => ((await fast(category)).headers['x-cache'] === 'NEAR' ? true : undefined), 10_000);
      await other.set(key, JSON.stringify({ rewritten: category }), 'EX', 300);
      const reply = await eventually(`${category} rewritten`, async () => {
        const candidate = await fast(category);
        return candidate.body.toString().includes('rewritten') ? candidate : undefined;
      }, 5_000);
      expect(JSON.parse(reply.body.toString())).toEqual({ rewritten: category });
    } finally {
      await server.close();
      await pool.end();
      await cache.deletePrefix(reportKey(namespace, ''));
      await cache.close();
    }
    expect(await cluster.allKeys()).toEqual([]);
  }, 90_000);
});
