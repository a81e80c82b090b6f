/**
 * The database paths against libpq (issue 13, item 3), in one run on one machine. It prints
 * figures; timings never gate anything.
 *
 *   npm run bench:db                        # the configured PostgreSQL (DATABASE_URL…), then the embedded 17
 *   EMBEDDED=0 npm run bench:db             # the configured server only
 *   REPORTS=1000 DURATION=10 ROUNDS=3 npm run bench:db
 *
 * On each server, with the default dataset (1,000,000 products, seeded when missing) and the index
 * on category (created for the run when missing, dropped afterwards):
 *
 * 1. Client CPU per report (about 1,000 rows each), one connection, REPORTS reports back to back:
 *    - perfbench: the index path's query (runWorkloadRaw: the wire channel counts the rows off the
 *      socket); process.cpuUsage() over the loop alone, so every thread of this Node process (GC
 *      included) and nothing of its start-up;
 *    - perfbench before the wire channel: the same rows parsed by node-postgres (runRawParsed);
 *    - libpq: `pgbench -M prepared -c 1 -j 1 -t REPORTS` running the same SQL (the category drawn
 *      by \set, uniform as perfbench's sequence, bound as the prepared statement's parameter). Its
 *      CPU is bash's `time` of the pgbench process (user + system, getrusage of the child) divided
 *      by REPORTS: that includes its start and its connection, a few milliseconds over REPORTS
 *      reports, so libpq's figure errs high, in its favour. libpq copies every row into a PGresult,
 *      which pgbench then frees unread.
 * 2. Throughput at concurrency 2: perfbench's `index` path through the bench runner, exactly as
 *    `perfbench bench --paths index --concurrency 2` runs it, against `pgbench -c 2 -j 2 -T
 *    DURATION` with the same script; and the same path with node-postgres parsing the rows (before).
 *
 * The three take turns within each of ROUNDS rounds, each round in another order, and each ratio is
 * taken within a round (then the median of the rounds, with their range), so the load of other
 * work on the machine weighs on each alike; the load average is printed with the figures.
 * Targets: client CPU ≤ 2x libpq's; index throughput at c=2 ≥ 0.95x pgbench's, on each server.
 * Needs pgbench (`apt-get install postgresql-client`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { runRawParsed, runWorkloadRaw } from '../../src/db/bench-queries.js';
import { connectClient, type ConnectionTarget } from '../../src/db/connection.js';
import { dropIndexes } from '../../src/db/indexes.js';
import { readDataset, tableInfo } from '../../src/db/products.js';
import { builtinReportWorkload, reportQuery } from '../../src/db/report.js';
import { initHistograms } from '../../src/measure/histogram.js';
import type { PathResult } from '../../src/measure/result.js';
import { runTarget } from '../../src/measure/runner.js';
import type { Target } from '../../src/measure/target.js';
import { terminalOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';
import { indexScanPath } from '../../src/targets/index-scan.js';
import { Connections, type PathContext } from '../../src/targets/path.js';
import { seed } from '../../src/usecases/dataset.js';
import { indexAdd } from '../../src/usecases/indexes.js';
import { DEFAULT_DATASET } from '../../src/workload/dataset.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { categorySequence, type CategorySequence } from '../../src/workload/sequence.js';
import type { Workload } from '../../src/workload/workload.js';

const REPORTS = Number(process.env.REPORTS ?? 1000);
const DURATION_S = Number(process.env.DURATION ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const WARMUP_MS = 1000;
const CPU_TARGET = 2;
const THROUGHPUT_TARGET = 0.95;

const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
const out = terminalOutput();
const table = tableIdentifier('products');
const column = columnIdentifier('category');
const source = { table, column };
const workload = builtinReportWorkload(source);

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const load = (): string => loadavg().map((n) => n.toFixed(1)).join(' ');

/** The servers to measure: the configured one (when one is), then the embedded PostgreSQL 17. */
function servers(): Array<{ name: string; env: NodeJS.ProcessEnv; cwd: string }> {
  const list: Array<{ name: string; env: NodeJS.ProcessEnv; cwd: string }> = [];
  if (loadConfig({ flags: {}, env: process.env, cwd: process.cwd() }).database.mode === 'external') {
    list.push({ name: 'configured', env: process.env, cwd: process.cwd() });
  }
  if (process.env.EMBEDDED !== '0') {
    // Nothing that names a database (and no .env: a directory without one), so perfbench starts its own.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(DATABASE_URL$|PG[A-Z]+$|DB_)/.test(key)));
    list.push({ name: 'embedded', env, cwd: tmpdir() });
  }
  return list;
}

