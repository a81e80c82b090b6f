/**
 * The cache paths against redis-benchmark, in one run on one Redis (not a test: it prints figures,
 * timings never gate anything). Part of `npm run bench:fidelity`, and runnable on its own:
 *
 *   DURATION=60 npx tsx test/bench/fidelity-cache.ts     # total seconds, default 60
 *
 * perfbench's `cache-get` (GET of the cached report's bytes, as serve's fast route pays for a hit)
 * and `cache` (GET + JSON.parse, as an application that uses the report pays) at 1 and 8 clients,
 * each round beside `redis-benchmark -t set,get` with the same value size and clients on the same
 * server and database; the rounds rotate so drift on a shared machine hits each side alike, and
 * the ratios are the medians of the rounds'. Targets (issue 13, item 4): GET p50 <= 1.5x
 * redis-benchmark's at c=1; GET throughput >= 0.95x at c=1 and c=8.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { reportKey } from '../../src/cache/report-cache.js';
import type { CacheTier } from '../../src/cache/tier.js';
import { loadConfig } from '../../src/config.js';
import { connectClient } from '../../src/db/connection.js';
import { datasetVersion, readDataset, tableInfo } from '../../src/db/products.js';
import { builtinReportWorkload } from '../../src/db/report.js';
import { initHistograms } from '../../src/measure/histogram.js';
import type { PathResult } from '../../src/measure/result.js';
import { runTarget } from '../../src/measure/runner.js';
import { terminalOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';
import { cacheHitPath } from '../../src/targets/cache-hit.js';
import type { BenchPath, PathContext } from '../../src/targets/path.js';
import { seed } from '../../src/usecases/dataset.js';
import { DEFAULT_DATASET } from '../../src/workload/dataset.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { categorySequence } from '../../src/workload/sequence.js';

export const CACHE_TARGETS = { p50AtOne: 1.5, throughput: 0.95 } as const;
const CLIENTS = [1, 8] as const;

export interface CacheFidelityInput {
  /** The tier the paths read (a Redis: redis-benchmark needs one). */
  tier: CacheTier;
  /** What the paths are made from: the run's sequence, key namespace and TTL; the fill reads the database. */
  context: PathContext;
  /** Seconds for the whole comparison (perfbench and redis-benchmark, every round and client count). */
  seconds: number;
  log: (line: string) => void;
}

interface RedisFigures {
  rps: number;
  p50Ms: number;
}

