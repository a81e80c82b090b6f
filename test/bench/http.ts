/**
 * `npm run bench:http`: how much of a bare node:http server's throughput `/report/fast` keeps on
 * near-cache hits (target: at least 0.8x), measured by one load generator (wrk) against both with the
 * same bytes and headers, without and with `Accept-Encoding: gzip` (the bare server then sends the
 * same pre-compressed bytes); the same route answered from Redis (a server without a near cache) for
 * comparison; and how perfbench's own HTTP load (the bench runner with the HTTP target, in its own
 * process) compares with wrk on the same endpoint, wrk then perfbench BENCH_ROUNDS times (target:
 * at least 0.9x wrk's requests per second, issue 13 item 2).
 *
 * In one run: seeds serve_bench_products (100,000 rows, 100 categories: ~1,000 rows and ~120 KB per
 * report) and serve_bench_small (~1.3 kB per report) unless they are there, starts `perfbench serve`
 * twice (with and without a near cache) in processes of their own, as the bare server runs, warms
 * the caches, then runs each load for BENCH_SECONDS (default 5) with BENCH_CONNECTIONS (default 16),
 * the bare-versus-route pairs BENCH_ROUNDS times (default 3) alternately. Besides requests per second
 * it prints each server's CPU time per request (/proc/<pid>/stat), which other load on the machine
 * disturbs less; the near hits are counted from the server's /metrics. Uses DATABASE_URL / REDIS_URL
 * like the CLI (embedded servers otherwise). Needs wrk (apt-get install wrk).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { seed } from '../../src/usecases/dataset.js';
import { childCpuUs, get, median, recordAnswer, SERVE_BENCH_TABLES, startServeChild, warmUntil, wrk, type WrkFigures } from './http-tools.js';
import { loadConfig } from '../../src/config.js';
import { tableIdentifier } from '../../src/workload/identifiers.js';
import { terminalOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/**
 * Rounds of bare-then-route: each ratio is the median of the rounds' ratios, so a burst of load from
 * other processes on the machine skews one round, not the figure.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** The target ratio of near hits to the bare server (issue 13, item 1). */
const TARGET = 0.8;
/** The target ratio of perfbench's own HTTP load to wrk's on the same route (issue 13, item 2). */
const OWN_LOAD_TARGET = 0.9;
const NEAR_CACHE_MB = 64;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const CATEGORY = 'cat-00';
const run = promisify(execFile);