/** One figure of perfbench, of perfbench before the wire channel, and of the peer tool, per round. */
interface Compared {
  perfbench: number[];
  before: number[];
  peer: number[];
}

interface ServerFigures {
  version: string;
  rowsPerReport: number;
  /** Client CPU µs per report: perfbench, before, libpq. */
  cpu: Compared;
  /** ops/s at c=2: perfbench's index path, before, pgbench. */
  throughput: Compared;
  cpuPerOpAtC2: { perfbench: number; peer: number };
}

/**
 * ROUNDS rounds of the three measurements, each round in another order (perfbench first, then
 * before first, then the peer first…), so a drift of the machine's load favours none of them.
 */
async function rounds(label: string, steps: Record<keyof Compared, () => Promise<number>>): Promise<Compared> {
  const figures: Compared = { perfbench: [], before: [], peer: [] };
  const names = Object.keys(figures) as Array<keyof Compared>;
  for (let round = 0; round < ROUNDS && !controller.signal.aborted; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!;
      figures[name].push(await steps[name]());
    }
    const last = (name: keyof Compared): string => figures[name][round]!.toFixed(0);
    log(`  round ${round + 1} ${label}: perfbench ${last('perfbench')} (before ${last('before')}), peer ${last('peer')} · load ${load()}`);
  }
  return figures;
}

async function measureServer(name: string, env: NodeJS.ProcessEnv, cwd: string): Promise<ServerFigures> {
  const runtime = new Runtime(loadConfig({ flags: {}, env, cwd }), out, controller.signal);
  const scratch = mkdtempSync(join(tmpdir(), 'perfbench-bench-db-'));
  try {
    const admin = await runtime.client();
    const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    log(`\n${name}: PostgreSQL ${version} · load average ${load()}`);
    if (!(await tableInfo(admin, table))?.hasRows) {
      log('  seeding the default dataset (1,000,000 rows)…');
      await seed(runtime, { table, dataset: DEFAULT_DATASET, reset: false, withIndex: false });
    }
    const dataset = await readDataset(admin, table);
    if (!dataset) throw new Error(`products on the ${name} server was not seeded by perfbench; point DATABASE_URL at a database where it was (or an empty one)`);
    const index = await indexAdd(runtime, { table, column, method: 'btree', concurrently: false });
    if (index.created) runtime.defer(async () => void (await dropIndexes(admin, { table, column, name: index.name, force: false, concurrently: false })));
    const database = await runtime.database();
    const categories = dataset.parameters.categories;
    const sequence = categorySequence({ categories, distribution: 'uniform', seed: 1 });
    const pgbench = pgbenchRunner(database, writeScript(scratch, categories));
    const connect = (): Promise<pg.Client> => connectClient(database, runtime.config.connectTimeoutMs);

    const client = await connect();
    let rowsPerReport = 0;
    const cpu = await rounds('CPU µs/report', {
      perfbench: async () => {
        const wire = await clientCpu(sequence, (value) => runWorkloadRaw(client, workload, value));
        rowsPerReport = wire.rowsPerReport;
        return wire.cpuUs;
      },
      before: async () => (await clientCpu(sequence, (value) => runRawParsed(client, 'perfbench_bench', workload.statement.text, [value]))).cpuUs,
      peer: async () => {
        const libpq = await pgbench({ clients: 1, transactions: REPORTS });
        return libpq.cpuUs / libpq.transactions;
      },
    }).finally(() => client.end().catch(() => undefined));

    const context: PathContext = {
      connect, workload, sequence, keyNamespace: 'bench-db', ttlSeconds: 0, signal: controller.signal,
      cache: () => Promise.reject(new Error('the index path has no cache')),
    };
    const cpuPerOp = { perfbench: [] as number[], peer: [] as number[] };
    const throughput = await rounds('c=2 ops/s', {
      perfbench: async () => {
        const path = indexScanPath.create(context);
        const result = await timed(path.target(2), sequence).finally(() => path.close());
        cpuPerOp.perfbench.push(((result.clientCpuMs ?? NaN) * 1000) / result.ops);
        return result.throughputOpsPerSec;
      },
      before: async () => (await timed(parsedIndexTarget(context, workload), sequence)).throughputOpsPerSec,
      peer: async () => {
        const run = await pgbench({ clients: 2, seconds: DURATION_S });
        cpuPerOp.peer.push(run.cpuUs / run.transactions);
        return run.tps;
      },
    });
    return { version, rowsPerReport, cpu, throughput, cpuPerOpAtC2: { perfbench: median(cpuPerOp.perfbench), peer: median(cpuPerOp.peer) } };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await runtime.close();
  }
}

