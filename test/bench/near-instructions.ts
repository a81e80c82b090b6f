/**
 * npm run bench:instructions — CPU instructions per near hit (callgrind), `perfbench serve` as
 * installed (bin/perfbench over dist/) against the bare node:http server replaying the same answer
 * (test/bench/http-bare.mjs), under the same wrk load: the 1.3 kB report with Accept-Encoding: gzip,
 * 16 connections. Not a test: it prints figures.
 *
 * Why beside bench:http: on a shared VM the wall-clock ratio of bench:http moves ±15% between
 * rounds (the same serve process took 32 to 57 µs of CPU per request from one 5 s round to the
 * next), so a change of a few per cent to the request path cannot be seen there. Instructions
 * counted by valgrind do not depend on the machine's load. They still move between runs with what
 * the JIT made of the code: the bare server's count agreed within 0.2% over two runs, serve's within
 * ~4%, so compare builds over several runs each. They do not count cache misses or the kernel's
 * part of a request: they say whether the path got shorter, and bench:http says what that is worth.
 *
 * Each server runs under `valgrind --tool=callgrind --instr-atstart=no` (uninstrumented while it
 * starts and warms: WARM seconds of wrk, default 30, for the JIT to settle), then is instrumented
 * for 10 s more, counted from zero, and measured over MEASURE seconds (default 20): that window's
 * instructions divided by wrk's request count. About 1k instructions of serve's figure is
 * background work (timers, the Redis connection, the pool), spread over the ~1,000 requests a
 * second valgrind allows; natively it is ~30x less per request.
 *
 * Needs valgrind (apt-get install valgrind) and wrk. Uses DATABASE_URL / REDIS_URL like the CLI (serve
 * inherits them, as in bench:http).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config.js';
import { terminalOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';
import { seed } from '../../src/usecases/dataset.js';
import { tableIdentifier } from '../../src/workload/identifiers.js';
import { BIN, ensureBuilt } from './built-cli.js';
import { recordAnswer, SERVE_BENCH_TABLES, warmUntil, wrk } from './http-tools.js';

const WARM_SECONDS = Number(process.env.WARM ?? 30);
const MEASURE_SECONDS = Number(process.env.MEASURE ?? 20);
const CONNECTIONS = 16;
const GZIP = { 'Accept-Encoding': 'gzip' };
const SMALL = SERVE_BENCH_TABLES[1];
const CATEGORY = 'cat-00';

interface Counted {
  requests: number;
  instructions: number;
}

/** Starts `args` under callgrind (uninstrumented) and resolves with its URL once `listening` finds it in the output. */
async function underCallgrind(dir: string, label: string, args: string[], listening: (line: string) => string | undefined): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(dir, `${label}.%p`)}`, process.execPath, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code} under valgrind`)));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        const found = listening(line);
        if (found) resolve(found);
      });
    }
  });
  child.removeAllListeners('exit');
  return { child, url };
}

function control(pid: number, ...args: string[]): void {
  const result = spawnSync('callgrind_control', [...args, String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`callgrind_control ${args.join(' ')} failed: ${result.stderr || result.error?.message}`);
}

/** Warms, then counts the instructions of one steady window of wrk load on `url`. */
async function count(dir: string, label: string, child: ChildProcess, url: string): Promise<Counted> {
  const pid = child.pid!;
  await wrk(url, GZIP, { connections: CONNECTIONS, seconds: WARM_SECONDS });
  control(pid, '-i', 'on');
  await wrk(url, GZIP, { connections: CONNECTIONS, seconds: 10 });
  control(pid, '-d'); // dumps and zeroes: the window below starts from zero, on a settled JIT
  const { requests } = await wrk(url, GZIP, { connections: CONNECTIONS, seconds: MEASURE_SECONDS });
  control(pid, '-d');
  control(pid, '-i', 'off');
  const window = readdirSync(dir).find((name) => name.startsWith(`${label}.`) && name.endsWith('.2'));
  if (!window) throw new Error(`no callgrind dump of ${label}'s window in ${dir}`);
  const totals = /^totals: (\d+)/m.exec(readFileSync(join(dir, window), 'utf8'));
  if (!totals) throw new Error(`no totals in ${window}`);
  return { requests, instructions: Number(totals[1]) };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  for (const tool of ['valgrind', 'callgrind_control', 'wrk']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed (apt-get install ${tool === 'wrk' ? 'wrk' : 'valgrind'})`);
  }
  ensureBuilt();
  const out = terminalOutput();
  const runtime = new Runtime(loadConfig({ flags: {}, env: process.env, cwd: process.cwd() }), out);
  const dir = mkdtempSync(join(tmpdir(), 'perfbench-bench-instructions-'));
  try {
    const table = tableIdentifier(SMALL.table);
    await seed(runtime, { table, reset: true, withIndex: true, dataset: { rows: SMALL.rows, categories: SMALL.categories, distribution: 'uniform', skew: 0, seed: 42 } });
    out.say(`serve as installed under callgrind (${WARM_SECONDS} s of warm-up, then ${MEASURE_SECONDS} s counted), near hits on ${table.text}, gzip, ${CONNECTIONS} connections…`);
    const serve = await underCallgrind(dir, 'serve', [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--table', table.text, '--ttl', '3600', '--pool', '10', '--near-cache-mb', '64'],
      (line) => /listening on (http:\/\/\S+)/.exec(line)?.[1]);
    let near: Counted;
    let recordFile: string;
    try {
      const fast = `${serve.url}/report/fast?category=${CATEGORY}`;
      const plain = await warmUntil(fast, 'NEAR');
      const gzipped = await warmUntil(fast, 'NEAR', GZIP);
      recordFile = join(dir, 'answer.json');
      recordAnswer(recordFile, plain, gzipped);
      near = await count(dir, 'serve', serve.child, fast);
    } finally {
      await stop(serve.child);
    }
    out.say('the bare node:http server under callgrind, the same answer…');
    const bareServer = await underCallgrind(dir, 'bare', [join(import.meta.dirname, 'http-bare.mjs'), recordFile],
      (line) => (/^\d+$/.test(line.trim()) ? `http://127.0.0.1:${line.trim()}` : undefined));
    let bare: Counted;
    try {
      bare = await count(dir, 'bare', bareServer.child, `${bareServer.url}/report/fast?category=${CATEGORY}`);
    } finally {
      await stop(bareServer.child);
    }
    const perRequest = (c: Counted) => c.instructions / c.requests;
    out.data([
      `server                    requests counted   instructions/request`,
      `bare node:http            ${String(bare.requests).padStart(16)}   ${perRequest(bare).toFixed(0).padStart(20)}`,
      `perfbench serve (NEAR)    ${String(near.requests).padStart(16)}   ${perRequest(near).toFixed(0).padStart(20)}   ${(perRequest(near) / perRequest(bare)).toFixed(2)}x bare's`,
    ].join('\n'));
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
