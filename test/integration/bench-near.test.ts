/**
 * bench's `near` path (issue 13, item 1) on a private redis-server: its hits are counted and
 * verified like the cache path's (and Redis counts none of them), it is compared with `cache`, a
 * FLUSHALL mid-run is seen (the near cache drops everything: misses are errors, the hits are not
 * confirmed, exit 1), and the in-process tier, which sends no invalidations, is refused in one line.
 */
import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { renderReport } from '../../src/report/bench-report.js';
import { DEFAULT_PATHS, PATHS } from '../../src/targets/registry.js';
import { bench, benchVerdict } from '../../src/usecases/bench.js';
import { seed } from '../../src/usecases/dataset.js';
import { TestRedis } from './serve-helpers.js';
import { TEST_DATABASE_URL, dropSeededTable, testRuntime, uniqueTable, withRuntime } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const table = uniqueTable('bench_near');
let redis: TestRedis;
let control: Redis;

beforeAll(async () => {
  await admin.connect();
  redis = await TestRedis.start();
  control = await redis.client();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '4000', categories: '10', distribution: 'uniform', seed: '7' })));
});

afterAll(async () => {
  control.disconnect();
  await redis.stop();
  await dropSeededTable(admin, table);
  await admin.end();
});

describe('bench --paths cache,near', () => {
  it('is opt-in: registered beside cache, not run by default', () => {
    expect(PATHS.map((p) => p.name).indexOf('near')).toBe(PATHS.map((p) => p.name).indexOf('cache') + 1);
    expect(DEFAULT_PATHS).not.toContain('near');
  });

  it('times near-cache hits, verified (Redis counts none of them), and compares them with the cache path', async () => {
    const runtime = testRuntime({ REDIS_URL: `redis://127.0.0.1:${redis.port}/0` });
    try {
      const outcome = await bench(runtime, benchOptions({ table, paths: 'cache,near', iterations: '300', warmup: '0', trials: '2' }));
      const near = outcome.result.paths.filter((p) => p.name === 'near');
      expect(near).toHaveLength(2);
      for (const trial of near) {
        expect(trial).toMatchObject({ kind: 'cache', ops: 300, errors: 0 });
        expect(trial.flags ?? []).toEqual([]);
        expect(trial.cacheCheck).toMatchObject({ gets: 300, hits: 300, misses: 0, serverHits: 0, verified: true });
        expect(trial.cacheCheck!.tier).toMatch(/^near cache over redis \d/);
      }
      const cache = outcome.result.paths.find((p) => p.name === 'cache')!;
      expect(cache.cacheCheck).toMatchObject({ hits: 300, verified: true });
      expect(cache.cacheCheck!.serverHits).toBeGreaterThanOrEqual(300);
      const pair = outcome.comparisons.find((c) => c.path === 'near' && c.baseline === 'cache');
      expect(pair?.p50).not.toBeNull();
      expect(renderReport('table', { result: outcome.result, comparisons: outcome.comparisons }))
        .toMatch(/c=1: 600 lookups, 600 hits from memory, 0 misses; Redis keyspace_hits \+0 meanwhile · verified \(near cache over redis/);
      expect(benchVerdict(outcome, false).exitCode).toBe(ExitCode.ok);
    } finally {
      await runtime.close();
    }
    // The run removed its keys; the tracking's own keys were never left behind.
    expect(await control.dbsize()).toBe(0);
  });

  it('sees a FLUSHALL mid-run: the dropped reports are misses, errors of the path, and the run exits 1', async () => {
    const runtime = testRuntime({ REDIS_URL: `redis://127.0.0.1:${redis.port}/0` });
    // The flush lands 1 s into the measured phase, whatever the preparation took on a busy machine
    // (a timer from the start of bench could fire before the first timed operation).
    let flushed = false;
    try {
      const outcome = await bench(runtime, benchOptions({ table, paths: 'near', duration: '3s', warmup: '0', trials: '1' }), {
        onProgress: (event) => {
          if (flushed || event.phase !== 'measure' || event.elapsedMs < 1_000) return;
          flushed = true;
          void control.flushall();
        },
      });
      expect(flushed).toBe(true);
      const near = outcome.result.paths.find((p) => p.name === 'near')!;
      expect(near.ops).toBeGreaterThan(0);
      expect(near.errors).toBeGreaterThan(0);
      expect(near.firstError).toMatch(/near-cache miss on the near path/);
      expect(near.flags).toContain('cache-hits-unverified');
      expect(near.notes?.join('\n')).toMatch(/near-cache hits not confirmed: \d+ of \d+ lookups missed/);
      expect(near.cacheCheck).toMatchObject({ verified: false });
      expect(benchVerdict(outcome, false).exitCode).toBe(ExitCode.failure);
    } finally {
      await runtime.close();
    }
  });

  it('refuses the in-process tier in one line: it sends no invalidations', async () => {
    const runtime = testRuntime({ REDIS_URL: 'memory://' });
    try {
      const outcome = await bench(runtime, benchOptions({ table, paths: 'near', iterations: '10', warmup: '0', trials: '1' }));
      const near = outcome.result.paths.find((p) => p.name === 'near')!;
      expect(near.ops).toBe(0);
      expect(near.firstError).toBe('setup: the near path needs Redis: the in-process (no Redis) tier sends no invalidations (set REDIS_URL, or install redis-server)');
      expect(benchVerdict(outcome, false).exitCode).toBe(ExitCode.failure);
    } finally {
      await runtime.close();
    }
  });
});
