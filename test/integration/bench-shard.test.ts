/**
 * Issue 14, item 1: coordinated load generators, against the real PostgreSQL and Redis. Four
 * `bench --shard I/4` processes (started together at a Redis barrier) do the same total work as one
 * process (the same total concurrency and iterations); merged, their op counts equal the single
 * process's exactly, their throughput agrees with it within a loose bound, and the merged histogram
 * is the exact sum of the shards'. Also: --start-at, a barrier that times out, a --start-at in the
 * past, and merge refusing shards of different runs, duplicates and missing ones.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { initHistograms, LatencyHistogram } from '../../src/measure/histogram.js';
import type { BenchResult, PathResult } from '../../src/measure/result.js';
import { seed } from '../../src/usecases/dataset.js';
import { exitOf, killAll, perfbench, type Running } from '../support/child-perfbench.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL, dropSeededTable, withRuntime } from '../support/services.js';

// A quoted, mixed-case name, nothing like products.
const TABLE = `"Shard Load ${process.pid}"`;
const BARRIER = `pbt-shard-${process.pid}`;
const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
const dir = mkdtempSync(join(tmpdir(), 'perfbench-shard-'));
const file = (name: string) => join(dir, name);
const read = (name: string): BenchResult => JSON.parse(readFileSync(file(name), 'utf8')) as BenchResult;
/** How long beforeAll's `index add` child took, start to exit: what a CLI process costs on this machine now. */
let childMs = 0;

beforeAll(async () => {
  await admin.connect();
  await redis.connect();
  await initHistograms();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table: TABLE, rows: '20000', categories: '40', distribution: 'uniform', seed: '7' })));
  // Shards change nothing on the table: the index the index path reads is made once, before them.
  const started = Date.now();
  const added = perfbench(['index', 'add', '--table', TABLE, '--column', 'category']);
  expect(await exitOf(added), added.output.stderr).toBe(ExitCode.ok);
  childMs = Date.now() - started;
}, 120_000);
afterEach(killAll);
afterAll(async () => {
  await dropSeededTable(admin, TABLE);
  // A barrier that opened leaves nothing; one that timed out removed its count: nothing may be left.
  const left = await redis.keys(`{perfbench:barrier:${BARRIER}*`);
  if (left.length > 0) await redis.del(...left);
  await Promise.all([admin.end(), redis.quit()]);
  rmSync(dir, { recursive: true, force: true });
  expect(left).toEqual([]);
});

/** The same total work for one process and for the shards: 4 workers, 1,000 operations per path. */
const WORK = ['bench', '--table', TABLE, '--paths', 'index,noop', '--concurrency', '4', '--iterations', '1000', '--warmup', '0', '--trials', '1', '--format', 'json'];

async function succeeded(run: Running, timeoutMs = 120_000): Promise<void> {
  expect(await exitOf(run, timeoutMs), `stderr: ${run.output.stderr}`).toBe(ExitCode.ok);
}

function pathOf(result: BenchResult, name: string): PathResult {
  const path = result.paths.find((p) => p.name === name);
  expect(path, `${name} in the result`).toBeDefined();
  return path!;
}

function buckets(encoded: readonly string[]): Map<number, number> {
  const sum = new Map<number, number>();
  for (const e of encoded) {
    const h = LatencyHistogram.decode(e);
    for (const b of h.buckets()) sum.set(b.valueUs, (sum.get(b.valueUs) ?? 0) + b.count);
    h.destroy();
  }
  return sum;
}

