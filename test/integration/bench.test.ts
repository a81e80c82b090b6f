import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bench, type BenchOutcome } from '../../src/usecases/bench.js';
import { benchOptions, type BenchFlags } from '../../src/flags/bench-flags.js';
import { publish } from '../../src/usecases/publish.js';
import { merge } from '../../src/usecases/result-file.js';
import { seed } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { gate } from '../../src/measure/gate.js';
import { validateResult, type BenchResult, type PathResult } from '../../src/measure/result.js';
import { ExitCode } from '../../src/errors.js';
import type { CacheCheck, PlanSummary } from '../../src/targets/path.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL, dropSeededTable, testRuntime, uniqueTable, withRuntime, indexNamesOf } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
const table = uniqueTable('bench');
const indexName = `${table}_category_btree_pb`;
const dir = mkdtempSync(join(tmpdir(), 'perfbench-bench-'));

/** 20,000 rows in 40 categories: 500 rows (2.5%) per report, so the planner picks the index when it may. */
beforeAll(async () => {
  await admin.connect();
  await redis.connect();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '20000', categories: '40', distribution: 'uniform', seed: '7' })));
});
afterAll(async () => {
  await dropSeededTable(admin, table);
  await admin.end();
  redis.disconnect();
});

const indexNames = (): Promise<string[]> => indexNamesOf(admin, table);

