/**
 * npm run bench:startup — how long the built CLI takes to start and finish a small command, against
 * `node -e 0` in the same run (not a test: it prints figures, timings never gate anything).
 *
 *   npm run build && npm run bench:startup      # RUNS=30 by default
 *
 * Times `bin/perfbench --help` and `bin/perfbench index list` as an installed perfbench runs: the
 * file itself is executed, its shebang starts node (the one running this script, first on PATH)
 * over dist/, and `node -e 0`, in rounds that rotate the order so drift on a shared
 * machine hits each alike; prints the medians and each command's ratio to the target, 1.3x
 * `node -e 0` + 50 ms (issue 13, item 7). `index list` talks to perfbench's configured database
 * (DATABASE_URL…); when that is the embedded PostgreSQL, this script starts it once and points every
 * run at it, so the figure is start-up and not a server boot. Without a `products` table it lists a
 * scratch table of its own, dropped at the end.
 *
 * Beside them, the floor under `index list` (startup-floor.mjs): the same catalog queries from a
 * script that loads only the lean session index list connects with, and prints plain lines: Node.js,
 * the server and a minimal client, no CLI. The difference is perfbench's own share (commander, its
 * configuration and modules, cli-table3). And the server's part alone, timed from this process: a
 * fresh session's start, then those queries on it (a new backend reads its catalog caches cold).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { loadConfig } from '../../src/config.js';
import type { ConnectionTarget } from '../../src/db/connection-target.js';
import { openLeanSession, type LeanSession } from '../../src/db/lean-session.js';
import { terminalOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';
import { BIN, ensureBuilt, installedEnv, ROOT } from './built-cli.js';

/** The floor under `index list`: Node.js, the lean session and the server, no CLI (see the comment above). */
const FLOOR = new URL('./startup-floor.mjs', import.meta.url).pathname;

const RUNS = Number(process.env.RUNS ?? 30);
const TARGET_FACTOR = 1.3;
const TARGET_EXTRA_MS = 50;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Command {
  label: string;
  /** The whole command line: an executable and its arguments. */
  args: string[];
  wallMs: number[];
  cpuMs: number[];
}

/**
 * Bash runs the command: it reads the wall time around it ($EPOCHREALTIME, so bash's own start is
 * outside it) and, with `times`, the child's CPU time (user + system), which a loaded machine
 * inflates far less than wall time: it tells a slower start from a busier machine.
 */
const TIMED = 'start=$EPOCHREALTIME; err=$("$@" 2>&1 >/dev/null); code=$?; end=$EPOCHREALTIME; ' +
  'echo "$start $end"; times; if [ $code -ne 0 ]; then printf "%s\\n" "$err" >&2; fi; exit $code';

function seconds(text: string): number {
  const match = /(\d+)m([\d.]+)s/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
}

function timeOnce(command: Command, env: NodeJS.ProcessEnv): void {
  const result = spawnSync('bash', ['-c', TIMED, 'bash', ...command.args], { cwd: ROOT, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command.label} exited ${result.status}: ${result.stderr.trim()}`);
  const [clock, , children] = result.stdout.trim().split('\n');
  const [start, end] = clock!.split(' ').map(Number);
  const [user, system] = children!.split(' ').map(seconds);
  command.wallMs.push((end! - start!) * 1000);
  command.cpuMs.push((user! + system!) * 1000);
}

/** A postgres:// URL for a running server (the embedded one's port is known only once it runs). */
function databaseUrl(target: { host: string; port: number; user: string; password: string | undefined; database: string }): string {
  const password = target.password === undefined ? '' : `:${encodeURIComponent(target.password)}`;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `postgres://${encodeURIComponent(target.user)}${password}@${host}:${target.port}/${encodeURIComponent(target.database)}`;
}

/** The server's part of index list, timed from this process: a fresh session's start, then the command's queries on it. */
async function serverPart(target: ConnectionTarget, table: string): Promise<{ startMs: number; queriesMs: number }> {
  const { catalogQueries } = await import(FLOOR) as { catalogQueries: (session: LeanSession, table: string) => Promise<unknown[]> };
  const starts: number[] = [];
  const queries: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const session = await openLeanSession(target, 10_000);
    const connected = performance.now();
    await catalogQueries(session, table);
    queries.push(performance.now() - connected);
    starts.push(connected - started);
    session.close();
  }
  return { startMs: median(starts), queriesMs: median(queries) };
}