describe('bench --shard I/4 against one process doing the same work', () => {
  it('merges to the same op counts, a throughput of the same order, and a histogram that is the exact sum of the shards\'', async () => {
    const single = perfbench([...WORK, '--output', file('single.json')]);
    await succeeded(single);
    const shards = [1, 2, 3, 4].map((i) => perfbench([...WORK, '--shard', `${i}/4`, '--barrier', BARRIER, '--barrier-timeout', '90s', '--output', file(`shard-${i}.json`)]));
    for (const run of shards) await succeeded(run);
    const merge = perfbench(['merge', ...[1, 2, 3, 4].map((i) => file(`shard-${i}.json`)), '--output', file('merged.json')]);
    await succeeded(merge, 60_000);

    const one = read('single.json');
    const parts = [1, 2, 3, 4].map((i) => read(`shard-${i}.json`));
    const merged = read('merged.json');
    // Each shard says what it is; they agree on the run id (derived from the same options, N and barrier).
    expect(parts.map((r) => [r.shard?.index, r.shard?.count, r.shard?.start])).toEqual([[1, 4, 'barrier'], [2, 4, 'barrier'], [3, 4, 'barrier'], [4, 4, 'barrier']]);
    expect(new Set(parts.map((r) => r.shard?.runId)).size).toBe(1);
    expect(merged.generators).toMatchObject({ count: 4, runId: parts[0]!.shard!.runId, shards: [1, 2, 3, 4] });
    expect(merged.generators!.maxStartSkewMs).toBeGreaterThanOrEqual(merged.generators!.firstStartSkewMs);
    expect(merge.output.stdout).toMatch(/^4 generators \(shards 1, 2, 3, 4 of run run-[0-9a-f]{12}\); start skew of their measured phases: [\d.]+ ms at the first/m);

    for (const name of ['index', 'noop']) {
      const whole = pathOf(one, name);
      const sum = pathOf(merged, name);
      const shares = parts.map((r) => pathOf(r, name));
      // Shares of the workers (1 each of 4) and of the iterations (250 each of 1,000): the same total work.
      expect(shares.map((p) => [p.concurrency, p.totalConcurrency, p.ops])).toEqual([[1, 4, 250], [1, 4, 250], [1, 4, 250], [1, 4, 250]]);
      expect([sum.ops, sum.errors, sum.concurrency, sum.sources]).toEqual([whole.ops, 0, whole.concurrency, 4]);
      expect(sum.ops).toBe(1000);
      // Throughput adds up across generators. Compared on the index path only, which the server
      // bounds: noop's 250 operations per shard take milliseconds, less than the shards' start skew,
      // so its phases hardly overlap and each shard had the client CPU to itself (their sum can be 4x
      // one process's). The runs share a 2-core machine with other work, so only the order is
      // compared: a merge that averaged instead of adding (1/4) falls below 0.4, one that counted
      // twice above 2.5.
      const ratio = sum.throughputOpsPerSec / whole.throughputOpsPerSec;
      if (name === 'index') {
        expect(ratio, `${name}: merged ${sum.throughputOpsPerSec.toFixed(0)} ops/s vs one process ${whole.throughputOpsPerSec.toFixed(0)} ops/s`).toBeGreaterThan(0.4);
        expect(ratio).toBeLessThan(2.5);
      }
      expect(sum.throughputOpsPerSec).toBeCloseTo(shares.reduce((total, p) => total + p.throughputOpsPerSec, 0), 6);
      // The merged histogram is the exact sum of the parts: total count and every bucket.
      const added = buckets(shares.map((p) => p.histogram));
      const mergedBuckets = buckets([sum.histogram]);
      expect([...mergedBuckets.entries()].sort((a, b) => a[0] - b[0])).toEqual([...added.entries()].sort((a, b) => a[0] - b[0]));
      expect(sum.summary.count).toBe(shares.reduce((total, p) => total + p.summary.count, 0));
      expect(sum.summary.maxUs).toBe(Math.max(...shares.map((p) => p.summary.maxUs)));
    }
  }, 240_000);

  it('refuses to merge shards of different runs, a shard twice or one missing (exit 2, one line), and --force adds them anyway', async () => {
    const shards = [1, 2, 3, 4].map((i) => file(`shard-${i}.json`));
    // Another run's shard 4: the same options, another run id.
    const other = read('shard-4.json');
    other.shard!.runId = 'run-another';
    writeFileSync(file('other-4.json'), JSON.stringify(other));

    // Three merges of files only, independent of each other: started together, as each process's
    // start (tsx) is most of its time.
    const mixed = perfbench(['merge', shards[0]!, shards[1]!, shards[2]!, file('other-4.json')]);
    const twice = perfbench(['merge', shards[0]!, shards[1]!, shards[2]!, shards[2]!]);
    const forced = perfbench(['merge', shards[0]!, shards[1]!, shards[2]!, '--force', '--format', 'json']);

    expect(await exitOf(mixed)).toBe(ExitCode.usage);
    expect(mixed.output.stderr.trim().split('\n')).toHaveLength(1);
    expect(mixed.output.stderr).toContain('these results are not the shards of one run: run ids differ (shard-1.json run-');
    expect(mixed.output.stderr).toContain('other-4.json run-another');

    expect(await exitOf(twice)).toBe(ExitCode.usage);
    expect(twice.output.stderr.trim()).toBe('perfbench: these results are not the shards of one run: shard 3 appears 2 times (shard-3.json, shard-3.json); ' +
      'shard 4 of 4 is missing — merge every shard of one run once (same --run-id, shards 1..N), or pass --force to add them anyway');

    expect(await exitOf(forced), forced.output.stderr).toBe(ExitCode.ok);
    const result = JSON.parse(forced.output.stdout) as BenchResult;
    expect(result.notes).toContain('merged with --force although they are not the shards of one run: shard 4 of 4 is missing');
    expect(result.generators?.count).toBe(3);
  }, 60_000);
});

