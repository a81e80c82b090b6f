/**
 * Faults during `bench`, against real servers: a private redis-server (never the machine's) killed
 * in the middle of the cache path. The run must end with a report in which the cache path's
 * failures are counted and the other paths are untouched; the database is left as it was found.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bench } from '../../src/usecases/bench.js';
import { benchVerdict } from '../../src/usecases/bench.js';
import { ExitCode } from '../../src/errors.js';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { publish } from '../../src/usecases/publish.js';
import { seed } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { TestRedis } from './serve-helpers.js';
import { TEST_DATABASE_URL, dropSeededTable, testRuntime, uniqueTable, withRuntime, indexNamesOf } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const table = uniqueTable('fault_bench');
let redis: TestRedis;

beforeAll(async () => {
  await admin.connect();
  redis = await TestRedis.start();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '5000', categories: '20', distribution: 'uniform', seed: '5' })));
});
afterAll(async () => {
  await redis.stop();
  await dropSeededTable(admin, table);
  await admin.end();
});

const indexNames = (): Promise<string[]> => indexNamesOf(admin, table);

describe('Redis killed in the middle of bench', () => {
  it('ends with a report: the cache path counts its failures, the index and noop paths are unaffected', async () => {
    const before = await indexNames();
    const runtime = testRuntime({ REDIS_URL: `redis://127.0.0.1:${redis.port}/0` });
    let killed: Promise<void> | undefined;
    try {
      // Two trials: the kill lands in trial 1's cache path; trial 2 finds Redis gone from the start.
      const options = benchOptions({ table, paths: 'index,cache,noop', duration: '800ms', warmup: '0', trials: '2' });
      const outcome = await bench(runtime, options, {
        onProgress: (event) => {
          if (event.target === 'cache' && event.phase === 'measure' && !killed) killed = redis.stop();
        },
      });
      await killed;
      expect(killed).toBeDefined();
      expect(outcome.interrupted).toBe(false);
      const byName = (name: string) => outcome.result.paths.filter((path) => path.name === name);
      expect(byName('cache')).toHaveLength(2);
      for (const path of byName('cache')) {
        expect(path.errors, `cache trial ${path.trial}`).toBeGreaterThan(0);
        expect(path.firstError).toBeTruthy();
      }
      for (const name of ['index', 'noop']) {
        expect(byName(name)).toHaveLength(2);
        for (const path of byName(name)) {
          expect(path.errors, `${name} trial ${path.trial}`).toBe(0);
          expect(path.ops).toBeGreaterThan(0);
        }
      }
      expect(outcome.warnings.some((line) => /^cache \(concurrency 1\): [\d,]+ operations? failed; first: /.test(line))).toBe(true);

      // The report is still produced, and says so.
      await publish(runtime, 'json', [], outcome, {});
      const json = JSON.parse(runtime.out.stdout) as { paths: Array<{ name: string; errors: number }> };
      expect(json.paths.filter((p) => p.name === 'cache').every((p) => p.errors > 0)).toBe(true);
      expect(json.paths.filter((p) => p.name !== 'cache').every((p) => p.errors === 0)).toBe(true);
      // …and the command exits 1: figures with failed operations are incomplete, CI must see it.
      const verdict = benchVerdict(outcome, true);
      expect(verdict.exitCode).toBe(ExitCode.failure);
      expect(verdict.lines.find((line) => /operations? failed/.test(line))).toMatch(/^perfbench: [\d,]+ operations failed \(cache\); the figures above are incomplete/);
    } finally {
      await runtime.close();
    }
    // The index made for the run is dropped even though the key cleanup could not reach Redis.
    expect(await indexNames()).toEqual(before);
    expect(runtime.out.stderr).toMatch(/cleanup failed: /);
    expect(runtime.out.stderr).not.toMatch(/\n\s+at /);
    await redis.start();
  });
});
