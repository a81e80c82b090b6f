/**
 * A FLUSHALL in the middle of `bench --http` (issue 15, item 6), on a private redis-server behind
 * the in-process `perfbench serve`: http-fast then gets MISS answers until the server has cached the
 * reports again. Those are not hits: they must be errors of the path (exit 1), stay out of its
 * latency and Server-Timing figures, be counted apart in X-Cache, and flag the path — and the hits
 * that remain are checked against the tier's INFO counters, as the cache path's are.
 */
import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { renderReport } from '../../src/report/bench-report.js';
import { bench, benchVerdict } from '../../src/usecases/bench.js';
import { seed } from '../../src/usecases/dataset.js';
import { TestRedis } from './serve-helpers.js';
import { TEST_DATABASE_URL, dropSeededTable, testRuntime, uniqueTable, withRuntime } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const table = uniqueTable('http_flush');
let redis: TestRedis;
let control: Redis;

beforeAll(async () => {
  await admin.connect();
  redis = await TestRedis.start();
  control = await redis.client();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '3000', categories: '12', distribution: 'uniform', seed: '11' })));
});
afterAll(async () => {
  control.disconnect();
  await redis.stop();
  await dropSeededTable(admin, table);
  await admin.end();
});

describe('FLUSHALL during bench --http', () => {
  it('makes the MISS answers errors of http-fast, kept out of its hit figures and counted apart, and exits 1', async () => {
    const runtime = testRuntime({ REDIS_URL: `redis://127.0.0.1:${redis.port}/0` });
    let flushed: Promise<unknown> | undefined;
    try {
      const outcome = await bench(runtime, benchOptions({ table, paths: 'http-fast', duration: '1s', warmup: '0', trials: '1' }), {
        onProgress: (event) => {
          if (event.target === 'http-fast' && event.phase === 'measure' && event.elapsedMs >= 200 && !flushed) flushed = control.flushall();
        },
      });
      await flushed;
      expect(flushed).toBeDefined();
      const fast = outcome.result.paths.find((p) => p.name === 'http-fast')!;
      const timing = fast.serverTiming!;
      const misses = timing.xCache.MISS ?? 0;

      // The flush cost every category one MISS at least (each was cached again by its miss).
      expect(misses).toBeGreaterThan(0);
      // Non-hits are the path's errors, counted apart; hits are its operations, and only they are timed.
      expect(fast.errors).toBe(misses);
      expect(fast.firstError).toMatch(/^X-Cache: MISS on \/report\/fast, which must answer HIT/);
      expect(timing.responses).toBe(fast.ops);
      expect(fast.summary.count).toBe(fast.ops);
      expect(timing.xCache.HIT).toBe(fast.ops);
      expect(Object.keys(timing.xCache).sort()).toEqual(['HIT', 'MISS']);

      // The cache path's rule: flagged, with the server's INFO counters beside what the client saw.
      expect(fast.flags).toContain('cache-hits-unverified');
      expect(fast.cacheCheck).toMatchObject({ gets: fast.ops + misses, hits: fast.ops, misses, verified: false });
      expect(fast.cacheCheck!.serverHits).toBeGreaterThanOrEqual(fast.ops);
      expect(outcome.warnings.some((line) => line.startsWith(`cache hits not confirmed: X-Cache said HIT ${fast.ops}, MISS ${misses}`))).toBe(true);
      expect(renderReport('table', { result: outcome.result, comparisons: outcome.comparisons })).toMatch(/http-fast +c=1: [\d,]+ GETs, [\d,]+ hits; server keyspace_hits \+[\d,]+ · NOT VERIFIED/);

      const verdict = benchVerdict(outcome, false);
      expect(verdict.exitCode).toBe(ExitCode.failure);
      expect(verdict.lines.some((line) => /operations? failed \(http-fast\)/.test(line))).toBe(true);
      expect(verdict.lines.some((line) => /the cache hits \(or misses\) of http-fast were not confirmed/.test(line))).toBe(true);
    } finally {
      await runtime.close();
    }
  });
});
