/**
 * Redis Cluster (issue 14, item 3) on a private 3-master cluster this file starts from Debian's
 * redis-server (test/support/redis-cluster.ts): bench's cache paths and serve's fast route (with a
 * near cache kept coherent by every master's invalidations) give the right answers with their keys
 * spread over the masters; doctor reports the cluster; nothing is left on any master; both
 * --redis-url and --redis-cluster is a usage error; and a master killed mid-run without a replica
 * to take over is counted as errors, with the run finishing within a bound.
 */
import type { Cluster } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisCache } from '../../src/cache/redis.js';
import { reportKey } from '../../src/cache/report-cache.js';
import { ExitCode } from '../../src/errors.js';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { renderDoctor } from '../../src/report/doctor-text.js';
import { renderReport } from '../../src/report/bench-report.js';
import { createReportServer } from '../../src/server/server.js';
import { bench, benchVerdict } from '../../src/usecases/bench.js';
import { seed } from '../../src/usecases/dataset.js';
import { doctor } from '../../src/usecases/doctor.js';
import { tableIdentifier } from '../../src/workload/identifiers.js';
import { cli } from '../support/cli.js';
import { PrivateRedisCluster } from '../support/redis-cluster.js';
import { TEST_DATABASE_URL, dropSeededTable, testConfig, testRuntime, uniqueTable, withRuntime } from '../support/services.js';
import { WORKLOAD, countingPool, dropTable, eventually, fetchRaw, seedTable, slowFactory, uniqueNamespace } from './serve-helpers.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
/** A mixed-case, quoted table of its own, so nothing here looks like `products`. */
const table = `"${uniqueTable('Cluster')}"`;
let cluster: PrivateRedisCluster;
/** The cluster as the tests' own application sees it. */
let other: Cluster;
const cleanups: Array<() => Promise<unknown>> = [];

/** The environment that points perfbench at the test cluster (REDIS_URL emptied: one source must not name both). */
const clusterEnv = () => ({ REDIS_URL: '', REDIS_CLUSTER_NODES: cluster.startupNodes });

beforeAll(async () => {
  await admin.connect();
  cluster = await PrivateRedisCluster.start({ masters: 3 });
  other = await cluster.client();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '6000', categories: '30', distribution: 'uniform', seed: '11' })));
  await seedTable();
}, 120_000);

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

afterAll(async () => {
  other?.disconnect();
  await cluster?.stop();
  await dropSeededTable(admin, table);
  await admin.end();
  await dropTable();
});

/** Keys per master, and that every master holds some: the keyspace is really split. */
function expectSpread(byMaster: Map<string, string[]>, prefix: string): number {
  const counts = [...byMaster.values()].map((keys) => keys.filter((key) => key.startsWith(prefix)).length);
  expect(counts).toHaveLength(3);
  for (const count of counts) expect(count).toBeGreaterThan(0);
  return counts.reduce((sum, count) => sum + count, 0);
}

