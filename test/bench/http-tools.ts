/**
 * What the HTTP benchmarks share (bench:http, bench:workers): wrk's figures, a plain GET, warming a
 * route until it answers from a cache, `perfbench serve` in a process of its own, a process's CPU
 * time, and the median.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { BIN, ensureBuilt, installedEnv } from './built-cli.js';

const run = promisify(execFile);

/** How wrk loads a URL: its connections, for how long. */
/** The tables the HTTP benchmarks serve: ~1,000 rows (~120 kB) and ~10 rows (~1.3 kB) per report. */
export const SERVE_BENCH_TABLES = [
  { label: '1,000 rows', table: 'serve_bench_products', rows: 100_000, categories: 100 },
  { label: '10 rows', table: 'serve_bench_small', rows: 1_000, categories: 100 },
] as const;

export interface WrkLoad {
  connections: number;
  seconds: number;
}

export interface WrkFigures {
  requests: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  transferPerSec: string;
  errors: string | undefined;
}

export async function wrk(url: string, headers: Record<string, string>, load: WrkLoad): Promise<WrkFigures> {
  // One wrk thread: on a 2-core machine a second one only takes CPU from the server being measured.
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const { stdout } = await run('wrk', ['-t1', `-c${load.connections}`, `-d${load.seconds}s`, '--latency', ...headerArgs, url], { timeout: (load.seconds + 30) * 1000 });
  const number = (pattern: RegExp) => {
    const match = pattern.exec(stdout);
    if (!match) throw new Error(`unexpected wrk output:\n${stdout}`);
    return match;
  };
  const ms = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit]!;
  const p50 = number(/50%\s+([\d.]+)(us|ms|s)/);
  const p99 = number(/99%\s+([\d.]+)(us|ms|s)/);
  return {
    requests: Number(number(/(\d+) requests in/)[1]),
    requestsPerSec: Number(number(/Requests\/sec:\s+([\d.]+)/)[1]),
    p50Ms: ms(p50[1]!, p50[2]!),
    p99Ms: ms(p99[1]!, p99[2]!),
    transferPerSec: number(/Transfer\/sec:\s+(\S+)/)[1]!,
    errors: /Socket errors: (.*)|Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[0],
  };
}

export interface Answer {
  status: number;
  cache: string | undefined;
  headers: Record<string, string>;
  body: Buffer;
}

export function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        // What the bare server replays: every header but those node:http adds per connection.
        const replay: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (!['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(name) && typeof value === 'string') replay[name] = value;
        }
        resolve({ status: res.statusCode ?? 0, cache: res.headers['x-cache'] as string | undefined, headers: replay, body: Buffer.concat(chunks) });
      });
    }).on('error', reject).end();
  });
}

/** Writes what http-bare.mjs replays: the identity answer and its gzip variant, headers and bytes. */
export function recordAnswer(file: string, plain: Answer, gzipped: Answer): void {
  writeFileSync(file, JSON.stringify({
    headers: plain.headers, body: plain.body.toString('base64'),
    gzip: { headers: gzipped.headers, body: gzipped.body.toString('base64') },
  }));
}

/** Requests `url` until the answer says `X-Cache: want` (the near cache stores a report once its encodings are made). */
export async function warmUntil(url: string, want: string, headers: Record<string, string> = {}): Promise<Answer> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const answer = await get(url, headers);
    if (answer.status === 200 && answer.cache === want) return answer;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`expected X-Cache: ${want} from ${url} after warming`);
}

/** CPU time (user + system) of a process so far, µs: /proc/<pid>/stat (Linux), else undefined. */
export function childCpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses): utime and stime are 14 and 15, in ticks of 1/100 s.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** `perfbench serve` in a process of its own, as an installed perfbench runs it (bin/perfbench over dist/), with its CPU time and /metrics. */
export interface ServeChild {
  url: string;
  cpuUs: () => number | undefined;
  /** A perfbench_report_cache_total{result=…} count, from /metrics. */
  outcomes: (result: 'near' | 'hit') => Promise<number>;
  stop: () => Promise<void>;
}

export async function startServeChild(table: string, nearCacheMb: number): Promise<ServeChild> {
  ensureBuilt();
  const child = spawn(BIN, ['serve', '--port', '0', '--host', '127.0.0.1', '--table', table,
    '--ttl', '3600', '--pool', '10', '--near-cache-mb', String(nearCacheMb)], { stdio: ['ignore', 'ignore', 'pipe'], env: installedEnv({ ...process.env, NO_COLOR: '1' }) });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`perfbench serve exited with ${code}: ${stderr.trim()}`)));
    child.stderr!.on('data', (chunk) => {
      stderr += String(chunk);
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
  });
  return {
    url,
    cpuUs: () => childCpuUs(child.pid),
    outcomes: async (result) => {
      const text = (await get(`${url}/metrics`)).body.toString();
      const line = text.split('\n').find((l) => l.startsWith(`perfbench_report_cache_total{result="${result}"} `));
      return Number(line?.split(' ')[1] ?? Number.NaN);
    },
    stop: async () => {
      child.removeAllListeners('exit');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