/** Client CPU per report over REPORTS reports back to back on one connection, after a short warm-up. */
async function clientCpu(sequence: CategorySequence, run: (value: string) => Promise<number>): Promise<{ cpuUs: number; rowsPerReport: number }> {
  for (let i = 0; i < 50; i++) await run(sequence.at(i));
  let rows = 0;
  const start = process.cpuUsage();
  for (let i = 0; i < REPORTS; i++) rows += await run(sequence.at(i));
  const used = process.cpuUsage(start);
  return { cpuUs: (used.user + used.system) / REPORTS, rowsPerReport: rows / REPORTS };
}

/** One measured run at concurrency 2 through the bench runner. */
async function timed(target: Target, sequence: CategorySequence): Promise<PathResult> {
  const result = await runTarget(target, {
    concurrency: 2, durationMs: DURATION_S * 1000, warmupMs: WARMUP_MS, warmupIterations: 2, sequence, signal: controller.signal,
  });
  if (result.errors > 0) throw new Error(`${target.name}: ${result.errors} errors, first: ${result.firstError}`);
  return result;
}

/** The index path as it ran before the wire channel: same connections and statement, rows parsed by node-postgres. */
function parsedIndexTarget(context: PathContext, report: Workload): Target {
  const connections = new Connections(context.connect, { signal: context.signal });
  return {
    name: 'index (pg parser)',
    kind: 'db',
    setup: () => connections.ensure(2),
    async run(op) {
      await connections.use((client) => runRawParsed(client, 'perfbench_bench', report.statement.text, [op.category]));
    },
    teardown: () => connections.close(),
  };
}

/** The report as a pgbench script: the category drawn by \set, the statement's $1 built from it. */
function writeScript(dir: string, categories: number): string {
  const width = String(categories - 1).length;
  const statement = reportQuery(source).replace(/--[^\n]*\n/g, '').replace(/\s+/g, ' ').trim()
    .replace('$1', `'cat-' || lpad(:category::text, ${width}, '0')`);
  const path = join(dir, 'report.sql');
  writeFileSync(path, `\\set category random(0, ${categories - 1})\n${statement};\n`);
  return path;
}

interface PgbenchRun {
  tps: number;
  transactions: number;
  /** User + system CPU of the pgbench process. */
  cpuUs: number;
}