async function startBare(recordFile: string): Promise<{ url: string; cpuUs: () => number | undefined; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'http-bare.mjs'), recordFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return {
    url: `http://127.0.0.1:${line.trim()}`,
    cpuUs: () => childCpuUs(child.pid),
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
const SIZES = SERVE_BENCH_TABLES;

type Row = string[];

/** wrk's figures, and the server's CPU time per request over the same run (µs; undefined if unknown). */
interface Measured extends WrkFigures {
  cpuUsPerRequest: number | undefined;
}

async function measured(url: string, headers: Record<string, string>, cpuUs: () => number | undefined): Promise<Measured> {
  const before = cpuUs();
  const figures = await wrk(url, headers, { connections: CONNECTIONS, seconds: SECONDS });
  const after = cpuUs();
  return { ...figures, cpuUsPerRequest: before === undefined || after === undefined ? undefined : (after - before) / figures.requests };
}

/** The median round: req/s, latency and CPU per request each taken as their median over the rounds. */
function medianOf(rounds: Measured[]): Measured {
  const cpu = rounds.map((r) => r.cpuUsPerRequest).filter((v): v is number => v !== undefined);
  return {
    requests: rounds.reduce((sum, r) => sum + r.requests, 0),
    requestsPerSec: median(rounds.map((r) => r.requestsPerSec)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    transferPerSec: rounds[0]!.transferPerSec,
    errors: rounds.map((r) => r.errors).find((e) => e !== undefined),
    cpuUsPerRequest: cpu.length === rounds.length ? median(cpu) : undefined,
  };
}

function wrkRow(target: string, body: Buffer, figures: Measured, notes: string): Row {
  return ['wrk', target, `${fmt(body.length / 1000, 1)} kB`, fmt(figures.requestsPerSec), fmt(figures.p50Ms, 2), fmt(figures.p99Ms, 2),
    figures.cpuUsPerRequest === undefined ? '—' : fmt(figures.cpuUsPerRequest, 1), `${notes} ${figures.errors ?? ''}`.trim()];
}

/** `target >= 0.80x: met` (or NOT met). */
const verdict = (ratio: number, target: number) => `target >= ${target.toFixed(2)}x: ${ratio >= target ? 'met' : 'NOT met'}`;
const versus = (ratio: number, target?: number) => `${ratio.toFixed(2)}x bare${target === undefined ? '' : ` (${verdict(ratio, target)})`}`;

async function measure(runtime: Runtime, size: (typeof SIZES)[number], dir: string): Promise<Row[]> {
  const out = runtime.out;
  const table = tableIdentifier(size.table);
  const seeded = await seed(runtime, {
    table, reset: true, withIndex: true,
    dataset: { rows: size.rows, categories: size.categories, distribution: 'uniform', skew: 0, seed: 42 },
  });
  out.say(seeded.unchanged ? `using ${table.text} (already seeded)` : `seeded ${table.text} in ${fmt(seeded.totalMs)} ms`);
  // Both servers in processes of their own, as the bare one is: perfbench serve as a user runs it,
  // and the same route without a near cache (every hit read from Redis, the shape before issue 13).
  const running = await startServeChild(table.text, NEAR_CACHE_MB);
  const fromRedis = await startServeChild(table.text, 0).catch(async (error: unknown) => {
    await running.stop();
    throw error;
  });
  const fastUrl = `${running.url}/report/fast?category=${CATEGORY}`;
  const redisUrl = `${fromRedis.url}/report/fast?category=${CATEGORY}`;
  const gzip = { 'Accept-Encoding': 'gzip' };
  await get(fastUrl);
  const plain = await warmUntil(fastUrl, 'NEAR');
  const gzipped = await warmUntil(fastUrl, 'NEAR', gzip);
  if (gzipped.headers['content-encoding'] !== 'gzip') throw new Error('the near cache did not answer gzip');
  await warmUntil(redisUrl, 'HIT');
  const recordFile = join(dir, `${size.table}.json`);
  recordAnswer(recordFile, plain, gzipped);
  const bare = await startBare(recordFile);
  const rows: Row[] = [];
  try {
    const bareCheck = await get(bare.url);
    const bareGzip = await get(bare.url, gzip);
    if (!bareCheck.body.equals(plain.body) || !bareGzip.body.equals(gzipped.body)) throw new Error('the bare server does not send the same bytes');
    out.say(`${size.label} per report (${fmt(plain.body.length)} bytes, ${fmt(gzipped.body.length)} gzipped):`);

    /**
     * wrk against the bare server, then the route, ROUNDS times; every answer of the route must be a
     * near hit. The ratio is the median of the rounds' ratios (each round's two runs are neighbours).
     */
    const pair = async (label: string, headers: Record<string, string>): Promise<Measured> => {
      const bareRounds: Measured[] = [];
      const fastRounds: Measured[] = [];
      const nearBefore = await running.outcomes('near');
      for (let round = 1; round <= ROUNDS; round++) {
        out.say(`  round ${round}/${ROUNDS}: wrk against the bare node:http server${label}, then /report/fast (near hits)${label}…`);
        bareRounds.push(await measured(bare.url, headers, bare.cpuUs));
        fastRounds.push(await measured(fastUrl, headers, running.cpuUs));
      }
      const nearHits = (await running.outcomes('near')) - nearBefore;
      const bareFigures = medianOf(bareRounds);
      const fastFigures = medianOf(fastRounds);
      const ratio = median(fastRounds.map((f, i) => f.requestsPerSec / bareRounds[i]!.requestsPerSec));
      const rounds = fastRounds.map((f, i) => (f.requestsPerSec / bareRounds[i]!.requestsPerSec).toFixed(2)).join(', ');
      const cpuRatio = bareFigures.cpuUsPerRequest && fastFigures.cpuUsPerRequest ? `; CPU/request ${(fastFigures.cpuUsPerRequest / bareFigures.cpuUsPerRequest).toFixed(2)}x bare's` : '';
      const body = label ? gzipped.body : plain.body;
      const requests = fastRounds.reduce((sum, f) => sum + f.requests, 0);
      const checked = nearHits >= requests ? `${fmt(nearHits)} near hits` : `ONLY ${fmt(nearHits)} near hits for ${fmt(requests)} requests`;
      rows.push(wrkRow(`bare node:http${label}`, body, bareFigures, ''));
      rows.push(wrkRow(`/report/fast NEAR${label}`, body, fastFigures, `${versus(ratio, TARGET)} (rounds ${rounds})${cpuRatio}; ${checked}`));
      return bareFigures;
    };
    const bareIdentity = await pair('', {});
    await pair(', gzip', gzip);

    out.say('  wrk against /report/fast without a near cache (Redis hits)…');
    const hitsBefore = await fromRedis.outcomes('hit');
    const redisFigures = await measured(redisUrl, {}, fromRedis.cpuUs);
    const redisHits = (await fromRedis.outcomes('hit')) - hitsBefore;
    rows.push(wrkRow('/report/fast HIT (Redis)', plain.body, redisFigures, `${versus(redisFigures.requestsPerSec / bareIdentity.requestsPerSec)}; ${fmt(redisHits)} Redis hits`));

    out.say(`  wrk, then perfbench (bench runner + HTTP target, own process), against /report/fast, ${ROUNDS} rounds…`);
    const wrkRounds: number[] = [];
    const ratios: number[] = [];
    let own: OwnLoad | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const wrkRound = await wrk(fastUrl, {}, { connections: CONNECTIONS, seconds: SECONDS });
      own = await ownLoad(running.url);
      wrkRounds.push(wrkRound.requestsPerSec);
      ratios.push(own.opsPerSec / wrkRound.requestsPerSec);
    }
    const ownRatio = median(ratios);
    const rounds = ratios.map((r) => r.toFixed(2)).join(', ');
    rows.push(['perfbench', '/report/fast NEAR', `${fmt(plain.body.length / 1000, 1)} kB`, fmt(own!.opsPerSec), fmt(own!.summary.p50Us / 1000, 2), fmt(own!.summary.p99Us / 1000, 2), '',
      `${ownRatio.toFixed(2)}x wrk (${verdict(ownRatio, OWN_LOAD_TARGET)}; rounds ${rounds}; wrk median ${fmt(median(wrkRounds))} req/s); `
      + `last round: ${own!.errors} errors, Server-Timing mean total ${fmt(own!.serverTiming.meansMs.total ?? 0, 3)} ms, X-Cache ${JSON.stringify(own!.serverTiming.xCache)}`]);
    return rows;
  } finally {
    await bare.stop();
    await running.stop();
    await fromRedis.stop();
  }
}

async function main(): Promise<void> {
  const out = terminalOutput();
  const runtime = new Runtime(loadConfig({ flags: {}, env: process.env, cwd: process.cwd() }), out);
  const dir = mkdtempSync(join(tmpdir(), 'perfbench-bench-http-'));
  try {
    out.say(`${cpus().length} CPUs, node ${process.version}; wrk -t1 -c${CONNECTIONS} -d${SECONDS}s (${ROUNDS} rounds per pair) and perfbench -c${CONNECTIONS} (closed loop) on loopback`);
    const rows = [['load', 'target', 'body', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'notes']];
    for (const size of SIZES) rows.push(...(await measure(runtime, size, dir)));
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
    out.data(rows.map((row) => row.map((cell, c) => (c >= 2 && c <= 6 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n'));
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