const runtime = new Runtime(loadConfig({ flags: {}, env: process.env, cwd: process.cwd() }), terminalOutput());
try {
  ensureBuilt();
  const target = await runtime.database();
  const admin = await runtime.client();
  const env = installedEnv({ ...process.env, NO_COLOR: '1' });
  // The floor reads DATABASE_URL only; perfbench finds the same server through it.
  if (target.mode === 'embedded' || !env.DATABASE_URL) env.DATABASE_URL = databaseUrl(target);
  const listArgs = [BIN, 'index', 'list'];
  const hasProducts = (await admin.query("SELECT to_regclass('products') IS NOT NULL AS present")).rows[0].present as boolean;
  const listed = hasProducts ? 'products' : `perfbench_startup_${randomBytes(3).toString('hex')}`;
  if (!hasProducts) {
    await admin.query(`CREATE TABLE ${listed} (id int PRIMARY KEY, category text)`);
    runtime.defer(async () => void (await admin.query(`DROP TABLE IF EXISTS ${listed}`)));
    listArgs.push('--table', listed);
  }
  const commands: Command[] = [
    { label: 'node -e 0', args: [process.execPath, '-e', '0'], wallMs: [], cpuMs: [] },
    { label: 'perfbench --help', args: [BIN, '--help'], wallMs: [], cpuMs: [] },
    { label: `perfbench index list${hasProducts ? '' : ' (scratch table)'}`, args: listArgs, wallMs: [], cpuMs: [] },
    { label: 'floor: Node.js + the server, no CLI', args: [process.execPath, FLOOR, JSON.stringify(target), listed], wallMs: [], cpuMs: [] },
  ];
  const [node, , list, floor] = commands as [Command, Command, Command, Command];
  // One untimed run each: the first spawn pays for cold file caches.
  for (const command of commands) timeOnce(command, env);
  for (let round = 0; round < RUNS; round++) {
    for (let i = 0; i < commands.length; i++) {
      const command = commands[(round + i) % commands.length]!;
      timeOnce(command, env);
    }
  }

  const nodeMs = median(node.wallMs);
  const nodeCpu = median(node.cpuMs);
  const limit = TARGET_FACTOR * nodeMs + TARGET_EXTRA_MS;
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`perfbench start-up · Node ${process.version} · ${RUNS} rounds · load average ${load} · PostgreSQL ${target.mode} at ${target.host}:${target.port}`);
  console.log(`target: wall time <= ${TARGET_FACTOR}x node -e 0 + ${TARGET_EXTRA_MS} ms = ${limit.toFixed(0)} ms in this run`);
  console.log(`${'command'.padEnd(36)} ${'wall median'.padStart(11)} ${'min'.padStart(9)}  ${'vs node'.padStart(7)}  ${'CPU median'.padStart(10)}  ${'vs node'.padStart(7)}`);
  for (const command of commands) {
    const wall = median(command.wallMs);
    const cpu = median(command.cpuMs);
    const cells = `${command.label.padEnd(36)} ${wall.toFixed(1).padStart(8)} ms ${Math.min(...command.wallMs).toFixed(1).padStart(6)} ms  ${(wall / nodeMs).toFixed(2).padStart(6)}x  ${cpu.toFixed(0).padStart(7)} ms  ${(cpu / nodeCpu).toFixed(2).padStart(6)}x`;
    console.log(command === node ? cells : `${cells}   ${(wall / limit).toFixed(2)}x the target${command === floor ? '' : `: ${wall <= limit ? 'PASS' : 'MISS'}`}`);
  }
  const own = median(list.wallMs) - median(floor.wallMs);
  const server = await serverPart(target, listed);
  console.log(`the target leaves ${(limit - nodeMs).toFixed(1)} ms over node -e 0; the floor takes ${(median(floor.wallMs) - nodeMs).toFixed(1)} ms of it, ` +
    `of which the server ${(server.startMs + server.queriesMs).toFixed(1)} ms (a fresh session ${server.startMs.toFixed(1)} ms, then the queries ${server.queriesMs.toFixed(1)} ms, medians timed in this process)`);
  console.log(`perfbench's own share of index list: ${own.toFixed(1)} ms over the floor (commander, configuration, its modules, cli-table3)`);
} catch (error) {
  process.stderr.write(`bench:startup failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await runtime.close();
}
