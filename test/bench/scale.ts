/**
 * npm run bench:scale — how the costs grow (issue 13, item 8). Prints figures; never a test.
 *
 *   npm run bench:scale                                 # SIZES=10k,100k,1M: ~3 minutes on 2 cores
 *   SIZES=10k,100k,1M,10M npm run bench:scale           # the full sweep: ~9 minutes (520 s on 2 cores
 *                                                       # shared with other jobs: 10M rows take 1–2.5 min
 *                                                       # to seed, twice, and 2–8 s per EXPLAIN of part 2)
 *
 * 1. Table size: for each size a uniform table with 1,000 rows per category (the default dataset's
 *    selectivity, so the report and its cached body stay the same size and only the table grows),
 *    the category index in place; the seq, index and cache paths at c=1 for SECONDS (default 2)
 *    each: p50 and p99. The seq path grows with the table, the index and cache paths should not.
 * 2. Selectivity: a zipf table of the largest size (category frequencies from one row to a tenth of
 *    the table); for each target of rows per value, the category closest to it, the plan PostgreSQL
 *    picks for the report query (custom plan, read by perfbench's plan reader: Index Scan, Bitmap
 *    Heap Scan or Seq Scan, and on which index) and its execution time, next to the same query with
 *    index scans disabled: where the planner switches, and whether the switch comes where the
 *    times cross.
 * 3. perfbench's own cost: the noop path at CONCURRENCY (default 1,4,16,64,256) for SECONDS each:
 *    operations per second, client CPU µs per operation, RSS; then a LONG_SECONDS (default 60) run
 *    of LONG_PATH (noop, or cache/index) at LONG_CONCURRENCY (default 256) with RSS sampled every
 *    250 ms: it must stay flat (verdict: the last quarter's mean within 10% of the second quarter's).
 *
 * Everything runs through perfbench's own code: `seed` (use case), the seq/index/cache/noop paths
 * (src/targets) under the runner (src/measure/runner.ts), EXPLAIN through src/db/explain.ts and
 * src/plan/plan.ts. The tables live in the schema perfbench_scale, dropped at the end with their
 * dataset records and cache keys. Uses perfbench's configuration (DATABASE_URL, REDIS_URL, or the
 * embedded servers).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { reportKey } from '../../src/cache/report-cache.js';
import type { CacheTier } from '../../src/cache/tier.js';
import { loadConfig } from '../../src/config.js';
import { connectClient } from '../../src/db/connection.js';
import { explainStatement, inRolledBackTransaction } from '../../src/db/explain.js';
import { builtinReportWorkload, reportQuery } from '../../src/db/report.js';
import { initHistograms } from '../../src/measure/histogram.js';
import { categoryName } from '../../src/measure/random.js';
import type { PathResult } from '../../src/measure/result.js';
import { runTarget } from '../../src/measure/runner.js';
import { terminalOutput } from '../../src/output.js';
import { findRelationScan, parsePlan } from '../../src/plan/plan.js';
import { Runtime } from '../../src/runtime.js';
import { cacheHitPath } from '../../src/targets/cache-hit.js';
import { indexScanPath } from '../../src/targets/index-scan.js';
import { noopPath } from '../../src/targets/noop.js';
import type { BenchPath, PathContext } from '../../src/targets/path.js';
import { seqScanPath } from '../../src/targets/seq-scan.js';
import { seed } from '../../src/usecases/dataset.js';
import { valuesSequence } from '../../src/workload/sequence.js';
import type { DatasetParams } from '../../src/workload/dataset.js';
import { columnIdentifier, tableIdentifier, type Identifier } from '../../src/workload/identifiers.js';

const SCHEMA = 'perfbench_scale';
const SIZES = (process.env.SIZES ?? '10k,100k,1M').split(',').map(parseSize);
const SECONDS = Number(process.env.SECONDS ?? 2);
const CONCURRENCY = (process.env.CONCURRENCY ?? '1,4,16,64,256').split(',').map(Number);
const LONG_SECONDS = Number(process.env.LONG_SECONDS ?? 60);
const LONG_PATH = process.env.LONG_PATH ?? 'noop';
const LONG_CONCURRENCY = Number(process.env.LONG_CONCURRENCY ?? 256);
const ROWS_PER_CATEGORY = 1_000;
/** The cache path fills one report per category it reads: at most this many (120 kB each). */
const MAX_CATEGORIES_READ = 200;
/** The shares of the table (rows per filter value / rows) the selectivity sweep looks for. */
const SELECTIVITY_SHARES = [0.000001, 0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.06, 0.1, 0.15, 0.3, 0.6];
const WARMUP_MS = 500;

