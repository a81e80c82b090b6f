/**
 * Soak: 1,000 concurrent keep-alive connections against `perfbench serve` for DURATION seconds
 * (default 60) on loopback, every request a cache hit on /report/fast. Prints requests, errors,
 * latency percentiles, connections opened, and the server's RSS at the start, peak and end.
 * Target: zero errors, exactly CONNECTIONS connections opened (keep-alive held), no RSS growth, and
 * the server's peak RSS under 150 MB (issue 13, item 6).
 *
 * The server runs as its own process (the built CLI, bin/perfbench over dist/), so its RSS is the server's alone and
 * the load generator does not share its event loop. The table perfbench_soak is seeded for the
 * run and dropped afterwards; the report keys serve wrote are removed.
 *
 *   npm run bench:soak                         # 60 s, 1,000 connections
 *   DURATION=10 CONNECTIONS=200 npm run bench:soak
 * Uses DATABASE_URL / REDIS_URL (default: the test services on 127.0.0.1).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import * as hdr from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import pg from 'pg';
import { BIN, ensureBuilt } from './built-cli.js';

const DURATION_S = Number(process.env.DURATION ?? 60);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 1000);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const TABLE = 'perfbench_soak';
const CATEGORIES = 100;
const RSS_TARGET_MB = 150;
const say = (line: string) => process.stderr.write(`${line}\n`);

if (!(DURATION_S > 0 && DURATION_S <= 3600) || !(Number.isInteger(CONNECTIONS) && CONNECTIONS > 0 && CONNECTIONS <= 20_000)) {
  say('DURATION must be 1-3600 seconds and CONNECTIONS 1-20000');
  process.exit(2);
}

// Each connection is a descriptor in this process and one in the server's.
const limit = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim();
say(`ulimit -n: ${limit} (needs > ${CONNECTIONS + 200} per process)`);
if (limit !== 'unlimited' && Number(limit) < CONNECTIONS + 200) {
  say(`raise it first: ulimit -n ${CONNECTIONS * 2 + 1000}`);
  process.exit(2);
}

// The built CLI, as an installed perfbench runs: under tsx the server's RSS would carry tsx's ~30 MB.
ensureBuilt();
function perfbench(args: string[]) {
  return spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, DATABASE_URL, REDIS_URL, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function run(args: string[]): Promise<void> {
  const child = perfbench(args);
  let err = '';
  child.stderr.on('data', (chunk) => (err += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`perfbench ${args.join(' ')} exited ${code}: ${err.trim()}`);
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

// 20,000 rows in 100 categories: ~200 rows (~13 KB of JSON) per report.
say(`seeding ${TABLE} (20,000 rows, ${CATEGORIES} categories)…`);
await run(['seed', '--table', TABLE, '--rows', '20000', '--categories', String(CATEGORIES), '--reset']);

const server = perfbench(['serve', '--table', TABLE, '--port', '0', '--ttl', '600', '--pool', '10']);
let serverLog = '';
server.stderr.on('data', (chunk) => (serverLog += String(chunk)));
const serverExited = new Promise<number | null>((resolve) => server.once('exit', resolve));
const baseUrl = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`serve did not start within 30 s: ${serverLog}`)), 30_000);
  const check = () => {
    const url = /listening on (http:\/\/[\d.:]+)/.exec(serverLog)?.[1];
    if (url) {
      clearTimeout(timer);
      server.stderr.off('data', check);
      resolve(url);
    }
  };
  server.stderr.on('data', check);
  server.once('exit', (code) => reject(new Error(`serve exited ${code}: ${serverLog}`)));
});
say(`serve (pid ${server.pid}) at ${baseUrl}`);

const categoryName = (i: number) => `cat-${String(i).padStart(String(CATEGORIES - 1).length, '0')}`;
const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS, maxFreeSockets: CONNECTIONS, scheduling: 'fifo' });
const sockets = new Set<Socket>();

interface Reply {
  status: number;
  cache: string | undefined;
}
function get(path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { agent }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cache: res.headers['x-cache'] as string | undefined }));
      res.on('error', reject);
    });
    req.on('socket', (socket) => sockets.add(socket));
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end();
  });
}

// Warm the cache: one MISS per category, so the soak itself sees only hits.
for (let i = 0; i < CATEGORIES; i++) {
  const reply = await get(`/report/fast?category=${categoryName(i)}`);
  if (reply.status !== 200) throw new Error(`warm-up of ${categoryName(i)} answered ${reply.status}`);
}
// Open every connection before measuring, so the start RSS already holds 1,000 sockets.
await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => get(`/report/fast?category=${categoryName(i % CATEGORIES)}`)));
const openedBefore = sockets.size;

const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
const counts = { requests: 0, errors: 0, notHit: 0 };
const errorSamples = new Map<string, number>();
const rss = { start: rssBytes(server.pid!), settled: NaN, peak: 0, end: 0 };
rss.peak = rss.start;
const sampler = setInterval(() => {
  const now = rssBytes(server.pid!);
  rss.peak = Math.max(rss.peak, now);
  // A quarter in, the heap has grown to its working size: growth after that is what would leak.
  if (Number.isNaN(rss.settled) && performance.now() - startedMs >= (DURATION_S * 1000) / 4) rss.settled = now;
}, 1000);
const startedMs = performance.now();
const deadline = startedMs + DURATION_S * 1000;
const progress = setInterval(() => {
  say(`${((performance.now() - startedMs) / 1000).toFixed(0)} s: ${counts.requests.toLocaleString('en-US')} requests, ${counts.errors} errors, server RSS ${mb(rssBytes(server.pid!))}`);
}, 10_000);
say(`soak: ${CONNECTIONS} keep-alive connections for ${DURATION_S} s on /report/fast (cache hits)…`);

async function worker(id: number): Promise<void> {
  let k = id;
  while (performance.now() < deadline) {
    const category = categoryName(k++ % CATEGORIES);
    const t0 = performance.now();
    try {
      const reply = await get(`/report/fast?category=${category}`);
      histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      counts.requests++;
      if (reply.status !== 200) {
        counts.errors++;
        errorSamples.set(`HTTP ${reply.status}`, (errorSamples.get(`HTTP ${reply.status}`) ?? 0) + 1);
      } else if (reply.cache !== 'HIT' && reply.cache !== 'NEAR') {
        // NEAR: a hit in serve's in-process near cache, in front of Redis; both are cache hits.
        counts.notHit++;
      }
    } catch (error) {
      counts.requests++;
      counts.errors++;
      const key = (error as Error).message;
      errorSamples.set(key, (errorSamples.get(key) ?? 0) + 1);
    }
  }
}
await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => worker(i)));
const elapsedS = (performance.now() - startedMs) / 1000;
clearInterval(sampler);
clearInterval(progress);
rss.end = rssBytes(server.pid!);
rss.peak = Math.max(rss.peak, rss.end);
const opened = sockets.size;
agent.destroy();

server.kill('SIGINT');
await serverExited;
const summary = /stopped: .*/.exec(serverLog)?.[0] ?? '(no summary)';

