/**
 * Fidelity of `perfbench bench --builtin` against pgbench itself (issue 11, item 7), part of
 * `npm run bench:fidelity` (alone: `npm run bench:fidelity -- --only scripts`, or FIDELITY_ONLY=scripts).
 *
 * pgbench's built-in select-only and tpcb-like scripts, at 1 and 2 clients, through perfbench's
 * workload path (the `as-is` path of `bench --builtin NAME`: the same target, runner and
 * histograms) and through `pgbench -M prepared -b NAME`, on the same server and the same tables
 * made by `pgbench -i -s 1` (made here when missing, and then dropped at the end). Each pair runs
 * ROUNDS times, alternating which tool goes first; before every tpcb-like measurement the tables
 * pgbench itself would clean are cleaned (VACUUM of branches and tellers, TRUNCATE of history), for
 * both tools alike, and both run with -n semantics (no vacuum of their own).
 *
 * perfbench runs twice: on node-postgres in this process (the default driver: the workload path,
 * runner and histograms, called directly), and as `perfbench bench --driver libpq` (the built CLI:
 * blocking libpq sessions, one worker process per client, as pgbench -j equal to -c runs them).
 *
 * Printed: perfbench's tps / pgbench's tps, and perfbench's mean latency / pgbench's "latency
 * average" (target: each within 10%). pgbench computes that average as clients x run time /
 * transactions (without --rate or --progress it measures no latency), so it includes the client's
 * own time between transactions; perfbench's mean is of the measured executions, and its
 * clients / tps equivalent is printed beside it.
 *
 * For select-only, two floors run too, so the gap to pgbench splits into perfbench's own part and
 * Node's: the same transaction from a bare Node.js socket loop (bare-node-client.ts), the floor
 * under any asynchronous Node.js client, and from a bare loop on the libpq binding, one process per
 * client (bare-libpq-client.mjs), the floor under `--driver libpq`.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, ensureBuilt } from './built-cli.js';
import { initHistograms } from '../../src/measure/histogram.js';
import type { PathResult } from '../../src/measure/result.js';
import { runTarget } from '../../src/measure/runner.js';
import { connectClient } from '../../src/db/connection.js';
import { conninfo } from '../../src/db/libpq-session.js';
import type { Runtime } from '../../src/runtime.js';
import { workloadPath, type WorkloadContext } from '../../src/targets/workload-path.js';
import { builtinScript, type BuiltinScriptName } from '../../src/workload/pgbench/index.js';
import { bareNodeSelectOnly } from './bare-node-client.js';
import { dropPgbenchTables, hasPgbenchTables, pgbenchBinary, pgbenchInit } from '../support/pgbench.js';

const SCRIPTS: BuiltinScriptName[] = ['select-only', 'tpcb-like'];
const CLIENTS = [1, 2];
/** Seconds per measurement (each tool, each script and client count, each round). */
const SECONDS = Number(process.env.FIDELITY_SCRIPT_SECONDS ?? 4);
const ROUNDS = Number(process.env.FIDELITY_SCRIPT_ROUNDS ?? 5);
const WARMUP_MS = 1000;

