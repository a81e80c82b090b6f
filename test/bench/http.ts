/**
 * `npm run bench:http`: how much of a bare node:http server's throughput `/report/fast` keeps on
 * cache hits (target: at least 0.6x), measured by one load generator (wrk) against both, and how
 * perfbench's own HTTP load (the bench runner with the HTTP target, in its own process) compares
 * with wrk on the same endpoint (target: within 20%).
 *
 * In one run: seeds serve_bench_products (100,000 rows, 100 categories: ~1,000 rows and ~120 KB per
 * report) unless it is there, starts the server in-process on an ephemeral loopback port, warms
 * the cache, then runs each load for BENCH_SECONDS (default 10) with BENCH_CONNECTIONS (default 16).
 * Uses DATABASE_URL / REDIS_URL like the CLI (embedded servers otherwise). Needs wrk (apt-get install wrk).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { seed } from '../../src/usecases/dataset.js';
import { startServe } from '../../src/usecases/report-server.js';
import { loadConfig } from '../../src/config.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { terminalOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const CATEGORY = 'cat-00';
const run = promisify(execFile);

interface WrkFigures {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  transferPerSec: string;
  errors: string | undefined;
}

async function wrk(url: string): Promise<WrkFigures> {
  // One wrk thread: on a 2-core machine a second one only takes CPU from the server being measured.
  const { stdout } = await run('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', url], { timeout: (SECONDS + 30) * 1000 });
  const number = (pattern: RegExp) => {
    const match = pattern.exec(stdout);
    if (!match) throw new Error(`unexpected wrk output:\n${stdout}`);
    return match;
  };
  const ms = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit]!;
  const p50 = number(/50%\s+([\d.]+)(us|ms|s)/);
  const p99 = number(/99%\s+([\d.]+)(us|ms|s)/);
  return {
    requestsPerSec: Number(number(/Requests\/sec:\s+([\d.]+)/)[1]),
    p50Ms: ms(p50[1]!, p50[2]!),
    p99Ms: ms(p99[1]!, p99[2]!),
    transferPerSec: number(/Transfer\/sec:\s+(\S+)/)[1]!,
    errors: /Socket errors: (.*)|Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[0],
  };
}

function get(url: string): Promise<{ status: number; cache: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cache: res.headers['x-cache'] as string | undefined, body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });
}

async function startBare(bodyFile: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'http-bare.mjs'), bodyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return {
    url: `http://127.0.0.1:${line.trim()}`,
    stop: async () => {
      child.removeAllListeners('exit');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface OwnLoad {
  opsPerSec: number;
  errors: number;
  firstError?: string;
  summary: { p50Us: number; p99Us: number };
  serverTiming: { meansMs: Record<string, number>; xCache: Record<string, number> };
}

async function ownLoad(baseUrl: string): Promise<OwnLoad> {
  const tsx = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
  const { stdout } = await run(tsx, [join(import.meta.dirname, 'http-load.ts'), baseUrl, 'fast', String(SECONDS), String(CONNECTIONS), CATEGORY],
    { timeout: (SECONDS + 30) * 1000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as OwnLoad;
}

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Report sizes to measure: the default dataset's (~1,000 rows per report) and a small one, to tell per-byte from per-request costs. */
const SIZES = [
  { label: '1,000 rows', table: 'serve_bench_products', rows: 100_000, categories: 100 },
  { label: '10 rows', table: 'serve_bench_small', rows: 1_000, categories: 100 },
];