describe('bench over a Redis Cluster', () => {
  it('times cache hits (verified against every master\'s INFO), misses and near hits, keys spread over the masters, none left', async () => {
    const runtime = testRuntime(clusterEnv());
    let spread: Map<string, string[]> | undefined;
    let snapshot: Promise<void> | undefined;
    try {
      const outcome = await bench(runtime, benchOptions({ table, paths: 'cache,miss,near', iterations: '300', warmup: '0', trials: '1', concurrency: '4' }), {
        onProgress: (event) => {
          // The cache path's keys exist while it measures: look at where they are.
          if (snapshot || event.target !== 'cache' || event.phase !== 'measure') return;
          snapshot = cluster.keysByMaster().then((byMaster) => void (spread = byMaster));
        },
      });
      await snapshot;
      expect(spread).toBeDefined();
      // 30 categories, one report key each, on all three masters.
      expect(expectSpread(spread!, 'perfbench:report:')).toBe(30);

      const path = (name: string) => outcome.result.paths.find((p) => p.name === name)!;
      const cache = path('cache');
      expect(cache.firstError).toBeUndefined();
      expect(cache).toMatchObject({ ops: 300, errors: 0 });
      expect(cache.cacheCheck).toMatchObject({ gets: 300, hits: 300, misses: 0, verified: true });
      expect(cache.cacheCheck!.tier).toMatch(/^redis cluster \d+\.\d+\.\d+, 3 masters$/);
      // keyspace_hits summed over the masters: each GET was counted on the master of its slot.
      expect(cache.cacheCheck!.serverHits).toBeGreaterThanOrEqual(300);

      const miss = path('miss');
      expect(miss).toMatchObject({ ops: 300, errors: 0 });
      expect(miss.cacheCheck).toMatchObject({ gets: 300, misses: 300, verified: true });

      // The near cache is coherent over the cluster (tracking on every master): its hits come from memory.
      const near = path('near');
      expect(near).toMatchObject({ ops: 300, errors: 0 });
      expect(near.cacheCheck).toMatchObject({ gets: 300, hits: 300, misses: 0, serverHits: 0, verified: true });
      expect(near.cacheCheck!.tier).toMatch(/^near cache over redis cluster/);

      expect(renderReport('table', { result: outcome.result, comparisons: outcome.comparisons })).toMatch(/verified \(redis cluster \d/);
      expect(benchVerdict(outcome, false).exitCode).toBe(ExitCode.ok);
    } finally {
      await runtime.close();
    }
    // Every path removed its keys from every master, and the tracking's proof keys were never left.
    expect(await cluster.allKeys()).toEqual([]);
  });
});

describe('serve over a Redis Cluster', () => {
  let cache: RedisCache;

  beforeAll(async () => {
    cache = await connectRedis(testConfig(clusterEnv()).redis, 2_000);
  });

  afterAll(async () => {
    await cache?.close();
  });

  async function start(nearCacheBytes?: number) {
    const pool = countingPool();
    const namespace = uniqueNamespace('cluster');
    const logs: string[] = [];
    const server = createReportServer({
      workload: WORKLOAD, pool, connectSlow: slowFactory().connect, cache, namespace, ttlSeconds: 300,
      log: (line) => logs.push(line), ...(nearCacheBytes ? { nearCacheBytes } : {}),
    });
    const bound = await server.listen(0, '127.0.0.1');
    cleanups.push(async () => {
      await server.close();
      await pool.end();
      await cache.deletePrefix(reportKey(namespace, ''));
    });
    const fast = (category: string) => fetchRaw(`${bound.url}/report/fast?category=${category}`);
    const slow = (category: string) => fetchRaw(`${bound.url}/report/slow?category=${category}`);
    return { server, pool, namespace, logs, fast, slow };
  }

  it('answers /report/fast as /report/slow does: MISS then HIT, its keys spread over the masters', async () => {
    const { fast, slow, pool, namespace } = await start();
    const categories = Array.from({ length: 20 }, (_, i) => `cat-${String(i + 1).padStart(2, '0')}`);
    for (const category of categories) {
      const first = await fast(category);
      const second = await fast(category);
      const truth = await slow(category);
      expect([first.status, first.headers['x-cache'], second.headers['x-cache']]).toEqual([200, 'MISS', 'HIT']);
      expect(second.body.equals(first.body)).toBe(true);
      expect(JSON.parse(first.body.toString())).toEqual(JSON.parse(truth.body.toString()));
    }
    expect(pool.reportQueries).toBe(20);
    expect(expectSpread(await cluster.keysByMaster(), reportKey(namespace, ''))).toBe(20);
  });

  it('keeps a near cache coherent with every master: a key rewritten by another client is never served stale', async () => {
    const { fast, namespace, server } = await start(16 * 1024 * 1024);
    await eventually('the near cache to be coherent over the cluster', async () => (server.near?.coherent ? true : undefined), 15_000);
    // Categories whose keys sit on each of the three masters.
    const categories = Array.from({ length: 20 }, (_, i) => `cat-${String(i + 1).padStart(2, '0')}`);
    for (const category of categories) await fast(category);
    const untilNear = (category: string) => eventually(`${category} from memory`, async () => {
      const reply = await fast(category);
      return reply.headers['x-cache'] === 'NEAR' ? reply : undefined;
    }, 5_000);
    for (const category of categories) await untilNear(category);
    // Another application rewrites every key (each on its own master): each invalidation arrives
    // from the master that holds the key, and the next answer is the new value.
    for (const category of categories) await other.set(reportKey(namespace, category), JSON.stringify({ rewritten: category }), 'EX', 300);
    for (const category of categories) {
      const reply = await eventually(`${category} rewritten`, async () => {
        const candidate = await fast(category);
        return candidate.body.toString().includes('rewritten') ? candidate : undefined;
      }, 5_000);
      expect(JSON.parse(reply.body.toString())).toEqual({ rewritten: category });
    }
    expect(server.near!.stats().invalidated).toBeGreaterThanOrEqual(20);
  });
});

describe('doctor and the flags', () => {
  it('doctor lists the cluster: state ok, every slot served, each master with its keys', async () => {
    const runtime = testRuntime(clusterEnv());
    try {
      const report = await doctor(runtime, tableIdentifier(table));
      expect(report.healthy).toBe(true);
      expect(report.configuration.redis).toMatchObject({ mode: 'cluster', url: `redis-cluster://${cluster.startupNodes}` });
      if (!report.redis.ok) throw new Error(report.redis.error);
      expect(report.redis.cluster).toMatchObject({ state: 'ok', slotsOk: 16384 });
      expect(report.redis.cluster!.masters.map((master) => master.address)).toEqual(await cluster.masters());
      const text = renderDoctor(report);
      expect(text).toMatch(/cluster {4}state ok, 16,384 of 16,384 slots served, 3 masters/);
      expect(text.match(/^ {2}master {5}127\.0\.0\.1:\d+: redis \d/gm)).toHaveLength(3);
    } finally {
      await runtime.close();
    }
  });

  it('doctor from the CLI, and --redis-url with --redis-cluster is a usage error (exit 2)', async () => {
    const ok = await cli(['--redis-cluster', cluster.startupNodes, 'doctor', '--table', table]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/redis-cluster:\/\/127\.0\.0\.1:\d+,.*\(cluster; nodes, mode from flag --redis-cluster\)/);
    const both = await cli(['--redis-url', 'redis://127.0.0.1:6379/0', '--redis-cluster', cluster.startupNodes, 'doctor']);
    expect(both.code).toBe(ExitCode.usage);
    expect(both.stderr.trim()).toMatch(/^perfbench: invalid configuration: flag --redis-url and flag --redis-cluster name two different Redis setups: give one of them/);
    expect(both.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names a node that is no cluster node in one line', async () => {
    const single = await cli(['--redis-cluster', '127.0.0.1:6379', 'doctor']);
    expect(single.code).toBe(ExitCode.failure);
    expect(single.stdout).toMatch(/FAILED {5}Redis at 127\.0\.0\.1:6379 is not a cluster node \(cluster support disabled\) — use --redis-url/);
  });
});

describe('the shard barrier over a cluster', () => {
  it('opens for every party: its two keys share a hash tag, so its MULTIs never span two slots', async () => {
    const config = testConfig(clusterEnv()).redis;
    const shards = await Promise.all([connectRedis(config, 2_000), connectRedis(config, 2_000), connectRedis(config, 2_000)]);
    try {
      const key = `perfbench:barrier:${uniqueNamespace('cluster')}`;
      const outcomes = await Promise.all(shards.map((shard) => shard.meet!(key, 3, 10_000)));
      expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['open', 'open', 'open']);
    } finally {
      await Promise.all(shards.map((shard) => shard.close()));
    }
    expect(await cluster.allKeys()).toEqual([]);
  });
});

describe('a master killed mid-run, with no replica to take over', () => {
  it('counts the failed operations as errors and finishes within a bound', async () => {
    const runtime = testRuntime(clusterEnv());
    const victim = (await cluster.masters())[1]!;
    let killed: Promise<void> | undefined;
    const started = Date.now();
    try {
      const outcome = await bench(runtime, benchOptions({ table, paths: 'cache', duration: '4s', warmup: '0', trials: '1', concurrency: '4' }), {
        onProgress: (event) => {
          if (killed || event.phase !== 'measure' || event.elapsedMs < 1_000) return;
          killed = cluster.kill(victim);
        },
      });
      await killed;
      expect(killed).toBeDefined();
      const cache = outcome.result.paths.find((p) => p.name === 'cache')!;
      expect(cache.ops).toBeGreaterThan(0);
      // A third of the keys lost their master: their GETs fail (then the whole cluster says
      // CLUSTERDOWN), each counted, none waiting forever.
      expect(cache.errors).toBeGreaterThan(0);
      expect(cache.firstError).toBeTruthy();
      expect(benchVerdict(outcome, false).exitCode).toBe(ExitCode.failure);
    } finally {
      await runtime.close();
    }
    // 4 s measured, the fill and the cleanup attempts bounded by the command timeout and retries.
    expect(Date.now() - started).toBeLessThan(45_000);
    // doctor says the cluster is not whole: a slot without a master (or a master that does not answer).
    const after = testRuntime(clusterEnv());
    try {
      const report = await doctor(after, tableIdentifier(table));
      expect(report.healthy).toBe(false);
      expect(renderDoctor(report)).toMatch(/cluster {4}state fail|FAILED/);
    } finally {
      await after.close();
    }
  }, 90_000);
});
