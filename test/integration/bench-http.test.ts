/**
 * `perfbench bench --http` against the real PostgreSQL and Redis: the HTTP paths next to the
 * database paths, with the server started in-process or given by URL. Structure and counts only:
 * no assertion here depends on how fast anything was.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bench, type BenchOutcome } from '../../src/usecases/bench.js';
import { benchOptions, type BenchFlags } from '../../src/flags/bench-flags.js';
import { renderReport } from '../../src/report/bench-report.js';
import { seed } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { startServe } from '../../src/usecases/report-server.js';
import { validateResult, type BenchResult, type PathResult } from '../../src/measure/result.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { freeLoopbackPort } from '../../src/net.js';
import { cli } from '../support/cli.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL, dropSeededTable, testRuntime, uniqueTable, withRuntime, indexNamesOf } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
const table = uniqueTable('benchhttp');
const CATEGORIES = 12;
const ITERATIONS = 30;

/** 3,000 rows in 12 categories (250 rows per report). */
beforeAll(async () => {
  await admin.connect();
  await redis.connect();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '3000', categories: String(CATEGORIES), distribution: 'uniform', seed: '3' })));
});
afterAll(async () => {
  await redis.eval("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 0", 0, `perfbench:report:v1:*:${table}:*`);
  await dropSeededTable(admin, table);
  await admin.end();
  redis.disconnect();
});

const indexNames = (): Promise<string[]> => indexNamesOf(admin, table);