async function measure(runtime: Runtime, size: (typeof SIZES)[number], dir: string): Promise<string[]> {
  const out = runtime.out;
  const table = tableIdentifier(size.table);
  const seeded = await seed(runtime, {
    table, reset: true, withIndex: true,
    dataset: { rows: size.rows, categories: size.categories, distribution: 'uniform', skew: 0, seed: 42 },
  });
  out.say(seeded.unchanged ? `using ${table.text} (already seeded)` : `seeded ${table.text} in ${fmt(seeded.totalMs)} ms`);
  const running = await startServe(runtime, { port: 0, host: '127.0.0.1', table, column: columnIdentifier('category'), ttlSeconds: 3_600, poolSize: 10 });
  const fastUrl = `${running.url}/report/fast?category=${CATEGORY}`;
  await get(fastUrl);
  const warm = await get(fastUrl);
  if (warm.status !== 200 || warm.cache !== 'HIT') throw new Error(`expected a cache hit after warming, got ${warm.status} ${warm.cache}`);
  const bodyFile = join(dir, `${size.table}.json`);
  writeFileSync(bodyFile, warm.body);
  const bare = await startBare(bodyFile);
  try {
    const bareCheck = await get(bare.url);
    if (!bareCheck.body.equals(warm.body)) throw new Error('the bare server does not send the same bytes');
    out.say(`${size.label} per report (${fmt(warm.body.length)} bytes), cache ${running.cacheLabel}:`);
    out.say('  wrk against the bare node:http server…');
    const bareFigures = await wrk(bare.url);
    out.say('  wrk against /report/fast (cache hits)…');
    const hitsBefore = running.server.metrics.cache.HIT;
    const fastFigures = await wrk(fastUrl);
    const wrkHits = running.server.metrics.cache.HIT - hitsBefore;
    out.say('  perfbench (bench runner + HTTP target, own process) against /report/fast…');
    const own = await ownLoad(running.url);
    await running.server.close();

    const ratio = fastFigures.requestsPerSec / bareFigures.requestsPerSec;
    const ownRatio = own.opsPerSec / fastFigures.requestsPerSec;
    const body = `${fmt(warm.body.length / 1000, 1)} kB`;
    return [
      ['wrk', 'bare node:http', body, fmt(bareFigures.requestsPerSec), fmt(bareFigures.p50Ms, 2), fmt(bareFigures.p99Ms, 2), bareFigures.errors ?? ''],
      ['wrk', '/report/fast', body, fmt(fastFigures.requestsPerSec), fmt(fastFigures.p50Ms, 2), fmt(fastFigures.p99Ms, 2),
        `${ratio.toFixed(2)}x bare (target >= 0.60x: ${ratio >= 0.6 ? 'met' : 'NOT met'}); ${fmt(wrkHits)} cache hits ${fastFigures.errors ?? ''}`.trim()],
      ['perfbench', '/report/fast', body, fmt(own.opsPerSec), fmt(own.summary.p50Us / 1000, 2), fmt(own.summary.p99Us / 1000, 2),
        `${ownRatio.toFixed(2)}x wrk (target within 20%: ${Math.abs(1 - ownRatio) <= 0.2 ? 'met' : 'NOT met'}); ${own.errors} errors; `
        + `Server-Timing mean cache ${fmt(own.serverTiming.meansMs.cache ?? 0, 3)} ms, total ${fmt(own.serverTiming.meansMs.total ?? 0, 3)} ms; X-Cache ${JSON.stringify(own.serverTiming.xCache)}`],
    ].map((row) => row.join('\t'));
  } finally {
    await bare.stop();
  }
}

async function main(): Promise<void> {
  const out = terminalOutput();
  const runtime = new Runtime(loadConfig({ flags: {}, env: process.env, cwd: process.cwd() }), out);
  const dir = mkdtempSync(join(tmpdir(), 'perfbench-bench-http-'));
  try {
    out.say(`${cpus().length} CPUs, node ${process.version}; wrk -t1 -c${CONNECTIONS} -d${SECONDS}s and perfbench -c${CONNECTIONS} (closed loop) on loopback`);
    const rows = [['load', 'target', 'body', 'req/s', 'p50 ms', 'p99 ms', 'notes']];
    for (const size of SIZES) rows.push(...(await measure(runtime, size, dir)).map((line) => line.split('\t')));
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
    out.data(rows.map((row) => row.map((cell, c) => (c >= 2 && c <= 5 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n'));
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