const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
const runtime = new Runtime(loadConfig({ flags: {}, env: process.env, cwd: process.cwd() }), terminalOutput(), controller.signal);
const column = columnIdentifier('category');
const rss: number[] = [];
let rssPeak = 0;
const sampler = setInterval(() => {
  const now = process.memoryUsage.rss();
  rss.push(now);
  rssPeak = Math.max(rssPeak, now);
}, 250);
sampler.unref();

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const started = performance.now();
  await initHistograms();
  const admin = await runtime.client();
  const database = await runtime.database();
  const server = (await admin.query('SHOW server_version')).rows[0].server_version;
  log(`perfbench bench:scale · ${new Date().toISOString()} · Node ${process.version} · PostgreSQL ${server} (${database.mode}) · ` +
    `sizes ${SIZES.map(formatSize).join(', ')} · ${SECONDS} s per measurement · load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`); // a previous run's, stopped before its cleanup
  await admin.query(`CREATE SCHEMA ${SCHEMA}`);
  runtime.defer(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await admin.query(`DELETE FROM perfbench_datasets WHERE table_name LIKE '${SCHEMA}.%'`).catch(() => undefined);
  });
  const tier = await runtime.cache();
  const runId = randomBytes(3).toString('hex');

  // 1. Table size.
  log('\n1. latency as the table grows (1,000 rows per category, c=1, p50 / p99 in ms)');
  log(`${'rows'.padStart(10)}  ${'seed'.padStart(7)}  ${'seq p50'.padStart(9)} ${'p99'.padStart(9)}  ${'index p50'.padStart(9)} ${'p99'.padStart(8)}  ${'cache p50'.padStart(9)} ${'p99'.padStart(8)}  seq/index`);
  for (const rows of SIZES) {
    if (controller.signal.aborted) break;
    const table = tableIdentifier(`${SCHEMA}.uniform_${formatSize(rows).toLowerCase()}`);
    const categories = Math.max(1, Math.round(rows / ROWS_PER_CATEGORY));
    const seeded = await seed(runtime, { table, dataset: { rows, categories, distribution: 'uniform', skew: 0, seed: 42 }, reset: false, withIndex: true });
    const names = Array.from({ length: Math.min(categories, MAX_CATEGORIES_READ) }, (_, k) => categoryName(k, categories));
    const context = pathContext(table, names, tier, `scale-${runId}-${rows}`);
    const figures: Record<string, PathResult | undefined> = {};
    for (const definition of [seqScanPath, indexScanPath, cacheHitPath()]) {
      const path = definition.create(context);
      try {
        figures[definition.name] = await measure(path, context, 1, SECONDS);
      } catch (error) {
        // One broken path (a Redis gone away…) leaves its cells empty; the other figures still stand.
        log(`  (${definition.name} at ${formatInt(rows)} rows failed: ${(error as Error).message})`);
      } finally {
        await path.close();
      }
    }
    await tier.deletePrefix(reportKey(context.keyNamespace, ''));
    const cell = (result: PathResult | undefined) => result ? `${ms(result.summary.p50Us).padStart(9)} ${ms(result.summary.p99Us).padStart(8)}` : `${'—'.padStart(9)} ${'—'.padStart(8)}`;
    const { seq, index, cache } = figures;
    log(`${formatInt(rows).padStart(10)}  ${`${(seeded.totalMs / 1000).toFixed(1)} s`.padStart(7)}  ${cell(seq)}  ${cell(index)}  ${cell(cache)}  ` +
      `${seq && index ? `${(seq.summary.p50Us / index.summary.p50Us).toFixed(1)}x` : '—'}`);
  }

  // 2. Selectivity.
  if (!controller.signal.aborted) await selectivity(admin, Math.max(...SIZES));

  // 3. perfbench's own cost.
  if (!controller.signal.aborted) {
    log('\n3. perfbench\'s own cost on the noop path (client CPU per operation of the measured phase; RSS at the end of each run, and the peak)');
    log(`${'c'.padStart(5)}  ${'ops/s'.padStart(11)}  ${'CPU µs/op'.padStart(9)}  ${'p99 µs'.padStart(7)}  ${'RSS'.padStart(7)}  ${'peak'.padStart(7)}`);
    const noopContext = pathContext(tableIdentifier('unused'), ['x'], tier, `scale-${runId}-noop`);
    const noop = noopPath.create(noopContext);
    for (const concurrency of CONCURRENCY) {
      if (controller.signal.aborted) break;
      rssPeak = 0;
      const result = await measure(noop, noopContext, concurrency, SECONDS);
      log(`${String(concurrency).padStart(5)}  ${formatInt(result.throughputOpsPerSec).padStart(11)}  ${cpuPerOp(result).toFixed(2).padStart(9)}  ` +
        `${(result.summary.p99Us < 1 ? '<1' : result.summary.p99Us.toFixed(0)).padStart(7)}  ${mb(process.memoryUsage.rss()).padStart(7)}  ${mb(rssPeak).padStart(7)}`);
    }
    if (!controller.signal.aborted) await longRun(runId, tier);
  }
  log(`\nbench:scale took ${((performance.now() - started) / 1000).toFixed(0)} s; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

/** Part 2: one zipf table, the plan and execution time per rows-per-value. */
async function selectivity(admin: Awaited<ReturnType<Runtime['client']>>, rows: number): Promise<void> {
  const table = tableIdentifier(`${SCHEMA}.zipf_${formatSize(rows).toLowerCase()}`);
  // Zipf with exponent 2 over rows/10 categories: the k-th most frequent holds ~61%/k² of the rows,
  // so one table offers every share from 61% down to a single row (exponent 1.1 tops out at ~13%,
  // below where the planner gives up on the index).
  const dataset: DatasetParams = { rows, categories: Math.max(10, Math.round(rows / 10)), distribution: 'zipf', skew: 2, seed: 42 };
  const seeded = await seed(runtime, { table, dataset, reset: false, withIndex: true });
  const counts = (await admin.query<{ category: string; n: string }>(`SELECT category, count(*) AS n FROM ${table.sql} GROUP BY category`)).rows
    .map((row) => ({ category: row.category, rows: Number(row.n) }));
  log(`\n2. the plan as selectivity changes (${formatInt(rows)} rows, zipf (exponent 2) over ${formatInt(dataset.categories)} categories, ` +
    `seeded in ${(seeded.totalMs / 1000).toFixed(1)} s; custom plans, EXPLAIN ANALYZE warm, median of 3)`);
  log(`${'target'.padStart(9)} ${'rows'.padStart(9)} ${'share'.padStart(7)}  ${'the planner\'s choice'.padEnd(60)} ${'ms'.padStart(8)}  ${'forced instead'.padEnd(17)} ${'ms'.padStart(8)}  choice`);
  const query = reportQuery({ table, column });
  const seen = new Set<string>();
  let previous = '';
  for (const share of SELECTIVITY_SHARES) {
    const target = Math.max(1, Math.round(share * rows));
    if (controller.signal.aborted) break;
    const closest = counts.reduce((best, c) => (Math.abs(Math.log(c.rows / target)) < Math.abs(Math.log(best.rows / target)) ? c : best));
    if (seen.has(closest.category)) continue;
    seen.add(closest.category);
    const chosen = await explainMedian(admin, query, closest.category, 'chosen');
    // The road not taken, forced: is the planner's choice the faster one here?
    const other = await explainMedian(admin, query, closest.category, chosen.plan.startsWith('Seq Scan') ? 'no-seq' : 'no-index');
    const switched = previous && chosen.plan !== previous ? '  <- switch' : '';
    previous = chosen.plan;
    const speedUp = other.ms / chosen.ms;
    const verdict = speedUp >= 1 ? `${speedUp.toFixed(1)}x faster` : `${(1 / speedUp).toFixed(1)}x SLOWER`;
    log(`${formatInt(target).padStart(9)} ${formatInt(closest.rows).padStart(9)} ${`${((closest.rows / rows) * 100).toFixed(2)}%`.padStart(7)}  ` +
      `${chosen.plan.padEnd(60)} ${chosen.ms.toFixed(2).padStart(8)}  ${other.plan.split(' using ')[0]!.padEnd(17)} ${other.ms.toFixed(2).padStart(8)}  ${verdict}${switched}`);
  }
}

/** The planner left alone, or kept from index access paths, or from sequential scans (as far as it can be). */
type PlanMode = 'chosen' | 'no-index' | 'no-seq';
const PLAN_SETTINGS: Record<PlanMode, string[]> = {
  chosen: [],
  'no-index': ['enable_indexscan', 'enable_bitmapscan', 'enable_indexonlyscan'],
  'no-seq': ['enable_seqscan'],
};

/** EXPLAIN (ANALYZE, BUFFERS) of the report three times (rolled back), the median execution time and the scan that read the table. */
async function explainMedian(client: Awaited<ReturnType<Runtime['client']>>, query: string, category: string, mode: PlanMode): Promise<{ plan: string; ms: number }> {
  const times: number[] = [];
  let plan = '';
  for (let i = 0; i < 3; i++) {
    await inRolledBackTransaction(client, 60_000, async () => {
      for (const setting of PLAN_SETTINGS[mode]) await client.query(`SET LOCAL ${setting} = off`);
      const parsed = parsePlan(await explainStatement(client, query, [category]));
      const scan = parsed.nodes.find((node) => node.relation !== undefined);
      const found = scan && findRelationScan(parsed, scan.schema ? `${scan.schema}.${scan.relation}` : scan.relation!);
      plan = found ? `${found.node.operation}${found.indexes.length ? ` using ${found.indexes.join(', ')}` : ''}` : parsed.root.label;
      times.push(parsed.executionTimeMs ?? parsed.totalTimeMs);
    });
  }
  times.sort((a, b) => a - b);
  return { plan, ms: times[1]! };
}

/** Part 3b: a long run with RSS sampled; the verdict on whether it stayed flat. */
async function longRun(runId: string, tier: CacheTier): Promise<void> {
  // The DB and cache paths read the smallest table of part 1, still in place.
  const definition = { noop: noopPath, cache: cacheHitPath(), index: indexScanPath }[LONG_PATH];
  if (!definition) throw new Error(`LONG_PATH must be noop, cache or index, not ${LONG_PATH}`);
  const categories = Math.max(1, Math.round(SIZES[0]! / ROWS_PER_CATEGORY));
  const names = Array.from({ length: Math.min(categories, MAX_CATEGORIES_READ) }, (_, k) => categoryName(k, categories));
  const context = pathContext(tableIdentifier(`${SCHEMA}.uniform_${formatSize(SIZES[0]!).toLowerCase()}`), names, tier, `scale-${runId}-long`);
  const path = definition.create(context);
  rss.length = 0;
  try {
    const result = await measure(path, context, LONG_CONCURRENCY, LONG_SECONDS);
    const quarter = Math.max(1, Math.floor(rss.length / 4));
    const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
    const second = mean(rss.slice(quarter, 2 * quarter));
    const last = mean(rss.slice(-quarter));
    const growth = (last - second) / second;
    log(`\nRSS over a ${LONG_SECONDS} s run of ${LONG_PATH} at c=${LONG_CONCURRENCY} (${formatInt(result.ops)} operations, ${cpuPerOp(result).toFixed(2)} CPU µs/op; ${rss.length} samples every 250 ms):`);
    log(`  first ${mb(rss[0]!)}, min ${mb(Math.min(...rss))}, max ${mb(Math.max(...rss))}, last ${mb(rss.at(-1)!)}; ` +
      `2nd quarter mean ${mb(second)}, last quarter mean ${mb(last)} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%): ${Math.abs(growth) <= 0.1 ? 'flat' : 'NOT flat'}`);
    log(`  RSS by tenth of the run: ${Array.from({ length: 10 }, (_, i) => mb(rss[Math.min(rss.length - 1, Math.floor((i + 1) * rss.length / 10) - 1)]!)).join(' ')}`);
  } finally {
    await path.close();
    await tier.deletePrefix(reportKey(`scale-${runId}-long`, ''));
  }
}

function pathContext(table: Identifier, names: string[], tier: CacheTier, namespace: string): PathContext {
  return {
    connect: async () => connectClient(await runtime.database(), runtime.config.connectTimeoutMs),
    workload: builtinReportWorkload({ table, column }),
    sequence: valuesSequence(names, { distribution: 'uniform', seed: 1 }),
    cache: async () => tier,
    keyNamespace: namespace,
    ttlSeconds: 3600,
    signal: controller.signal,
  };
}

/** Runs a path once through perfbench's runner, on the categories its context reads. */
async function measure(path: BenchPath, context: PathContext, concurrency: number, seconds: number): Promise<PathResult> {
  const result = await runTarget(path.target(concurrency), {
    concurrency, durationMs: seconds * 1000, warmupMs: WARMUP_MS, warmupIterations: concurrency,
    sequence: context.sequence, signal: controller.signal,
  });
  if (result.errors > 0) throw new Error(`${path.name}: ${result.errors} errors, first: ${result.firstError}`);
  const findings = await path.findings(result.interrupted);
  if (findings.flags.length) log(`  (${path.name}: ${findings.notes.join('; ')})`);
  return result;
}

function cpuPerOp(result: PathResult): number {
  return ((result.clientCpuMs ?? 0) * 1000) / Math.max(1, result.ops);
}

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text.trim());
  if (!match) throw new Error(`SIZES: "${text}" is not a row count like 10k or 1M`);
  const value = Number(match[1]) * ({ k: 1e3, m: 1e6 }[match[2]!.toLowerCase() as 'k' | 'm'] ?? 1);
  if (!Number.isInteger(value) || value < 1_000) throw new Error(`SIZES: ${text} must be a whole number of rows, at least 1k`);
  return value;
}

function formatSize(rows: number): string {
  return rows >= 1e6 && rows % 1e6 === 0 ? `${rows / 1e6}M` : rows >= 1e3 && rows % 1e3 === 0 ? `${rows / 1e3}k` : String(rows);
}
function formatInt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
function ms(us: number): string {
  return (us / 1000).toFixed(3);
}
function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench:scale failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
} finally {
  clearInterval(sampler);
  await runtime.close();
}