/** The report keys under `pattern` (a glob after `perfbench:report:v1:`). */
async function keys(pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `perfbench:report:v1:${pattern}`, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

/** Every key a bench run (its own paths or the in-process server) writes for this table. */
const runKeys = () => keys(`*:${table}:category:bench-*`);

const flags = (extra: BenchFlags = {}): BenchFlags => ({ table, iterations: String(ITERATIONS), warmup: '0', trials: '1', ...extra });

async function runBench(extra: BenchFlags): Promise<BenchOutcome & { stderr: string; stdout: string }> {
  const runtime = testRuntime();
  let outcome: BenchOutcome;
  try {
    outcome = await bench(runtime, benchOptions(flags(extra)));
  } finally {
    await runtime.close();
  }
  // After close: the cleanups' lines too.
  return { ...outcome, stderr: runtime.out.stderr, stdout: runtime.out.stdout };
}

const byName = (result: BenchResult, name: string): PathResult[] => result.paths.filter((p) => p.name === name);

describe('perfbench bench --http against PostgreSQL and Redis', () => {
  it('with no URL: every path, the HTTP ones through an in-process server, hits verified, Server-Timing reported, state restored', async () => {
    expect(await indexNames()).toEqual([`${table}_pkey`]);
    // A warm-up, so the measured phase's counters must have been reset when it began.
    const outcome = await runBench({ http: true, warmup: '0.2s' });
    const { result } = outcome;
    expect(outcome.interrupted).toBe(false);
    expect(result.paths.map((p) => p.name)).toEqual(['seq', 'index', 'cache', 'miss', 'noop', 'http-slow', 'http-fast']);
    for (const p of result.paths) {
      expect(p.errors, `${p.name}: ${p.firstError}`).toBe(0);
      expect(p.ops).toBe(ITERATIONS);
    }
    const [slow] = byName(result, 'http-slow');
    const [fast] = byName(result, 'http-fast');
    for (const p of [slow!, fast!]) {
      expect(p.kind).toBe('http');
      expect(p.serverTiming!.responses).toBe(ITERATIONS);
      expect(Object.keys(p.serverTiming!.meanMs).sort()).toEqual(['cache', 'db', 'queue', 'total']);
      expect(p.flags ?? []).not.toContain('cache-hits-unverified');
    }
    expect(slow!.serverTiming!.xCache).toEqual({ BYPASS: ITERATIONS });
    // Every measured http-fast response was a hit: no database time on the server.
    expect(fast!.serverTiming!.xCache).toEqual({ HIT: ITERATIONS });
    expect(fast!.serverTiming!.meanMs['db']).toBe(0);
    expect(slow!.serverTiming!.meanMs['db']).toBeGreaterThan(0);

    expect(result.environment).toMatchObject({ httpServer: 'in-process', cacheTier: 'redis' });
    expect(result.notes?.some((n) => n.includes("inside perfbench's own process"))).toBe(true);
    expect(outcome.stderr).toMatch(/started perfbench serve on http:\/\/127\.0\.0\.1:\d+ for the http paths/);
    const pairs = outcome.comparisons.map((c) => `${c.path}/${c.baseline}`);
    expect(pairs).toEqual(expect.arrayContaining(['http-slow/seq', 'http-fast/seq', 'cache/index', 'http-fast/http-slow']));

    // JSON: the contract, with the breakdown per path; table and Markdown: the column and the section.
    const json = validateResult(JSON.parse(renderReport('json', outcome)));
    expect(json.paths.find((p) => p.name === 'http-fast')!.serverTiming).toEqual(fast!.serverTiming);
    expect(json.paths.filter((p) => p.serverTiming).map((p) => p.name)).toEqual(['http-slow', 'http-fast']);
    const text = renderReport('table', outcome);
    expect(text).toContain('Server mean (ms)');
    expect(text).toMatch(/Server-Timing[^\n]*\n\s+http-slow\s+c=1: queue [\d.]+ · cache [\d.]+ · db [\d.]+ · total [\d.]+ ms; client mean/);
    expect(text).toContain(`X-Cache HIT ${ITERATIONS} of ${ITERATIONS} responses`);
    const markdown = renderReport('markdown', outcome);
    expect(markdown).toContain('| Server mean (ms) |');
    expect(markdown).toContain('### Server-Timing');

    // As found: the run's index dropped, no key of the run (its own or the server's) left.
    expect(await indexNames()).toEqual([`${table}_pkey`]);
    expect(await runKeys()).toEqual([]);
  });

  it('--keep-cache leaves the in-process server its keys: one per category, under the run\'s own namespace', async () => {
    const outcome = await runBench({ paths: 'http-fast', keepCache: true });
    expect(outcome.result.paths.map((p) => [p.name, p.errors, p.serverTiming!.xCache])).toEqual([['http-fast', 0, { HIT: ITERATIONS }]]);
    // An HTTP path in --paths starts the server as --http does.
    expect(outcome.result.environment.httpServer).toBe('in-process');
    expect(outcome.stderr).toContain("kept the in-process server's report keys under perfbench:report:v1:");
    const kept = await keys(`*:${table}:category:bench-*-http:*`);
    expect(kept).toHaveLength(CATEGORIES);
    expect(await redis.ttl(kept[0]!)).toBeGreaterThan(0);
    await redis.del(...kept);
    expect(await indexNames()).toEqual([`${table}_pkey`]);
  });

  it('with a URL: times that server as it is, and leaves its keys to it', async () => {
    const serverRuntime = testRuntime();
    try {
      const running = await startServe(serverRuntime, {
        port: 0, host: '127.0.0.1', table: tableIdentifier(table), column: columnIdentifier('category'), ttlSeconds: 120, poolSize: 4,
      });
      // The server's own keys (cat-NN directly under its namespace), not a bench run's.
      const own = () => keys(`${running.namespace}:cat-*`);
      expect(await own()).toEqual([]);
      const outcome = await runBench({ http: `${running.url}/`, paths: 'http-slow,http-fast', concurrency: '2', trials: '2' });
      const { result } = outcome;
      expect(result.paths.map((p) => `${p.name}/${p.trial}`)).toEqual(['http-slow/1', 'http-fast/1', 'http-slow/2', 'http-fast/2']);
      for (const p of result.paths) {
        expect(p.errors, `${p.name}: ${p.firstError}`).toBe(0);
        expect(p.concurrency).toBe(2);
        expect(p.serverTiming!.responses).toBe(ITERATIONS);
      }
      for (const p of byName(result, 'http-fast')) expect(p.serverTiming!.xCache).toEqual({ HIT: ITERATIONS });
      expect(result.environment.httpServer).toBe(running.url);
      // The warm-up filled the server's cache: said once, and the keys stay with the server.
      const warmNotes = result.paths.flatMap((p) => p.notes ?? []).filter((n) => n.startsWith('warm-up:'));
      expect(warmNotes).toEqual([`warm-up: the server had 0 of ${CATEGORIES} reports cached and cached the other ${CATEGORIES} (X-Cache: MISS); ` +
        'they stay until its TTL ends (perfbench removes keys only from a server it started)']);
      expect(await own()).toHaveLength(CATEGORIES);
      // The server counted every request: warm-up and measured, both routes.
      expect(running.server.metrics.requestCount('/report/fast', '200')).toBe(CATEGORIES + 2 * ITERATIONS);
      expect(running.server.metrics.requestCount('/report/slow', '200')).toBe(2 * ITERATIONS);
      // Trials fold into one row with the summed counts.
      expect(renderReport('table', outcome)).toContain(`X-Cache HIT ${2 * ITERATIONS} of ${2 * ITERATIONS} responses`);
      expect(outcome.comparisons.map((c) => `${c.path}/${c.baseline}`)).toEqual(['http-fast/http-slow']);
      await redis.del(...(await own()));
    } finally {
      await serverRuntime.close();
    }
    expect(await indexNames()).toEqual([`${table}_pkey`]);
    expect(await runKeys()).toEqual([]);
  });

  it('through the CLI: --http with JSON on stdout; a bad URL exits 2, an unreachable one exits 1, each with one line', async () => {
    const ok = await cli(['bench', '--http', '--paths', 'http-slow,http-fast', '--table', table, '--iterations', '10', '--warmup', '0', '--trials', '1', '--format', 'json']);
    expect(ok.code, ok.stderr).toBe(0);
    const result = validateResult(JSON.parse(ok.stdout));
    expect(result.paths.map((p) => [p.name, p.errors, p.serverTiming?.responses])).toEqual([['http-slow', 0, 10], ['http-fast', 0, 10]]);
    expect(result.comparisons?.map((c) => `${c.path}/${c.baseline}`)).toEqual(['http-fast/http-slow']);

    for (const bad of ['ftp://user:secret@127.0.0.1/', 'not a url', 'http://127.0.0.1:8080/?category=x']) {
      const run = await cli(['bench', '--http', bad, '--table', table]);
      expect(run.code, bad).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1);
      expect(run.stderr).toContain('is not an http:// or https:// URL');
      expect(run.stderr).not.toContain('secret');
    }
    const excluded = await cli(['bench', '--http', '--paths', 'seq', '--table', table]);
    expect(excluded.code).toBe(2);
    expect(excluded.stderr).toContain('--http times the http-slow and http-fast paths, but --paths leaves them out');

    const port = await freeLoopbackPort();
    const unreachable = await cli(['bench', '--http', `http://127.0.0.1:${port}`, '--table', table, '--iterations', '5']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toBe('');
    expect(unreachable.stderr.trim().split('\n'), unreachable.stderr).toHaveLength(1);
    expect(unreachable.stderr).toContain(`cannot reach http://127.0.0.1:${port}`);
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);

    expect(await indexNames()).toEqual([`${table}_pkey`]);
    expect(await runKeys()).toEqual([]);
  });
});