// Leave the database and Redis as found: the keys serve wrote for this table, and the table.
const redis = new Redis(REDIS_URL, { lazyConnect: true });
await redis.connect();
let cursor = '0';
let deleted = 0;
do {
  const [next, keys] = await redis.scan(cursor, 'MATCH', `perfbench:report:v1:*:${TABLE}:category:*`, 'COUNT', 1000);
  cursor = next;
  if (keys.length > 0) deleted += await redis.unlink(...keys);
} while (cursor !== '0');
redis.disconnect();
const admin = new pg.Client({ connectionString: DATABASE_URL });
await admin.connect();
await admin.query(`DROP TABLE IF EXISTS ${TABLE}`);
await admin.query('DELETE FROM perfbench_datasets WHERE table_name = $1', [TABLE]);
await admin.end();

const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
const lines = [
  `soak: ${CONNECTIONS} keep-alive connections, ${elapsedS.toFixed(1)} s, loopback, /report/fast cache hits`,
  `  requests      ${counts.requests.toLocaleString('en-US')} (${Math.round(counts.requests / elapsedS).toLocaleString('en-US')}/s)`,
  `  errors        ${counts.errors}${errorSamples.size ? ` (${[...errorSamples].map(([what, n]) => `${n}x ${what}`).join('; ')})` : ''}`,
  `  not a hit     ${counts.notHit} (answers neither HIT nor NEAR)`,
  `  latency       p50 ${ms(histogram.getValueAtPercentile(50))}  p99 ${ms(histogram.getValueAtPercentile(99))}  p99.9 ${ms(histogram.getValueAtPercentile(99.9))}  max ${ms(histogram.maxValue)}`,
  `  connections   ${opened} opened (${openedBefore} before measuring; ${opened === CONNECTIONS ? 'keep-alive held' : 'some were re-opened'})`,
  `  server RSS    start ${mb(rss.start)}  at 25% ${mb(rss.settled)}  peak ${mb(rss.peak)}  end ${mb(rss.end)}  (end - 25%: ${rss.end >= rss.settled ? '+' : ''}${mb(rss.end - rss.settled)})  `
    + `peak < ${RSS_TARGET_MB} MB: ${rss.peak < RSS_TARGET_MB * 1e6 ? 'PASS' : 'MISS'}`,
  `  server        ${summary}`,
  `  cleanup       ${deleted} report keys removed, ${TABLE} dropped`,
];
process.stdout.write(`${lines.join('\n')}\n`);
histogram.destroy();
process.exitCode = counts.errors === 0 ? 0 : 1;