/** Every key any bench run left for this table (the namespace carries the table name). */
async function leftoverKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `perfbench:report:v1:*:${table}:category:bench-*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

const flags = (extra: BenchFlags = {}): BenchFlags => ({ table, iterations: '60', warmup: '0', trials: '1', ...extra });

async function runBench(extra: BenchFlags = {}, signal?: AbortSignal, onMeasure?: (path: string) => void): Promise<BenchOutcome & { stderr: string }> {
  const runtime = testRuntime({}, signal);
  try {
    const outcome = await bench(runtime, benchOptions(flags(extra)), onMeasure ? {
      onProgress: (event) => event.phase === 'measure' && onMeasure(event.target),
    } : {});
    return { ...outcome, stderr: runtime.out.stderr };
  } finally {
    await runtime.close();
  }
}

const byName = (result: BenchResult, name: string): PathResult[] => result.paths.filter((p) => p.name === name);
const planOf = (p: PathResult): PlanSummary => p.plan as unknown as PlanSummary;
const cacheCheckOf = (p: PathResult): CacheCheck => (p as PathResult & { cacheCheck: CacheCheck }).cacheCheck;

/** A copy of a result whose every path is `factor` times as fast (summary figures only: the gate's trials method reads those). */
function doctored(result: BenchResult, factor: number): BenchResult {
  const copy = JSON.parse(JSON.stringify(result)) as BenchResult;
  for (const p of copy.paths) {
    for (const key of ['meanUs', 'minUs', 'p50Us', 'p90Us', 'p99Us', 'p999Us', 'maxUs'] as const) p.summary[key] = p.summary[key] / factor;
  }
  return copy;
}

describe('perfbench bench against PostgreSQL and Redis', () => {
  it('runs every path without errors, records the plans it ran and verifies the cache hits', async () => {
    const before = await indexNames();
    expect(before).toEqual([`${table}_pkey`]);
    const outcome = await runBench({ trials: '2' });
    const { result } = outcome;
    expect(outcome.interrupted).toBe(false);
    expect(result.paths.map((p) => `${p.name}/${p.trial}`)).toEqual([
      'seq/1', 'index/1', 'cache/1', 'miss/1', 'noop/1', 'seq/2', 'index/2', 'cache/2', 'miss/2', 'noop/2',
    ]);
    for (const p of result.paths) {
      expect(p.errors, `${p.name}: ${p.firstError}`).toBe(0);
      expect(p.ops).toBe(60);
      expect(p.flags ?? []).not.toContain('plan-mismatch');
    }
    const seqPlan = planOf(byName(result, 'seq')[0]!);
    expect(seqPlan.usesIndex).toBe(false);
    expect(seqPlan.scanType).toMatch(/Seq Scan/);
    expect(seqPlan.indexes).toEqual([]);
    const indexPlan = planOf(byName(result, 'index')[0]!);
    expect(indexPlan.usesIndex).toBe(true);
    expect(indexPlan.scanType).toMatch(/^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/);
    expect(indexPlan.indexes).toEqual([indexName]);
    expect(indexPlan.sharedHitBlocks + indexPlan.sharedReadBlocks).toBeGreaterThan(0);
    expect(indexPlan.executionTimeMs).toBeGreaterThan(0);
    expect(planOf(byName(result, 'miss')[0]!).usesIndex).toBe(true);

    for (const p of byName(result, 'cache')) {
      const check = cacheCheckOf(p);
      // warmup 0: the GETs are exactly the measured operations
      expect(check).toMatchObject({ gets: 60, hits: 60, misses: 0, verified: true });
      expect(check.serverHits).toBeGreaterThanOrEqual(60);
    }
    for (const p of byName(result, 'miss')) {
      expect(cacheCheckOf(p)).toMatchObject({ gets: 60, hits: 0, misses: 60, verified: true });
      expect(cacheCheckOf(p).serverMisses).toBeGreaterThanOrEqual(60);
    }
    expect(result.environment).toMatchObject({
      node: process.version, table, column: 'category', cacheTier: 'redis', histogramBackend: expect.stringMatching(/^(wasm|js)$/),
    });
    expect(result.environment.postgres).toMatch(/^\d+/);
    expect(result.environment.redis).toMatch(/^\d+\.\d+/);
    expect(result.environment.indexes).toEqual([`${indexName} (btree on category)`, `${table}_pkey (btree on id)`]);
    expect(Object.keys(result.environment.settings!)).toEqual(expect.arrayContaining(['shared_buffers', 'work_mem', 'jit']));
    expect(result.options).toMatchObject({ mode: 'closed', iterations: 60, trials: 2, categories: 40, paths: ['seq', 'index', 'cache', 'miss', 'noop'] });
    expect(outcome.comparisons.map((c) => `${c.path}/${c.baseline}`)).toEqual(['index/seq', 'cache/seq', 'miss/seq', 'cache/index']);
    expect(outcome.stderr).toContain(`created index ${indexName} for the run`);

    // Left as found: the index created for the run is gone, and so are the keys.
    expect(await indexNames()).toEqual(before);
    expect(await leftoverKeys()).toEqual([]);
    expect(() => validateResult(JSON.parse(JSON.stringify(result)))).not.toThrow();
  });

  it('keeps a pre-existing index, and the index and keys with --keep-index / --keep-cache', async () => {
    await admin.query(`CREATE INDEX ${table}_manual ON ${table} (category)`);
    try {
      const before = await indexNames();
      const { result, stderr } = await runBench({ paths: 'index,cache' });
      expect(planOf(byName(result, 'index')[0]!).indexes).toEqual([`${table}_manual`]);
      expect(stderr).not.toContain('created index');
      expect(await indexNames()).toEqual(before);
    } finally {
      await admin.query(`DROP INDEX ${table}_manual`);
    }

    const kept = await runBench({ paths: 'index,cache', keepIndex: true, keepCache: true, ttl: '60' });
    expect(kept.stderr).toContain('--keep-index leaves it in place');
    expect(await indexNames()).toEqual([indexName, `${table}_pkey`]);
    const keys = await leftoverKeys();
    expect(keys).toHaveLength(40);
    expect(keys[0]).toContain(`:${kept.result.environment.dataset}:`);
    const ttl = await redis.ttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    await redis.unlink(...keys);
    await admin.query(`DROP INDEX ${indexName}`);
  });

  it('restores the index state and removes its keys after Ctrl-C mid-run, and returns what it measured', async () => {
    const before = await indexNames();
    const controller = new AbortController();
    // The index is created before the first path runs and the cache is filled in the cache path's
    // setup, so stopping 300 ms into the cache path's measurement leaves both to clean up.
    const outcome = await runBench({ paths: 'cache,index,noop', iterations: undefined, duration: '30s' }, controller.signal, (path) => {
      if (path === 'cache') setTimeout(() => controller.abort(), 300);
    });
    expect(outcome.interrupted).toBe(true);
    expect(outcome.result.interrupted).toBe(true);
    expect(outcome.result.paths.map((p) => p.name)).toEqual(['cache']);
    const cache = outcome.result.paths[0]!;
    expect(cache.interrupted).toBe(true);
    expect(cache.ops).toBeGreaterThan(0);
    expect(cache.errors).toBe(0);
    expect(cache.elapsedMs).toBeLessThan(30_000);
    expect(outcome.stderr).toContain(`created index ${indexName} for the run`);
    expect(outcome.gate).toBeUndefined();
    expect(await indexNames()).toEqual(before);
    expect(await leftoverKeys()).toEqual([]);
  });

  it('gates: a run against itself passes, a second run is judged by its trials, a 4x faster baseline trips', async () => {
    const options = { paths: 'index,cache', iterations: '600', trials: '3', warmup: '0.2s' };
    const first = (await runBench(options)).result;
    const second = await runBench({ ...options, baseline: await writeJson('first.json', first) });
    // Whether the second run passes is this machine's noise, not the gate's logic (a loaded CI
    // machine moved one p99 past the 10% threshold): the test asserts the verdicts it gives, not which.
    expect(second.gate).toBeDefined();
    expect(second.gate!.verdicts.map((v) => v.method)).toEqual(['trials', 'trials']);
    expect(gate(first, first, { thresholdPct: 10 }).tripped).toBe(false);
    expect(gate(second.result, second.result, { thresholdPct: 10 }).tripped).toBe(false);
    // The same run's figures, 4x faster: the trial ranges of a loaded CI machine (p99 of 600
    // operations) can be wider than 2x, so a smaller factor would test the machine, not the gate.
    const faster = gate(second.result, doctored(second.result, 4), { thresholdPct: 10 });
    expect(faster.tripped).toBe(true);
    expect(faster.verdicts.every((v) => v.verdict === 'regressed')).toBe(true);
  });

  it('writes --output files in every format, appends Markdown to $GITHUB_STEP_SUMMARY, and merges results', async () => {
    const outcome = await runBench({ paths: 'index,cache,noop' });
    const files = ['r.json', 'r.md', 'r.csv', 'r.txt'].map((name) => join(dir, name));
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    const runtime = testRuntime();
    const options = benchOptions({ format: 'json', output: files });
    await publish(runtime, options.format, options.outputs, outcome, { GITHUB_STEP_SUMMARY: summary });
    const json = validateResult(JSON.parse(readFileSync(files[0]!, 'utf8')));
    expect(json.paths.map((p) => p.name)).toEqual(['index', 'cache', 'noop']);
    expect(JSON.parse(runtime.out.stdout)).toEqual(JSON.parse(readFileSync(files[0]!, 'utf8')));
    expect(readFileSync(files[1]!, 'utf8')).toMatch(/^## perfbench bench\n[\s\S]*### Speed-up[\s\S]*### Plans[\s\S]*### Cache checks/);
    expect(readFileSync(files[2]!, 'utf8').split('\r\n')[0]).toMatch(/^path,kind,mode,/);
    expect(readFileSync(files[2]!, 'utf8').split('\r\n').filter(Boolean)).toHaveLength(4);
    expect(readFileSync(files[3]!, 'utf8')).toMatch(/^perfbench bench ·[\s\S]*Plans \(EXPLAIN ANALYZE/);
    expect(readFileSync(summary, 'utf8')).toMatch(/^# earlier step\n## perfbench bench\n/);
    expect(runtime.out.stderr).toContain(`wrote ${files[0]} (json)`);

    const merged = await merge([files[0]!, files[0]!]);
    const index = merged.result.paths.find((p) => p.name === 'index')!;
    expect(index.ops).toBe(120);
    expect(index.sources).toBe(2);
    expect(index.summary.count).toBe(120);
    expect(merged.comparisons.map((c) => `${c.path}/${c.baseline}`)).toEqual(['cache/index']);
  });
});

describe('perfbench bench and merge through the CLI', () => {
  it('runs, writes JSON, gates with exit 3 against a doctored baseline, and rejects bad baselines with exit 2', async () => {
    const { cli } = await import('../support/cli.js');
    const json = join(dir, 'cli.json');
    const run = await cli(['bench', '--table', table, '--paths', 'index,cache,noop', '--iterations', '200', '--trials', '3', '--warmup', '0.1s',
      '--format', 'json', '--output', json]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const result = validateResult(JSON.parse(run.stdout));
    expect(result.paths).toHaveLength(9);
    expect(run.stderr).toContain('created index');

    // 8x faster: a fresh run's trials on a loaded machine can spread wider than 2x (once -62% to
    // +240%), and then the gate rightly says the comparison is inconclusive; this tests the exit code.
    const fast = join(dir, 'fast.json');
    writeFileSync(fast, JSON.stringify(doctored(result, 8)));
    const gated = await cli(['bench', '--table', table, '--paths', 'index,cache', '--iterations', '200', '--trials', '3', '--warmup', '0.1s',
      '--baseline', fast, '--fail-if-slower', '10%']);
    expect(gated.code, gated.stderr).toBe(ExitCode.regression);
    expect(gated.stderr).toContain('Gate TRIPPED');
    expect(gated.stdout).toContain('perfbench bench');

    const informative = await cli(['bench', '--table', table, '--paths', 'cache', '--iterations', '50', '--trials', '1', '--baseline', fast]);
    expect(informative.code, informative.stderr).toBe(ExitCode.ok);
    expect(informative.stderr).toContain('Regression gate');

    const missing = await cli(['bench', '--table', table, '--baseline', join(dir, 'nope.json'), '--fail-if-slower', '10%']);
    expect(missing.code).toBe(ExitCode.usage);
    expect(missing.stderr).toBe(`perfbench: --baseline ${join(dir, 'nope.json')}: no such file — pass the JSON written by \`perfbench bench --output result.json\`\n`);
    const corruptFile = join(dir, 'corrupt.json');
    writeFileSync(corruptFile, '{"kind": "perfbench.bench", ');
    const corrupt = await cli(['bench', '--table', table, '--baseline', corruptFile]);
    expect(corrupt.code).toBe(ExitCode.usage);
    expect(corrupt.stderr).toMatch(/^perfbench: --baseline .*corrupt\.json: not valid JSON \(.*\) — .*\n$/);
    const oldFile = join(dir, 'old.json');
    writeFileSync(oldFile, JSON.stringify({ ...result, schemaVersion: 0 }));
    const old = await cli(['bench', '--table', table, '--baseline', oldFile]);
    expect(old.code).toBe(ExitCode.usage);
    expect(old.stderr).toMatch(/schemaVersion 0 is older than this perfbench reads \(1\) — re-run the benchmark to make a new baseline\n$/);

    const merged = await cli(['merge', json, json, '--format', 'csv']);
    expect(merged.code, merged.stderr).toBe(ExitCode.ok);
    expect(merged.stdout.split('\r\n')[0]).toMatch(/^path,kind,mode/);
    expect((await cli(['merge', join(dir, 'nope.json')])).code).toBe(ExitCode.usage);

    const usage = await cli(['bench', '--table', table, '--paths', 'seq,bogus']);
    expect(usage.code).toBe(ExitCode.usage);
    expect(usage.stderr).toBe("perfbench: --paths: unknown path 'bogus' — choose from seq, index, cache-get, cache, near, miss, noop, http-slow, http-fast\n");
    const missingTable = await cli(['bench', '--table', `${table}_missing`]);
    expect(missingTable.code).toBe(ExitCode.usage);
    expect(missingTable.stderr).toContain(`table ${table}_missing does not exist`);

    expect(await indexNames()).toEqual([`${table}_pkey`]);
    expect(await leftoverKeys()).toEqual([]);
  });
});

async function writeJson(name: string, result: BenchResult): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(result));
  return path;
}