interface Figures {
  tps: number;
  /** perfbench: the mean of the measured executions; pgbench: its latency average. */
  latencyMs: number;
  /** The client's own CPU time (user + system) per transaction: what a loaded machine makes each tool wait for. */
  cpuUs: number;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}: ${output.trim().slice(-500)}`))));
  });
}

type Tool = 'perfbench' | 'libpq' | 'pgbench' | 'bare' | 'bareLibpq';
const TOOL_LABEL: Record<Tool, string> = { perfbench: 'perfbench (pg)', libpq: 'perfbench (libpq)', pgbench: 'pgbench', bare: 'bare Node', bareLibpq: 'bare libpq' };
const BARE_LIBPQ = join(dirname(fileURLToPath(import.meta.url)), 'bare-libpq-client.mjs');

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const medians = (figures: Figures[]): Figures => ({
  tps: median(figures.map((f) => f.tps)), latencyMs: median(figures.map((f) => f.latencyMs)), cpuUs: median(figures.map((f) => f.cpuUs)),
});

/**
 * Runs the scripts through both tools and returns the summary lines; `log` gets each measurement
 * as it is made.
 */
export async function scriptFidelity(runtime: Runtime, signal: AbortSignal, log: (line: string) => void): Promise<string[]> {
  await initHistograms();
  ensureBuilt();
  const database = await runtime.database();
  const url = `postgresql://${encodeURIComponent(database.user)}${database.password ? `:${encodeURIComponent(database.password)}` : ''}@` +
    `${database.host.includes(':') ? `[${database.host}]` : database.host}:${database.port}/${encodeURIComponent(database.database)}`;
  const admin = await runtime.client();
  const made = !(await hasPgbenchTables(admin));
  if (made) {
    log('  making pgbench\'s tables: pgbench -i -s 1');
    pgbenchInit(url);
  }
  const scale = Number((await admin.query('SELECT count(*) AS n FROM pgbench_branches')).rows[0].n);
  const clean = async (script: BuiltinScriptName): Promise<void> => {
    if (script !== 'tpcb-like') return;
    await admin.query('VACUUM pgbench_branches');
    await admin.query('VACUUM pgbench_tellers');
    await admin.query('TRUNCATE pgbench_history');
  };

  const perfbench = async (script: BuiltinScriptName, clients: number): Promise<Figures> => {
    const context: WorkloadContext = {
      connect: () => connectClient(database, runtime.config.connectTimeoutMs),
      scripts: [builtinScript(script)],
      seed: 1,
      scale,
      defines: {},
      draw: () => {
        throw new Error('the built-in scripts draw no \\pb_from values');
      },
      maxTries: 1,
      cache: () => runtime.cache(),
      keyNamespace: 'fidelity-scripts',
      ttlSeconds: 60,
      signal,
    };
    const path = workloadPath(context, { kind: 'as-is' });
    const cpu = process.cpuUsage();
    try {
      const result: PathResult = await runTarget(path.target(clients), {
        concurrency: clients, durationMs: SECONDS * 1000, warmupMs: WARMUP_MS, sequence: { at: () => '' }, signal,
      });
      if (result.errors > 0) throw new Error(`perfbench ${script} c=${clients}: ${result.errors} errors, first: ${result.firstError}`);
      const used = process.cpuUsage(cpu);
      // Warm-up included (its operations are not counted): a slight overestimate.
      return { tps: result.throughputOpsPerSec, latencyMs: result.summary.meanUs / 1000, cpuUs: (used.user + used.system) / result.ops };
    } finally {
      await path.close();
    }
  };

  const pgbench = async (script: BuiltinScriptName, clients: number): Promise<Figures> => {
    const args = ['-n', '-M', 'prepared', '-b', script, '-c', String(clients), '-j', String(clients), '-T', String(SECONDS), url];
    // bash's `time` gives pgbench's own CPU.
    const text = await run('bash', ['-c', 'TIMEFORMAT="client-cpu %U %S"; time "$@"', 'pgbench', pgbenchBinary(), ...args], {});
    const latency = /latency average = ([\d.]+) ms/.exec(text);
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(text);
    if (!latency || !tps) throw new Error(`cannot read pgbench output:\n${text}`);
    const cpu = /client-cpu ([\d.]+) ([\d.]+)/.exec(text);
    const cpuUs = cpu ? ((Number(cpu[1]) + Number(cpu[2])) * 1e6) / (Number(tps[1]) * SECONDS) : NaN;
    return { tps: Number(tps[1]), latencyMs: Number(latency[1]), cpuUs };
  };

  /** `perfbench bench --driver libpq`, as a user runs it: its JSON result's as-is path (the measured phase only). */
  const perfbenchLibpq = async (script: BuiltinScriptName, clients: number): Promise<Figures> => {
    const args = ['bench', '--builtin', script, '--paths', 'as-is', '--driver', 'libpq', '--concurrency', String(clients),
      '--duration', `${SECONDS}s`, '--warmup', `${WARMUP_MS}ms`, '--trials', '1', '--format', 'json'];
    const text = await run(process.execPath, [BIN, ...args], { DATABASE_URL: url, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' });
    const path = (JSON.parse(text.slice(text.indexOf('{'))) as { paths: Array<{ ops: number; errors: number; throughputOpsPerSec: number; summary: { meanUs: number }; clientCpuMs?: number; firstError?: string }> }).paths[0]!;
    if (path.errors > 0) throw new Error(`perfbench --driver libpq ${script} c=${clients}: ${path.errors} errors, first: ${path.firstError}`);
    // The worker processes' own CPU over the measured phase, added (the parent waits meanwhile).
    return { tps: path.throughputOpsPerSec, latencyMs: path.summary.meanUs / 1000, cpuUs: ((path.clientCpuMs ?? NaN) * 1000) / path.ops };
  };

  /** One bare-libpq-client.mjs process per client, started together; their transactions added. */
  const bareLibpq = async (clients: number): Promise<Figures> => {
    const info = conninfo(database, runtime.config.connectTimeoutMs, 'perfbench-bare-libpq');
    const outputs = await Promise.all(Array.from({ length: clients }, () => run(process.execPath, [BARE_LIBPQ, info, String(SECONDS), String(100_000 * scale)], {})));
    const parts = outputs.map((text) => JSON.parse(text.trim().split('\n').at(-1)!) as { transactions: number; cpuUs: number });
    const transactions = parts.reduce((sum, part) => sum + part.transactions, 0);
    const tps = transactions / SECONDS;
    return { tps, latencyMs: (1000 * clients) / tps, cpuUs: parts.reduce((sum, part) => sum + part.cpuUs, 0) / transactions };
  };

  const bareNode = async (clients: number): Promise<Figures> => {
    const figures = await bareNodeSelectOnly(() => connectClient(database, runtime.config.connectTimeoutMs), clients, SECONDS, scale);
    return { ...figures, latencyMs: (1000 * clients) / figures.tps };
  };

  /** Each tool's figures, one per round, in round order. */
  const rows: { script: BuiltinScriptName; clients: number; perfbench: Figures[]; libpq: Figures[]; pgbench: Figures[]; bare?: Figures[]; bareLibpq?: Figures[] }[] = [];
  try {
    for (const script of SCRIPTS) {
      for (const clients of CLIENTS) {
        const measured: Record<Tool, Figures[]> = { perfbench: [], libpq: [], pgbench: [], bare: [], bareLibpq: [] };
        const tools: Tool[] = script === 'select-only' ? ['perfbench', 'libpq', 'pgbench', 'bareLibpq', 'bare'] : ['perfbench', 'libpq', 'pgbench'];
        for (let round = 0; round < ROUNDS; round++) {
          // Alternate the order: no tool always runs on another's warm cache or after its bloat.
          for (const tool of round % 2 === 0 ? tools : [...tools].reverse()) {
            if (signal.aborted) throw new Error('interrupted');
            await clean(script);
            const figures = tool === 'perfbench' ? await perfbench(script, clients) : tool === 'libpq' ? await perfbenchLibpq(script, clients)
              : tool === 'pgbench' ? await pgbench(script, clients) : tool === 'bareLibpq' ? await bareLibpq(clients) : await bareNode(clients);
            measured[tool].push(figures);
            log(`  ${TOOL_LABEL[tool].padEnd(17)} ${script.padEnd(11)} c=${clients} round ${round + 1}: ${figures.tps.toFixed(0)} tps, ` +
              `${tool === 'pgbench' ? 'latency average' : 'mean'} ${figures.latencyMs.toFixed(3)} ms, client CPU ${figures.cpuUs.toFixed(1)} µs/transaction`);
          }
        }
        rows.push({
          script, clients, perfbench: measured.perfbench, libpq: measured.libpq, pgbench: measured.pgbench,
          ...(measured.bare.length ? { bare: measured.bare, bareLibpq: measured.bareLibpq } : {}),
        });
      }
    }
  } finally {
    if (made) await dropPgbenchTables(admin);
  }

  const within = (ratio: number): string => (Math.abs(ratio - 1) <= 0.1 ? 'PASS' : 'MISS');
  /**
   * The median over rounds of round r's ratio, with its range. The tools of a round run back to
   * back, so a machine whose speed drifts between rounds (this one's pgbench select-only went from
   * 32k to 52k tps in four rounds) moves both sides of a round's ratio alike: steadier than the
   * ratio of the two medians, which pairs figures from different rounds.
   */
  const pairedRatio = (ours: Figures[], theirs: Figures[], of: (figures: Figures) => number): { median: number; text: string } => {
    const ratios = ours.map((figures, round) => of(figures) / of(theirs[round]!));
    const middle = median(ratios);
    return { median: middle, text: `${middle.toFixed(2)}x ${within(middle)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})` };
  };
  const line = (script: string, clients: number, driver: string, oursByRound: Figures[], theirsByRound: Figures[]): string => {
    const [ours, theirs] = [medians(oursByRound), medians(theirsByRound)];
    const tpsRatio = pairedRatio(oursByRound, theirsByRound, (f) => f.tps);
    const latencyRatio = pairedRatio(oursByRound, theirsByRound, (f) => f.latencyMs);
    const perClient = (1000 * clients) / ours.tps;
    return `${script.padEnd(12)} ${clients}   ${driver.padEnd(6)} ${ours.tps.toFixed(0).padStart(13)}   ${theirs.tps.toFixed(0).padStart(11)}   ` +
      `${tpsRatio.text.padEnd(23)}  ${`${ours.latencyMs.toFixed(3)} ms (${perClient.toFixed(3)} ms)`.padEnd(25)}  ` +
      `${`${theirs.latencyMs.toFixed(3)} ms`.padStart(19)}   ${latencyRatio.text.padEnd(23)}  ` +
      `${ours.cpuUs.toFixed(1)} vs ${theirs.cpuUs.toFixed(1)} µs (${(ours.cpuUs / theirs.cpuUs).toFixed(1)}x)`;
  };
  return [
    `pgbench's built-in scripts (pgbench -i -s ${scale} tables, same server; ${ROUNDS} alternating rounds of ${SECONDS} s runs per tool; pgbench -j = -c)`,
    'tps and latency: medians over rounds; ratio: the median of each round\'s ratio (range over rounds)',
    'script       c   driver perfbench tps   pgbench tps   ratio                    perfbench mean (c/tps)     pgbench latency avg   ratio                    client CPU/transaction',
    ...rows.flatMap(({ script, clients, perfbench: ours, libpq, pgbench: theirs }) => [
      line(script, clients, 'pg', ours, theirs),
      line(script, clients, 'libpq', libpq, theirs),
    ]),
    'target: perfbench tps within 10% of pgbench\'s, and its mean latency within 10% of pgbench\'s latency average',
    ...rows.map(({ script, clients, perfbench, pgbench, bare }) => ({ script, clients, ours: medians(perfbench), theirs: medians(pgbench), bare: bare && medians(bare) }))
      .flatMap(({ script, clients, ours, theirs, bare }) => (bare ? [
      `the floor of a Node.js client, ${script} c=${clients}: a bare socket loop (none of perfbench's runner, planning or reader) ${bare.tps.toFixed(0)} tps = ${(bare.tps / theirs.tps).toFixed(2)}x pgbench, ` +
      `client CPU ${bare.cpuUs.toFixed(1)} µs/transaction; perfbench (pg) = ${(ours.tps / bare.tps).toFixed(2)}x the bare loop`,
    ] : [])),
    ...rows.flatMap(({ script, clients, libpq, pgbench, bareLibpq }) => (bareLibpq ? [
      `the floor of a Node.js libpq client, ${script} c=${clients}: a bare libpq loop per client process (the same binding; no runner, planning or histograms) ` +
      `${medians(bareLibpq).tps.toFixed(0)} tps = ${pairedRatio(bareLibpq, pgbench, (f) => f.tps).text.replace(/ (PASS|MISS)/, '')} pgbench, client CPU ${medians(bareLibpq).cpuUs.toFixed(1)} µs/transaction; ` +
      `perfbench (libpq) = ${pairedRatio(libpq, bareLibpq, (f) => f.tps).text.replace(/ (PASS|MISS)/, '')} the bare loop`,
    ] : [])),
  ];
}