interface Round {
  get: PathResult;
  cache: PathResult;
  peer: RedisFigures;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (us: number): string => (us / 1000).toFixed(3);
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${out.trim().slice(-300)}`))));
  });
}

/** `"GET","rps","avg","min","p50","p95","p99","max"` from redis-benchmark --csv. */
function parseRedisBenchmark(text: string): RedisFigures {
  const line = text.split('\n').find((l) => l.startsWith('"GET"'));
  if (!line) throw new Error(`cannot read redis-benchmark output:\n${text}`);
  const cells = line.split(',').map((c) => Number(c.replace(/"/g, '')));
  return { rps: cells[1]!, p50Ms: cells[4]! };
}

/** The mean size of the cached report bodies: the value size redis-benchmark should use. */
async function meanBodyBytes(tier: CacheTier, namespace: string, names: readonly string[]): Promise<number> {
  let bytes = 0;
  let count = 0;
  for (const name of names.slice(0, 50)) {
    const body = await tier.get(reportKey(namespace, name));
    if (body) {
      bytes += body.length;
      count++;
    }
  }
  return count ? bytes / count : 60_000;
}

/** Runs the comparison and returns the summary lines (the caller prints them). */
export async function cacheFidelity(input: CacheFidelityInput): Promise<string[]> {
  const { tier, context, log } = input;
  if (tier.kind === 'in-process') return ['cached GET: n/a (no Redis: the in-process tier has no peer to compare with)'];
  const info = await tier.info();
  const address = new URL(info.address.startsWith('redis') ? info.address : 'redis://127.0.0.1:6379');
  const db = Number(address.pathname.slice(1) || 0);
  const rounds = 3;
  // Per round and client count: perfbench GET, perfbench GET + decode, redis-benchmark.
  const slotMs = (input.seconds * 1000) / (rounds * CLIENTS.length * 3);
  const warmupMs = Math.min(500, slotMs / 5);
  const paths: BenchPath[] = [cacheHitPath({ name: 'cache-get', decode: false }).create(context), cacheHitPath().create(context)];
  const [getPath, cachePath] = paths as [BenchPath, BenchPath];
  try {
    const measure = async (path: BenchPath, concurrency: number): Promise<PathResult> => {
      const result = await runTarget(path.target(concurrency), {
        concurrency, durationMs: slotMs - warmupMs, warmupMs, warmupIterations: concurrency, sequence: context.sequence, signal: context.signal,
      });
      if (result.errors > 0) throw new Error(`${path.name}: ${result.errors} errors, first: ${result.firstError}`);
      return result;
    };
    // Filled once, before redis-benchmark needs the value size.
    await measure(getPath, 1);
    const valueBytes = Math.round(await meanBodyBytes(tier, context.keyNamespace, context.sequence.names));
    const peerKey = `key:__rand_int__`;
    const redisBenchmark = async (clients: number, approxRps: number): Promise<RedisFigures> => {
      const requests = Math.max(1000, Math.round((approxRps * slotMs) / 1000));
      const args = ['-h', address.hostname, '-p', address.port || '6379', '--dbnum', String(db), '-c', String(clients), '-n', String(requests),
        '-d', String(valueBytes), '-t', 'set,get', '--csv'];
      if (address.password) args.push('-a', decodeURIComponent(address.password), '--no-auth-warning');
      try {
        return parseRedisBenchmark(await run('redis-benchmark', args));
      } finally {
        // redis-benchmark's SET leaves its key (with no TTL) in the database: remove it.
        await run('redis-cli', ['-h', address.hostname, '-p', address.port || '6379', '-n', String(db), ...(address.password ? ['-a', decodeURIComponent(address.password), '--no-auth-warning'] : []), 'DEL', peerKey]).catch(() => '');
      }
    };

    const byClients = new Map<number, Round[]>(CLIENTS.map((c) => [c, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const clients of CLIENTS) {
        // Rotate who goes first, so a slow stretch of the machine falls on each side alike.
        const order = round % 2 ? ['get', 'cache', 'peer'] : ['peer', 'cache', 'get'];
        const slot: Partial<Round> = {};
        for (const side of order) {
          if (side === 'get') slot.get = await measure(getPath, clients);
          else if (side === 'cache') slot.cache = await measure(cachePath, clients);
          else slot.peer = await redisBenchmark(clients, byClients.get(clients)!.at(-1)?.peer.rps ?? 2000);
        }
        const { get, cache, peer } = slot as Round;
        byClients.get(clients)!.push(slot as Round);
        log(`  round ${round} c=${clients}: cache-get p50 ${ms(get.summary.p50Us)} ms, ${get.throughputOpsPerSec.toFixed(0)} ops/s · ` +
          `cache p50 ${ms(cache.summary.p50Us)} ms, ${cache.throughputOpsPerSec.toFixed(0)} ops/s · redis-benchmark p50 ${peer.p50Ms.toFixed(3)} ms, ${peer.rps.toFixed(0)} rps · `
          + `RSS now ${(process.memoryUsage.rss() / 1e6).toFixed(0)} MB`);
      }
    }
    const check = await getPath.findings(false);

    const lines = [`cached GET (${valueBytes} B values, ${rounds} rotating rounds, medians)   perfbench        redis-benchmark   ratio     target`];
    for (const clients of CLIENTS) {
      const list = byClients.get(clients)!;
      const getP50 = median(list.map((r) => r.get.summary.p50Us));
      const cacheP50 = median(list.map((r) => r.cache.summary.p50Us));
      const peerP50 = median(list.map((r) => r.peer.p50Ms * 1000));
      const p50Ratio = median(list.map((r) => r.get.summary.p50Us / (r.peer.p50Ms * 1000)));
      const rpsRatio = median(list.map((r) => r.get.throughputOpsPerSec / r.peer.rps));
      const getRps = median(list.map((r) => r.get.throughputOpsPerSec));
      const peerRps = median(list.map((r) => r.peer.rps));
      const p50Target = clients === 1 ? `<= ${CACHE_TARGETS.p50AtOne}x: ${verdict(p50Ratio <= CACHE_TARGETS.p50AtOne)}` : '';
      lines.push(
        `GET only (cache-get)  c=${clients} p50              ${ms(getP50).padStart(8)} ms      ${ms(peerP50).padStart(8)} ms       ${p50Ratio.toFixed(2)}x     ${p50Target}`,
        `GET only (cache-get)  c=${clients} throughput       ${getRps.toFixed(0).padStart(8)} ops/s   ${peerRps.toFixed(0).padStart(8)} rps      ${rpsRatio.toFixed(2)}x     >= ${CACHE_TARGETS.throughput}x: ${verdict(rpsRatio >= CACHE_TARGETS.throughput)}`,
        `GET + decode (cache)  c=${clients} p50              ${ms(cacheP50).padStart(8)} ms      decode ${ms(Math.max(0, cacheP50 - getP50))} ms = ${Math.round((Math.max(0, cacheP50 - getP50) / cacheP50) * 100)}% of the hit (cache − cache-get)`,
      );
    }
    lines.push(`cache hits verified by INFO: ${check.cacheCheck ? `${check.cacheCheck.hits} GETs hit, server keyspace_hits +${check.cacheCheck.serverHits}: ${verdict(check.cacheCheck.verified)}` : 'n/a'}`);
    return lines;
  } finally {
    for (const path of paths) await path.close();
  }
}

/** On its own: perfbench's configuration, the default dataset (seeded when missing), the run's own keys. */
async function main(): Promise<void> {
  const seconds = Number(process.env.DURATION ?? 60);
  if (!(seconds >= 18)) throw new Error('DURATION must be at least 18 seconds');
  const controller = new AbortController();
  process.on('SIGINT', () => controller.abort());
  const runtime = new Runtime(loadConfig({ flags: {}, env: process.env, cwd: process.cwd() }), terminalOutput(), controller.signal);
  try {
    await initHistograms();
    const table = tableIdentifier('products');
    const column = columnIdentifier('category');
    const admin = await runtime.client();
    if (!(await tableInfo(admin, table))?.hasRows) {
      process.stderr.write('seeding the default dataset (1,000,000 rows)…\n');
      await seed(runtime, { table, dataset: DEFAULT_DATASET, reset: false, withIndex: false });
    }
    const dataset = await readDataset(admin, table);
    if (!dataset) throw new Error('products was not seeded by perfbench; point DATABASE_URL at a database where it was (or an empty one)');
    const database = await runtime.database();
    const tier = await runtime.cache();
    const namespace = `${await datasetVersion(admin, table)}:products:category:fidelity-cache-${randomBytes(3).toString('hex')}`;
    runtime.defer(async () => void (await tier.deletePrefix(reportKey(namespace, ''))));
    const context: PathContext = {
      connect: () => connectClient(database, runtime.config.connectTimeoutMs),
      workload: builtinReportWorkload({ table, column }),
      sequence: categorySequence({ categories: dataset.parameters.categories, distribution: 'uniform', seed: 1 }),
      cache: async () => tier, keyNamespace: namespace, ttlSeconds: 3600, signal: controller.signal,
    };
    const log = (line: string): void => void process.stderr.write(`${line}\n`);
    log(`perfbench cache fidelity — Node ${process.version}, DURATION=${seconds}s, ${tier.label}`);
    const lines = await cacheFidelity({ tier, context, seconds, log });
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    await runtime.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await main();
  } catch (error) {
    process.stderr.write(`fidelity-cache failed: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  }
}
