/**
 * Redis refusing writes (maxmemory reached with the noeviction policy), on a private redis-server:
 * `bench`'s cache and miss paths then have no successful operation (issue 15, item 5). They must get
 * no latency and no speed-up in any format — "—" and the reason — and the run exits 1.
 */
import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { renderReport } from '../../src/report/bench-report.js';
import { renderSpeedupCsv } from '../../src/report/bench-csv.js';
import { bench, benchVerdict } from '../../src/usecases/bench.js';
import { seed } from '../../src/usecases/dataset.js';
import { TestRedis } from './serve-helpers.js';
import { TEST_DATABASE_URL, dropSeededTable, testRuntime, uniqueTable, withRuntime } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const table = uniqueTable('refused_writes');
let redis: TestRedis;
let control: Redis;

/**
 * Fills the private server past a 1 MB maxmemory, then sets it with noeviction: every write that
 * could allocate is refused ("OOM command not allowed"), reads still answer.
 */
async function refuseWrites(): Promise<void> {
  await control.set('filler', 'x'.repeat(2 * 1024 * 1024));
  await control.config('SET', 'maxmemory-policy', 'noeviction');
  await control.config('SET', 'maxmemory', '1mb');
  await expect(control.set('probe', '1')).rejects.toThrow(/OOM/);
}

beforeAll(async () => {
  await admin.connect();
  redis = await TestRedis.start();
  control = await redis.client();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '4000', categories: '10', distribution: 'uniform', seed: '7' })));
  await refuseWrites();
});
afterAll(async () => {
  control.disconnect();
  await redis.stop();
  await dropSeededTable(admin, table);
  await admin.end();
});

describe('bench with Redis refusing writes', () => {
  it('gives the cache and miss paths no latency and no speed-up, says why in every format, and exits 1', async () => {
    const runtime = testRuntime({ REDIS_URL: `redis://127.0.0.1:${redis.port}/0` });
    try {
      const outcome = await bench(runtime, benchOptions({ table, paths: 'seq,index,cache,miss', iterations: '40', warmup: '0', trials: '1' }));
      const path = (name: string) => outcome.result.paths.find((p) => p.name === name)!;
      for (const name of ['seq', 'index']) expect(path(name).ops, name).toBe(40);
      for (const name of ['cache', 'miss']) {
        expect(path(name).ops, name).toBe(0);
        expect(path(name).errors, name).toBeGreaterThan(0);
        expect(path(name).firstError, name).toMatch(/OOM command not allowed/);
      }

      // No pair with an empty side has a ratio; the others do.
      for (const c of outcome.comparisons) {
        const empty = [c.path, c.baseline].some((name) => name === 'cache' || name === 'miss');
        if (empty) expect(c, `${c.path}/${c.baseline}`).toMatchObject({ method: 'none', p50: null, p99: null, reason: expect.stringMatching(/had no successful operation/) });
        else expect(c.method, `${c.path}/${c.baseline}`).not.toBe('none');
      }
      expect(outcome.comparisons.find((c) => c.path === 'cache' && c.baseline === 'seq')).toMatchObject({ reason: 'cache had no successful operation (1 error)' });

      const report = { result: outcome.result, comparisons: outcome.comparisons };
      const table_ = renderReport('table', report);
      const speedUpRows = table_.split('\n').filter((line) => /^│ (cache|miss) +│ (seq|index) +│/.test(line));
      expect(speedUpRows).toHaveLength(3); // cache/seq, miss/seq, cache/index
      for (const row of speedUpRows) expect(row).not.toMatch(/\dx/);
      expect(table_).toMatch(/│ cache +│ seq +│ +1 │ +— │ +— │ no speed-up: cache had no successful operation \(1 error\)/);
      expect(table_).toMatch(/│ miss +│ +1 │ +0 │/);
      expect(table_).toContain('miss (concurrency 1): no successful operation, so no latency and no speed-up (shown as —)');
      const markdown = renderReport('markdown', report);
      expect(markdown).toMatch(/\| `cache` \| `index` \| 1 \| — \| — \| no speed-up: cache had no successful operation/);
      const csv = renderReport('csv', report);
      expect(csv.split('\r\n').find((line) => line.startsWith('miss,'))).toMatch(/,no-successful-operations$/);
      expect(renderSpeedupCsv(outcome.comparisons)).toMatch(/\r\nmiss,seq,closed,1,,,,,,,none,0,,miss had no successful operation \(\d+ errors\)\r\n/);
      const json = JSON.parse(renderReport('json', report)) as { comparisons: Array<{ path: string; baseline: string; p50: unknown; reason?: string }> };
      expect(json.comparisons.filter((c) => c.path === 'cache' || c.path === 'miss').every((c) => c.p50 === null && /no successful operation/.test(c.reason ?? ''))).toBe(true);

      const verdict = benchVerdict(outcome, false);
      expect(verdict.exitCode).toBe(ExitCode.failure);
      expect(verdict.lines).toContain('perfbench: cache, miss had no successful operation, so no latency and no speed-up (shown as —); see the warnings');
    } finally {
      await runtime.close();
    }
  });
});