describe('starting the shards together', () => {
  it('--start-at: every shard waits for the instant and starts its first measured phase after it', async () => {
    // Far enough ahead for two processes to start and prepare (tsx compiles the CLI in each; a shard
    // ready after the instant fails): three times what one CLI process took here just now, so a
    // loaded machine gets a longer lead, and never less than 8 s. (A fixed 25 s spent ~20 s waiting.)
    const at = new Date(Date.now() + 1_000 + Math.max(8_000, 3 * childMs));
    at.setMilliseconds(0);
    const args = ['bench', '--table', TABLE, '--paths', 'noop', '--concurrency', '2', '--iterations', '1000', '--warmup', '0', '--trials', '1',
      '--start-at', at.toISOString(), '--format', 'json'];
    const runs = [1, 2].map((i) => perfbench([...args, '--shard', `${i}/2`, '--output', file(`at-${i}.json`)]));
    for (const run of runs) await succeeded(run, 90_000);
    for (const i of [0, 1]) {
      const result = read(`at-${i + 1}.json`);
      expect(result.shard).toMatchObject({ index: i + 1, count: 2, start: 'start-at', startAt: at.toISOString() });
      expect(Date.parse(result.paths[0]!.measureStartedAt!)).toBeGreaterThanOrEqual(at.getTime());
    }
    const merge = perfbench(['merge', file('at-1.json'), file('at-2.json'), '--format', 'json']);
    expect(await exitOf(merge), merge.output.stderr).toBe(ExitCode.ok);
    expect((JSON.parse(merge.output.stdout) as BenchResult).paths[0]!.ops).toBe(1000);
  }, 120_000);

  it('refuses a --start-at in the past (exit 2, one line) before preparing anything', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const run = perfbench(['bench', '--table', TABLE, '--paths', 'noop', '--concurrency', '2', '--shard', '1/2', '--start-at', past]);
    expect(await exitOf(run)).toBe(ExitCode.usage);
    expect(run.output.stderr.trim()).toMatch(new RegExp(`^perfbench: --start-at ${past.replace(/[.]/g, '\\.')} is 6\\d\\.\\d s in the past — give every shard the same instant`));
  }, 60_000);

  it('a barrier the other shards never reach times out with one line (exit 1) and leaves no key behind', async () => {
    const run = perfbench(['bench', '--table', TABLE, '--paths', 'noop', '--concurrency', '2', '--iterations', '100', '--warmup', '0', '--trials', '1',
      '--shard', '1/2', '--barrier', `${BARRIER}-alone`, '--barrier-timeout', '1s']);
    expect(await exitOf(run)).toBe(ExitCode.failure);
    const lines = run.output.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe(`perfbench: barrier ${BARRIER}-alone: only 1 of 2 shards arrived within 1 s (run 1) — start all N shards with the same --barrier key and Redis, or raise --barrier-timeout`);
    expect(await redis.keys(`{perfbench:barrier:${BARRIER}-alone*`)).toEqual([]);
  }, 60_000);
});

describe('a shard changes nothing on the table', () => {
  it('stops at once (exit 2, one line) when the index its index path reads is missing, and creates none', async () => {
    const indexes = async () => (await admin.query('SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY 1', [TABLE.slice(1, -1)])).rows.map((r) => r.indexname);
    const before = await indexes();
    const run = perfbench(['bench', '--table', TABLE, '--column', 'name', '--paths', 'index', '--concurrency', '2', '--shard', '1/2']);
    expect(await exitOf(run)).toBe(ExitCode.usage);
    expect(run.output.stderr.trim().split('\n').at(-1)).toBe(`perfbench: ${TABLE} has no index on name, and a shard (--shard) does not create one — ` +
      `create it once before starting the shards (perfbench index add --table ${TABLE} --column name) and drop it after (perfbench index drop …), or leave the index path out of --paths`);
    expect(await indexes()).toEqual(before);
  }, 60_000);

  it('does not seed a missing table (exit 2, one line)', async () => {
    const run = perfbench(['bench', '--table', '"No Such Shard Table"', '--paths', 'noop', '--concurrency', '2', '--shard', '2/2']);
    expect(await exitOf(run)).toBe(ExitCode.usage);
    expect(run.output.stderr.trim().split('\n').at(-1)).toBe('perfbench: table "No Such Shard Table" does not exist, and a shard (--shard) does not seed it — ' +
      'seed it once before starting the shards: perfbench seed --table "No Such Shard Table"');
    expect((await admin.query("SELECT to_regclass('public.\"No Such Shard Table\"') AS t")).rows[0].t).toBeNull();
  }, 60_000);
});
