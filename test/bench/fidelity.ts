/**
 * Fidelity of `perfbench bench` against the reference tools, in one run on one machine (not a
 * test: it prints figures, timings never gate anything):
 *
 *   DURATION=150 npx tsx test/bench/fidelity.ts      # DURATION: total seconds of the timed parts, default 150 (~2.5 min)
 *   DURATION=600 npx tsx test/bench/fidelity.ts      # the 10-minute RSS soak
 *
 * - the same report SQL through perfbench's `index` and `seq` paths and through
 *   `pgbench -M prepared -f <script with \set category …>` at concurrency 1 and 2, same server and
 *   dataset (DATABASE_URL, else the embedded default, seeded when missing);
 * - the cached GET through perfbench's `cache-get` and `cache` paths against `redis-benchmark`
 *   (fidelity-cache.ts, which also runs on its own);
 * - the harness cost from the no-op path, and this process's RSS sampled every 250 ms;
 * - pgbench's built-in select-only and tpcb-like scripts through perfbench's workload path and
 *   through pgbench, c=1 and c=2 (fidelity-scripts.ts; alone: `npm run bench:fidelity -- --only scripts`),
 *   after the timed parts and outside DURATION: 5 alternating rounds of 4 s per tool by default, ~9 min.
 *
 * Targets (issue 4): index p50 within 25% of pgbench's average at c=1; throughput >= 0.8x pgbench
 * at c=2; harness overhead < 5 µs per operation; RSS flat, and its peak under 150 MB (issue 13, item 6).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportKey } from '../../src/cache/report-cache.js';
import { indexAdd } from '../../src/usecases/indexes.js';
import { seed } from '../../src/usecases/dataset.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_DATASET } from '../../src/workload/dataset.js';
import { histogramBackend, initHistograms } from '../../src/measure/histogram.js';
import type { PathResult } from '../../src/measure/result.js';
import { runTarget } from '../../src/measure/runner.js';
import { categorySequence } from '../../src/workload/sequence.js';
import { connectClient } from '../../src/db/connection.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { dropIndexes } from '../../src/db/indexes.js';
import { datasetVersion, readDataset, tableInfo } from '../../src/db/products.js';
import { builtinReportWorkload, reportQuery } from '../../src/db/report.js';
import { terminalOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';
import { indexScanPath } from '../../src/targets/index-scan.js';
import { noopPath } from '../../src/targets/noop.js';
import type { BenchPath, PathContext } from '../../src/targets/path.js';
import { seqScanPath } from '../../src/targets/seq-scan.js';
import { cacheFidelity } from './fidelity-cache.js';
import { scriptFidelity } from './fidelity-scripts.js';

/** `--only scripts` (or FIDELITY_ONLY=scripts): only pgbench's built-in scripts, perfbench vs pgbench (fidelity-scripts.ts). */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : process.env.FIDELITY_ONLY;
if (only !== undefined && only !== 'scripts') throw new Error(`--only ${only}: the one part that runs alone is 'scripts'`);

/** Measurement slots: index c1/c2, seq c1 (perfbench and pgbench each), cache 2 variants x 2 client counts, redis-benchmark x 2, noop. */
const SLOTS = 15;
const totalSeconds = Number(process.env.DURATION ?? 150);
if (!(totalSeconds >= SLOTS)) throw new Error(`DURATION must be at least ${SLOTS} seconds`);
const slotSeconds = totalSeconds / SLOTS;
const WARMUP_MS = Math.min(1000, slotSeconds * 200);
const measureMs = slotSeconds * 1000 - WARMUP_MS;

const out = terminalOutput();
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
const runtime = new Runtime(loadConfig({ flags: {}, env: process.env, cwd: process.cwd() }), out, controller.signal);
const table = tableIdentifier('products');
const column = columnIdentifier('category');
const source = { table, column };
const workload = builtinReportWorkload(source);

// RSS of this process, every 250 ms for the whole run.
const RSS_TARGET_MB = 150;
let rssBeforeWork = 0;
const rss: number[] = [];
const sampler = setInterval(() => rss.push(process.memoryUsage.rss()), 250);
sampler.unref();

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout + stderr) : reject(new Error(`${command} exited ${code}: ${stderr.trim().slice(-500)}`))));
  });
}

interface PgbenchFigures {
  latencyMs: number;
  tps: number;
}

function parsePgbench(text: string): PgbenchFigures {
  const latency = /latency average = ([\d.]+) ms/.exec(text);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(text);
  if (!latency || !tps) throw new Error(`cannot read pgbench output:\n${text}`);
  return { latencyMs: Number(latency[1]), tps: Number(tps[1]) };
}

const ms = (us: number): string => (us / 1000).toFixed(3);
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