/** Runs pgbench -M prepared with `script` against `database`, for a number of transactions or seconds. */
function pgbenchRunner(database: ConnectionTarget, script: string) {
  return (how: { clients: number; transactions?: number; seconds?: number }): Promise<PgbenchRun> => {
    const length = how.transactions !== undefined ? ['-t', String(how.transactions)] : ['-T', String(how.seconds)];
    const args = ['-h', database.host, '-p', String(database.port), '-U', database.user, '-n', '-M', 'prepared', '-f', script,
      '-c', String(how.clients), '-j', String(how.clients), ...length, database.database];
    return new Promise((resolve, reject) => {
      // bash's `time` reports the child's rusage: pgbench's own CPU, start-up included.
      const child = spawn('bash', ['-c', 'TIMEFORMAT="pgbench-cpu %U %S"; time "$@"', 'pgbench', 'pgbench', ...args], {
        env: { ...process.env, PGPASSWORD: database.password ?? '', PGSSLMODE: database.sslmode === 'disable' ? 'disable' : 'prefer' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk));
      child.on('error', reject);
      child.on('close', (code) => {
        const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(text);
        const done = /number of transactions actually processed: (\d+)/.exec(text);
        const cpu = /pgbench-cpu ([\d.]+) ([\d.]+)/.exec(text);
        if (code !== 0 || !tps || !done || !cpu) return reject(new Error(`pgbench exited ${code}:\n${text.trim().slice(-800)}`));
        resolve({ tps: Number(tps[1]), transactions: Number(done[1]), cpuUs: (Number(cpu[1]) + Number(cpu[2])) * 1e6 });
      });
    });
  };
}

async function main(): Promise<void> {
  await initHistograms();
  log(`perfbench bench:db · Node ${process.version} · REPORTS=${REPORTS} DURATION=${DURATION_S}s ROUNDS=${ROUNDS} · load average ${load()}`);
  const results: Array<{ name: string; figures: ServerFigures }> = [];
  for (const server of servers()) {
    if (controller.signal.aborted) break;
    results.push({ name: server.name, figures: await measureServer(server.name, server.env, server.cwd) });
  }
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  /** The ratio of each round (a over b in the same round), as median and range. */
  const ratios = (a: number[], b: number[]): { median: number; text: string } => {
    const each = a.map((value, i) => value / b[i]!);
    const mid = median(each);
    return { median: mid, text: `${mid.toFixed(2)}x (rounds ${Math.min(...each).toFixed(2)}–${Math.max(...each).toFixed(2)})` };
  };
  const lines = [`\nperfbench bench:db · ${new Date().toISOString()} · load average ${load()} · medians of ${ROUNDS} rounds, ratios taken within each round`];
  for (const { name, figures } of results) {
    const { cpu, throughput } = figures;
    const cpuNow = ratios(cpu.perfbench, cpu.peer);
    const tputNow = ratios(throughput.perfbench, throughput.peer);
    lines.push(
      '',
      `PostgreSQL ${figures.version} (${name})`,
      `  client CPU per report (${figures.rowsPerReport.toFixed(0)} rows): perfbench ${median(cpu.perfbench).toFixed(0)} µs, libpq (pgbench) ${median(cpu.peer).toFixed(0)} µs: ` +
        `${cpuNow.text}, target ≤ ${CPU_TARGET}x: ${verdict(cpuNow.median <= CPU_TARGET)}`,
      `    before (rows through node-postgres' parser): ${median(cpu.before).toFixed(0)} µs, ${ratios(cpu.before, cpu.peer).text}`,
      `  index path throughput at c=2: perfbench ${median(throughput.perfbench).toFixed(0)} ops/s, pgbench ${median(throughput.peer).toFixed(0)} tps: ` +
        `${tputNow.text}, target ≥ ${THROUGHPUT_TARGET}x: ${verdict(tputNow.median >= THROUGHPUT_TARGET)}`,
      `    before: ${median(throughput.before).toFixed(0)} ops/s, ${ratios(throughput.before, throughput.peer).text}`,
      `  client CPU per operation at c=2: perfbench ${figures.cpuPerOpAtC2.perfbench.toFixed(0)} µs (the runner's own accounting), pgbench ${figures.cpuPerOpAtC2.peer.toFixed(0)} µs`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench:db failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
}
