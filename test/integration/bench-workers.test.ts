/**
 * bench --workers N against the real PostgreSQL and Redis (and a perfbench serve started for the
 * run): the threads' operations add up to the run's, their histograms add exactly, the plan and
 * cache checks still hold, errors of one thread reach the result, a thread that dies fails the run
 * with one line at once, and Ctrl-C stops every thread and leaves no connection behind. The table
 * has a quoted, mixed-case name: each thread rebuilds the statement from the names it is sent.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { benchOptions, type BenchFlags } from '../../src/flags/bench-flags.js';
import { LatencyHistogram, initHistograms } from '../../src/measure/histogram.js';
import type { PathResult } from '../../src/measure/result.js';
import type { CacheCheck, PlanSummary } from '../../src/targets/path.js';
import { bench, benchVerdict, type BenchOutcome } from '../../src/usecases/bench.js';
import { LoadThreads, type ThreadContext } from '../../src/usecases/bench-threads.js';
import { seed } from '../../src/usecases/dataset.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { eventually, exitOf, killAll, perfbench } from '../support/child-perfbench.js';
import { cli } from '../support/cli.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL, dropSeededTable, testRuntime, uniqueTable, withRuntime } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
const name = uniqueTable('Workers').replace('pbt_workers', 'pbt_Workers');
const table = `"${name}"`;

beforeAll(async () => {
  await admin.connect();
  await redis.connect();
  await initHistograms();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '20000', categories: '40', distribution: 'uniform', seed: '11' })));
}, 120_000);
afterEach(() => killAll());
afterAll(async () => {
  await dropSeededTable(admin, table, { recordedAs: [name, table, `public.${table}`] });
  await admin.end();
  redis.disconnect();
});

/** This run's report keys (the namespace carries the table name). */
async function runKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `perfbench:report:v1:*${name}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

async function runBench(extra: BenchFlags, signal?: AbortSignal, onMeasure?: () => void): Promise<BenchOutcome & { stderr: string }> {
  const runtime = testRuntime({}, signal);
  try {
    const outcome = await bench(runtime, benchOptions({ table, warmup: '0.1s', trials: '1', ...extra }), onMeasure ? {
      onProgress: (event) => event.phase === 'measure' && onMeasure(),
    } : {});
    return { ...outcome, stderr: runtime.out.stderr };
  } finally {
    await runtime.close();
  }
}

const path = (outcome: BenchOutcome, pathName: string): PathResult => {
  const found = outcome.result.paths.find((p) => p.name === pathName);
  if (!found) throw new Error(`no ${pathName} in the result`);
  return found;
};

/** The operations the merged histogram holds, read from its encoding (not from the summary). */
function histogramCount(p: PathResult): number {
  const histogram = LatencyHistogram.decode(p.histogram);
  try {
    return histogram.summarize().count;
  } finally {
    histogram.destroy();
  }
}

/** Connections to the test database other than `admin`'s. */
async function otherConnections(): Promise<number> {
  const { rows } = await admin.query<{ n: string }>(
    'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1', ['perfbench']);
  return Number(rows[0]!.n);
}

describe('bench --workers', () => {
  it('splits noop, index and cache over 2 threads: operations add up, histograms add exactly, plans and hits are checked', async () => {
    const outcome = await runBench({ paths: 'noop,index,cache', workers: '2', concurrency: '4', iterations: '400' });
    expect(outcome.result.options.workers).toBe(2);
    for (const pathName of ['noop', 'index', 'cache']) {
      const p = path(outcome, pathName);
      // 400 iterations dealt 200 + 200: every operation of the run, once.
      expect(p.ops, pathName).toBe(400);
      expect(p.errors, pathName).toBe(0);
      expect(p.summary.count, pathName).toBe(400);
      expect(histogramCount(p), pathName).toBe(400);
      expect(p).toMatchObject({ workers: 2, sources: 1, concurrency: 4, mode: 'closed' });
    }
    const plan = path(outcome, 'index').plan as unknown as PlanSummary;
    expect(plan.usesIndex).toBe(true);
    expect(path(outcome, 'index').flags ?? []).not.toContain('plan-mismatch');
    const check = path(outcome, 'cache').cacheCheck as CacheCheck;
    // Both threads' GETs (warm-up included), and the server saw at least as many hits.
    expect(check.verified).toBe(true);
    expect(check.misses).toBe(0);
    expect(check.hits).toBeGreaterThanOrEqual(400);
    expect(check.serverHits).toBeGreaterThanOrEqual(check.hits);
    expect(benchVerdict(outcome, false).exitCode).toBe(0);
    // The threads' keys and the run's index are gone with the run.
    expect(await runKeys()).toEqual([]);
    const { rows } = await admin.query("SELECT 1 FROM pg_indexes WHERE tablename = $1 AND indexname LIKE '%_pb'", [name]);
    expect(rows).toEqual([]);
  }, 120_000);

  it('times http-fast of the perfbench serve it starts from 2 threads: every response a cache hit, counted once', async () => {
    const outcome = await runBench({ paths: 'http-fast', http: true, workers: '2', concurrency: '4', iterations: '300' });
    const p = path(outcome, 'http-fast');
    expect(p.ops).toBe(300);
    expect(p.errors).toBe(0);
    expect(histogramCount(p)).toBe(300);
    expect(p.workers).toBe(2);
    expect(p.serverTiming?.responses).toBe(300);
    expect(p.serverTiming?.xCache['HIT']).toBe(300);
    expect(benchVerdict(outcome, false).exitCode).toBe(0);
    expect(await runKeys()).toEqual([]);
  }, 120_000);

  it("carries one thread's errors into the result: keys deleted mid-run make the cache path fail (exit 1)", async () => {
    let deleting: Promise<unknown> | undefined;
    const outcome = await runBench({ paths: 'cache', workers: '2', concurrency: '2', duration: '2s' }, undefined, () => {
      deleting ??= runKeys().then((keys) => (keys.length ? redis.del(...keys) : 0));
    });
    await deleting;
    const p = path(outcome, 'cache');
    expect(p.errors).toBeGreaterThan(0);
    expect(p.firstError).toMatch(/cache miss on the hit path/);
    expect(p.flags).toContain('cache-hits-unverified');
    expect(outcome.stderr).toMatch(/cache \(concurrency 2\): [\d,]+ operations? failed; first: cache miss/);
    const verdict = benchVerdict(outcome, false);
    expect(verdict.exitCode).toBe(1);
    expect(verdict.lines.join('\n')).toMatch(/operations? failed \(cache\)/);
  }, 120_000);

  it('stops every thread on Ctrl-C: the run returns what it measured at once and leaves no connection open', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const outcome = await runBench({ paths: 'index', workers: '2', concurrency: '2', duration: '60s' }, controller.signal, () => controller.abort());
    expect(outcome.interrupted).toBe(true);
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(path(outcome, 'index').interrupted).toBe(true);
    expect(benchVerdict(outcome, false).exitCode).toBe(130);
    expect(await otherConnections()).toBe(0);
  }, 120_000);

  it('stops every thread on SIGTERM (a timeout) in a process of its own: exit 130, what was measured printed, no connection left', async () => {
    const running = perfbench(['bench', '--table', table, '--paths', 'index', '--workers', '2', '--concurrency', '2', '--duration', '60s', '--trials', '1', '--warmup', '0']);
    // Both threads' connections are running the report: the run is under way.
    const reporting = async (): Promise<number> => Number((await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'perfbench'
          AND query LIKE '%' || $1 || '%' AND query NOT LIKE '%EXPLAIN%'`, [name])).rows[0]!.n);
    await eventually('the threads ran reports', async () => ((await reporting()) >= 2 ? true : undefined), 60_000);
    const stopped = Date.now();
    running.child.kill('SIGTERM');
    expect(await exitOf(running, 30_000)).toBe(130);
    expect(Date.now() - stopped).toBeLessThan(25_000);
    expect(running.output.stdout).toMatch(/2 worker threads/);
    expect(running.output.stderr).toMatch(/interrupted/);
    expect(await otherConnections()).toBe(0);
  }, 120_000);

  it('fails with one line, at once, when a thread dies in the measured phase', async () => {
    const context: ThreadContext = {
      database: { host: '127.0.0.1', port: 1, user: 'nobody', password: undefined, database: 'none', sslmode: 'disable', mode: 'external' },
      connectTimeoutMs: 1_000,
      filter: { table: tableIdentifier(table), column: columnIdentifier('category') },
      values: ['a', 'b', 'c'],
      draw: { distribution: 'uniform', seed: 1 },
      keyNamespace: 'unused',
      ttlSeconds: 60,
      paths: ['noop'],
      histogramBackend: 'wasm',
    };
    const threads = await LoadThreads.start(context, 2, new AbortController().signal, new URL('../support/crashing-thread.ts', import.meta.url));
    const started = Date.now();
    try {
      const run = threads.run('noop', { concurrency: 2, durationMs: 30_000, sequence: { at: () => 'a' } });
      await expect(run).rejects.toThrow(/^worker thread 2 of 2 crashed: injected crash in the measured phase$/);
      // Not after the 30 s run: the crash ends it.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await threads.close();
    }
  }, 60_000);

  it('refuses more threads than clients, with one line (exit 2)', async () => {
    const more = await cli(['bench', '--table', table, '--workers', '3', '--concurrency', '2']);
    expect(more.code).toBe(2);
    expect(more.stderr.trim().split('\n')).toHaveLength(1);
    expect(more.stderr).toMatch(/--workers 3 is more than --concurrency 2.*use --workers 2 or fewer/);
  });
});