async function main(): Promise<void> {
  log(`perfbench fidelity — Node ${process.version}, DURATION=${totalSeconds}s (${slotSeconds.toFixed(1)} s per measurement, ${WARMUP_MS} ms warm-up)`);
  await initHistograms();
  const admin = await runtime.client();
  const info = await tableInfo(admin, table);
  if (!info?.hasRows) {
    log('seeding the default dataset (1,000,000 rows)…');
    await seed(runtime, { table, dataset: DEFAULT_DATASET, reset: false, withIndex: false });
  }
  const dataset = await readDataset(admin, table);
  if (!dataset) throw new Error('products was not seeded by perfbench; point DATABASE_URL at a database where it was (or an empty one)');
  const categories = dataset.parameters.categories;
  const index = await indexAdd(runtime, { table: table, column: column, method: 'btree', concurrently: false });
  if (index.created) runtime.defer(async () => void (await dropIndexes(admin, { table, column, name: index.name, force: false, concurrently: false })));

  const database = await runtime.database();
  const tier = await runtime.cache();
  const namespace = `${await datasetVersion(admin, table)}:products:category:fidelity-${randomBytes(3).toString('hex')}`;
  runtime.defer(async () => void (await tier.deletePrefix(reportKey(namespace, ''))));
  const sequence = categorySequence({ categories, distribution: 'uniform', seed: 1 });
  const context: PathContext = {
    connect: () => connectClient(database, runtime.config.connectTimeoutMs),
    workload, sequence, cache: async () => tier, keyNamespace: namespace, ttlSeconds: 3600, signal: controller.signal,
  };
  const open = (path: BenchPath): BenchPath => {
    runtime.defer(() => path.close());
    return path;
  };
  const paths = {
    index: open(indexScanPath.create(context)),
    seq: open(seqScanPath.create(context)),
    noop: open(noopPath.create(context)),
  };
  const measure = async (path: BenchPath, concurrency: number): Promise<PathResult> => {
    const cpu = process.cpuUsage();
    const result = await runTarget(path.target(concurrency), {
      concurrency, durationMs: measureMs, warmupMs: WARMUP_MS, warmupIterations: concurrency, sequence, signal: controller.signal,
    });
    if (result.errors > 0) throw new Error(`${path.name}: ${result.errors} errors, first: ${result.firstError}`);
    const plan = await path.findings(false);
    if (plan.flags.length) log(`  ${path.name}: ${plan.notes.join('; ')}`);
    log(`  perfbench ${path.name.padEnd(9)} c=${concurrency}: p50 ${ms(result.summary.p50Us)} ms, mean ${ms(result.summary.meanUs)} ms, ` +
      `${result.throughputOpsPerSec.toFixed(0)} ops/s (${result.ops} ops); client CPU ${cpuPerOp(process.cpuUsage(cpu), result)}, RSS now ${(process.memoryUsage.rss() / 1e6).toFixed(0)} MB`);
    return result;
  };

  // pgbench: the same report.sql, the category drawn by \set and passed as the prepared statement's parameter.
  const dir = mkdtempSync(join(tmpdir(), 'perfbench-fidelity-'));
  const width = String(categories - 1).length;
  const script = join(dir, 'report.sql');
  writeFileSync(script, `\\set category random(0, ${categories - 1})\n${reportQuery(source).replace(/--[^\n]*\n/g, '').replace(/\s+/g, ' ')
    .replace('$1', `'cat-' || lpad(:category::text, ${width}, '0')`)};\n`);
  const pgbench = async (concurrency: number, seqOnly: boolean): Promise<PgbenchFigures> => {
    const env: NodeJS.ProcessEnv = { PGPASSWORD: database.password ?? '' };
    if (seqOnly) env.PGOPTIONS = '-c enable_indexscan=off -c enable_bitmapscan=off -c enable_indexonlyscan=off';
    const args = ['-h', database.host, '-p', String(database.port), '-U', database.user, '-n', '-M', 'prepared', '-f', script,
      '-c', String(concurrency), '-j', String(concurrency), '-T', String(Math.max(1, Math.round(slotSeconds))), database.database];
    // bash's `time` gives pgbench's own CPU, to set next to perfbench's client CPU per operation.
    const text = await run('bash', ['-c', 'TIMEFORMAT="client-cpu %U %S"; time "$@"', 'pgbench', 'pgbench', ...args], env);
    const figures = parsePgbench(text);
    const cpu = /client-cpu ([\d.]+) ([\d.]+)/.exec(text);
    const cpuUs = cpu ? ((Number(cpu[1]) + Number(cpu[2])) * 1e6) / (figures.tps * Number(args[args.indexOf('-T') + 1])) : NaN;
    log(`  pgbench   ${(seqOnly ? 'seq' : 'index').padEnd(9)} c=${concurrency}: latency average ${figures.latencyMs.toFixed(3)} ms, ${figures.tps.toFixed(0)} tps; client CPU ${cpuUs.toFixed(1)} µs/op`);
    return figures;
  };

  rssBeforeWork = process.memoryUsage.rss();
  log('\nreport query (same server, same dataset):');
  const index1 = await measure(paths.index, 1);
  const pgIndex1 = await pgbench(1, false);
  const index2 = await measure(paths.index, 2);
  const pgIndex2 = await pgbench(2, false);
  const seq1 = await measure(paths.seq, 1);
  const pgSeq1 = await pgbench(1, true);

  log('\ncached GET (same Redis):');
  // The 6 measurement slots of the cache paths and redis-benchmark.
  const cacheLines = await cacheFidelity({ tier, context, seconds: 6 * slotSeconds, log });

  log('\nharness:');
  const noop = await measure(paths.noop, 1);
  const harnessUs = (noop.elapsedMs * 1000) / noop.ops;

  log("\npgbench's built-in scripts (same server):");
  const scriptLines = await scriptFidelity(runtime, controller.signal, log);

  clearInterval(sampler);
  rss.push(process.memoryUsage.rss());
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });

  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;
  const settled = rss.slice(Math.floor(rss.length / 10));
  const rssMax = Math.max(...rss);
  const indexP50Ratio = index1.summary.p50Us / 1000 / pgIndex1.latencyMs;
  const lines = [
    '',
    `perfbench fidelity · ${new Date().toISOString()} · Node ${process.version} · histograms ${histogramBackend()} · PostgreSQL ${database.mode} · ${tier.label}`,
    '',
    'report query                          perfbench            pgbench -M prepared   ratio       target',
    `index c=1  p50 vs latency average     ${ms(index1.summary.p50Us).padStart(8)} ms          ${pgIndex1.latencyMs.toFixed(3).padStart(8)} ms           ${ratio(index1.summary.p50Us / 1000, pgIndex1.latencyMs).padEnd(10)}  within ±25%: ${verdict(Math.abs(indexP50Ratio - 1) <= 0.25)}`,
    `index c=1  mean vs latency average    ${ms(index1.summary.meanUs).padStart(8)} ms          ${pgIndex1.latencyMs.toFixed(3).padStart(8)} ms           ${ratio(index1.summary.meanUs / 1000, pgIndex1.latencyMs)}`,
    `index c=2  throughput                 ${index2.throughputOpsPerSec.toFixed(0).padStart(8)} ops/s       ${pgIndex2.tps.toFixed(0).padStart(8)} tps          ${ratio(index2.throughputOpsPerSec, pgIndex2.tps).padEnd(10)}  >= 0.8x: ${verdict(index2.throughputOpsPerSec / pgIndex2.tps >= 0.8)}`,
    `seq   c=1  mean vs latency average    ${ms(seq1.summary.meanUs).padStart(8)} ms          ${pgSeq1.latencyMs.toFixed(3).padStart(8)} ms           ${ratio(seq1.summary.meanUs / 1000, pgSeq1.latencyMs)}`,
    '',
    ...cacheLines,
    '',
    `harness overhead (no-op path)          ${harnessUs.toFixed(3)} µs/op                                          < 5 µs: ${verdict(harnessUs < 5)}`,
    '',
    ...scriptLines,
    `RSS over ${totalSeconds} s (${rss.length} samples)       min ${mb(Math.min(...settled))}, max ${mb(rssMax)}, first ${mb(settled[0]!)}, last ${mb(rss[rss.length - 1]!)}   peak < ${RSS_TARGET_MB} MB: ${verdict(rssMax < RSS_TARGET_MB * 1e6)}`,
    // The process runs under tsx: its own share is in the RSS before the first measurement.
    `RSS before the first measurement      ${mb(rssBeforeWork)} (Node, tsx, the modules, the histograms' WASM, the connections); the run added ${mb(rssMax - rssBeforeWork)} at its peak`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** This process's CPU time per operation over a run (warm-up included, so a slight overestimate). */
function cpuPerOp(usage: NodeJS.CpuUsage, result: PathResult): string {
  const us = (usage.user + usage.system) / Math.max(1, result.ops);
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms/op` : `${us.toFixed(1)} µs/op`;
}

try {
  if (only === 'scripts') process.stdout.write(`${['', ...(await scriptFidelity(runtime, controller.signal, log))].join('\n')}\n`);
  else await main();
  if (only === 'scripts') await runtime.close();
} catch (error) {
  process.stderr.write(`fidelity failed: ${(error as Error).stack ?? error}\n`);
  await runtime.close();
  process.exitCode = 1;
}
