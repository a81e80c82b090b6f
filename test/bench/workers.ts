/**
 * `npm run bench:workers`: how perfbench's load scales with `bench --workers N` (N = 1, 2, 4) on the
 * noop, cache and http-fast paths, and how its HTTP load on the 122 kB route (/report/fast, near-cache
 * hits of ~1,000-row reports) compares with wrk's against the same server in the same run
 * (target: at least 0.9x wrk).
 *
 * In one run: seeds serve_bench_products (100,000 rows, 100 categories, as bench:http) unless it is
 * there, starts `perfbench serve` with a near cache in a process of its own, then for BENCH_ROUNDS
 * rounds (default 2) runs `perfbench bench --http <serve> --paths http-fast,noop,cache --workers N`
 * for each N, with wrk (-t1) on /report/fast before the first and after every run, all with
 * BENCH_CONNECTIONS (default 16) connections / clients for BENCH_SECONDS (default 5) per path.
 * A run's ratio to wrk is against the mean of the wrk runs just before and after it (http-fast runs
 * first, so only perfbench's start-up separates them), and each figure is the median of its rounds.
 * perfbench runs as a user runs it (from source, a process of its own); its JSON result gives the
 * figures and its client CPU. Uses DATABASE_URL / REDIS_URL like the CLI. Needs wrk.
 */
import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config.js';
import type { BenchResult, PathResult } from '../../src/measure/result.js';
import { terminalOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';
import { seed } from '../../src/usecases/dataset.js';
import { tableIdentifier } from '../../src/workload/identifiers.js';
import { median, startServeChild, warmUntil, wrk } from './http-tools.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
const TABLE = 'serve_bench_products';
const PATHS = ['http-fast', 'noop', 'cache'] as const;
/** The target ratio of perfbench's HTTP load to wrk's (issue 13, item 2). */
const TARGET = 0.9;
const NEAR_CACHE_MB = 64;
const run = promisify(execFile);

/** `perfbench bench` from source in a process of its own, as a user runs it; its JSON result. */
async function benchRun(serveUrl: string, workers: number): Promise<BenchResult> {
  const cli = join(import.meta.dirname, '..', 'support', 'perfbench-src.ts');
  const args = ['--import', 'tsx', cli, 'bench', '--table', TABLE, '--http', serveUrl, '--paths', PATHS.join(','), '--workers', String(workers),
    '--concurrency', String(CONNECTIONS), '--duration', `${SECONDS}s`, '--warmup', '1s', '--trials', '1', '--format', 'json'];
  const { stdout } = await run(process.execPath, args, { env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' }, timeout: 600_000, maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as BenchResult;
}

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const out = terminalOutput();
  const runtime = new Runtime(loadConfig({ flags: {}, env: process.env, cwd: process.cwd() }), out);
  try {
    const table = tableIdentifier(TABLE);
    const seeded = await seed(runtime, { table, reset: true, withIndex: true, dataset: { rows: 100_000, categories: 100, distribution: 'uniform', skew: 0, seed: 42 } });
    out.say(seeded.unchanged ? `using ${TABLE} (already seeded)` : `seeded ${TABLE} in ${fmt(seeded.totalMs)} ms`);
    const serve = await startServeChild(TABLE, NEAR_CACHE_MB);
    try {
      const url = `${serve.url}/report/fast?category=cat-00`;
      const answer = await warmUntil(url, 'NEAR');
      out.say(`${cpus().length} CPUs, node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ` +
        `${fmt(answer.body.length)}-byte reports; -c${CONNECTIONS}, ${SECONDS} s per path, ${ROUNDS} rounds`);
      const wrkRuns: number[] = [];
      const wrkOnce = async (): Promise<number> => {
        const peer = await wrk(url, {}, { connections: CONNECTIONS, seconds: SECONDS });
        if (peer.errors) out.warn(`wrk: ${peer.errors}`);
        wrkRuns.push(peer.requestsPerSec);
        return peer.requestsPerSec;
      };
      let wrkBefore = await wrkOnce();
      const byWorkers = new Map<number, Array<{ paths: Map<string, PathResult>; wrk: number }>>();
      for (let round = 1; round <= ROUNDS; round++) {
        for (const workers of WORKERS) {
          out.say(`round ${round}/${ROUNDS}: perfbench bench --workers ${workers}, then wrk on /report/fast…`);
          const result = await benchRun(serve.url, workers);
          const wrkAfter = await wrkOnce();
          const paths = new Map(result.paths.map((p) => [p.name, p]));
          for (const p of result.paths) if (p.errors > 0) out.warn(`${p.name} (--workers ${workers}): ${p.errors} errors; first: ${p.firstError ?? '?'}`);
          byWorkers.set(workers, [...(byWorkers.get(workers) ?? []), { paths, wrk: (wrkBefore + wrkAfter) / 2 }]);
          wrkBefore = wrkAfter;
        }
      }
      const rows = [['workers', ...PATHS.map((p) => `${p} ops/s`), 'http-fast p50 / p99 ms', 'client CPU (http-fast)', 'http-fast vs wrk (before/after)']];
      const baseline = new Map<string, number>();
      for (const workers of WORKERS) {
        const rounds = byWorkers.get(workers)!;
        const rate = (name: string) => median(rounds.map((r) => r.paths.get(name)?.throughputOpsPerSec ?? 0));
        if (workers === WORKERS[0]) for (const name of PATHS) baseline.set(name, rate(name));
        const cells = PATHS.map((name) => `${fmt(rate(name))} (${(rate(name) / (baseline.get(name) || 1)).toFixed(2)}x)`);
        const http = rounds.map((r) => r.paths.get('http-fast')!);
        const p50 = median(http.map((p) => p.summary.p50Us / 1000));
        const p99 = median(http.map((p) => p.summary.p99Us / 1000));
        const cpu = median(http.map((p) => (p.clientCpuMs ?? 0) / p.elapsedMs));
        const ratios = rounds.map((r) => (r.paths.get('http-fast')?.throughputOpsPerSec ?? 0) / r.wrk);
        const ratio = median(ratios);
        rows.push([String(workers), ...cells, `${fmt(p50, 2)} / ${fmt(p99, 2)}`, `${fmt(cpu * 100)}% of a core`,
          `${ratio.toFixed(2)}x (rounds ${ratios.map((r) => r.toFixed(2)).join(', ')}; target >= ${TARGET}x: ${ratio >= TARGET ? 'met' : 'NOT met'})`]);
      }
      rows.push(['wrk', fmt(median(wrkRuns)), '', '', '', '', `-t1 -c${CONNECTIONS}, one category (cat-00; perfbench draws all 100); runs: ${wrkRuns.map((r) => fmt(r)).join(', ')}`]);
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
      out.data(rows.map((row) => row.map((cell, c) => (cell ?? '').padEnd(widths[c]!)).join('  ').trimEnd()).join('\n'));
      out.say(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other processes on the machine share its ${cpus().length} CPUs)`);
    } finally {
      await serve.stop();
    }
  } finally {
    await runtime.close();
  }
}

await main();
