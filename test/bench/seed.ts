/**
 * npm run bench:seed — how close `perfbench seed` comes to the server's own COPY speed, and to
 * `pgbench -i`, in one run on the same server: 1,000,000 rows each (ROWS), trials interleaved and
 * rotated (TRIALS, default 3), medians printed.
 *
 *   perfbench seed worker   rows generated in a worker thread, overlapped with the COPY, then
 *                           primary key, dataset record, ANALYZE, commit
 *   perfbench seed inline   the same with the rows generated on the main thread between sends (how
 *                           seed worked before the worker). `perfbench seed` uses the worker from
 *                           50,000 rows on machines with 3+ cores (copy-source.ts): the ratios are
 *                           those of the way it takes on this machine
 *   server-only COPY        the same statements in one transaction, but COPY FROM a file the server
 *                           reads itself: the same rows, written beforehand by perfbench's encoder
 *                           (untimed). No client generates, encodes or sends anything, so this is
 *                           the floor for these rows on this server, and the target: perfbench seed
 *                           at >= 0.9x its rate (issue 13, item 5)
 *   psql \copy              the same file sent by psql (a C client, no generation): what the wire
 *                           adds to the server-only figure
 *   pgbench -i -s ROWS/1e5  -I dtg (drop, create, client-side generate: the load) and -I dtgvp
 *                           (+ vacuum, primary keys: the total); pgbench_accounts has ROWS rows
 *
 * perfbench runs compiled, as installed: the script first builds src/ with tsc into a scratch
 * directory (COMPILED=0 runs it from source under tsx instead, where each worker thread must first
 * load tsx itself: ~0.3 s of CPU more per seed, which a loaded machine turns into seconds).
 *
 * The server-only run needs a server on this machine that may read files (superuser or
 * pg_read_server_files): with another one it is skipped, and psql \copy is the baseline.
 * Uses perfbench's configuration (DATABASE_URL… or the embedded PostgreSQL); needs pgbench and psql.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type pg from 'pg';
import { seed as seedFromSource, type SeedResult } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { loadConfig } from '../../src/config.js';
import { copySource, usesWorker } from '../../src/db/copy-source.js';
import { sql } from '../../src/db/sql.js';
import { terminalOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';

const TRIALS = Number(process.env.TRIALS ?? 3);
const ROWS = Number(process.env.ROWS ?? 1_000_000);
const SCALE = Math.max(1, Math.round(ROWS / 100_000));
const TABLE = 'perfbench_bench_seed';
const SERVER_TABLE = 'perfbench_bench_seed_server';
const TARGET = 0.9;

/** One timed way of loading: phase name -> ms, and the total. */
interface Timing {
  phases: Record<string, number>;
  totalMs: number;
  loadMs: number;
}

const runtime = new Runtime(loadConfig({ flags: {}, env: process.env, cwd: process.cwd() }), terminalOutput());
const scratch = mkdtempSync(join(tmpdir(), 'perfbench-bench-seed-'));
try {
  const seed = process.env.COMPILED === '0' ? seedFromSource : await compiledSeed(scratch);
  const target = await runtime.database();
  const admin = await runtime.client();
  const libpqEnv = { ...process.env, PGHOST: target.host, PGPORT: String(target.port), PGUSER: target.user, PGDATABASE: target.database, PGPASSWORD: target.password ?? '' };
  for (const tool of ['pgbench', 'psql']) {
    if (spawnSync(tool, ['--version']).status !== 0) throw new Error(`${tool} not found on PATH (apt-get install postgresql-client)`);
  }
  const version = spawnSync('pgbench', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const server = (await admin.query('SHOW server_version')).rows[0].server_version;
  console.log(`server PostgreSQL ${server} at ${target.host}:${target.port} (${target.mode}); ${version}; ${TRIALS} trials of ${fmt(ROWS)} rows (pgbench -s ${SCALE}); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  // The rows perfbench seeds, as one binary COPY file the server can read (the directory too).
  const params = seedOptions({ table: TABLE, rows: String(ROWS), categories: '1000', distribution: 'uniform', seed: '42' }).dataset;
  const file = join(scratch, 'rows.pgcopy');
  const chunks: Buffer[] = [];
  for await (const chunk of copySource(params, 'inline', () => undefined)) chunks.push(chunk as Buffer);
  writeFileSync(file, Buffer.concat(chunks));
  chunks.length = 0;
  chmodSync(scratch, 0o755);
  chmodSync(file, 0o644);
  const serverReads = await canReadServerFiles(admin, file);
  console.log(serverReads === true ? `server-only COPY reads ${file} (${fmt(ROWS)} rows)` : `server-only COPY skipped: ${serverReads}`);

  const perfbench = async (rowGeneration: 'worker' | 'inline'): Promise<Timing> => {
    await dropSeeded(admin, TABLE);
    const result = await seed(runtime, { ...seedOptions({ table: TABLE, rows: String(ROWS), categories: '1000', distribution: 'uniform', seed: '42' }), rowGeneration });
    return seedTiming(result);
  };
  const serverOnly = async (): Promise<Timing> => {
    await admin.query(`DROP TABLE IF EXISTS ${SERVER_TABLE}`);
    const phases: Record<string, number> = {};
    const started = performance.now();
    let mark = started;
    const step = async (name: string, text: string) => {
      await admin.query(text);
      const now = performance.now();
      phases[name] = (phases[name] ?? 0) + now - mark;
      mark = now;
    };
    await step('load', 'BEGIN');
    await step('load', sql('products-create', { table: SERVER_TABLE }));
    await step('load', sql('products-copy', { table: SERVER_TABLE }).replace('FROM STDIN', `FROM '${file}'`));
    await step('primary key', sql('products-primary-key', { table: SERVER_TABLE }));
    await step('analyze', sql('products-analyze', { table: SERVER_TABLE }));
    await step('commit', 'COMMIT');
    return { phases, loadMs: phases.load!, totalMs: performance.now() - started };
  };
  const psqlCopy = (): Timing => {
    const script = [
      `DROP TABLE IF EXISTS ${SERVER_TABLE};`, 'BEGIN;', `${sql('products-create', { table: SERVER_TABLE })};`,
      `\\copy ${SERVER_TABLE} (id, name, category, price, created_at) FROM '${file}' WITH (FORMAT binary, FREEZE)`, 'COMMIT;',
    ].join('\n');
    const started = performance.now();
    const result = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1'], { env: libpqEnv, input: script, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
    const loadMs = performance.now() - started;
    return { phases: { load: loadMs }, loadMs, totalMs: loadMs };
  };
  const pgbench = (steps: string): Timing => {
    const started = performance.now();
    const result = spawnSync('pgbench', ['-i', '-I', steps, '-s', String(SCALE), '-q'], { env: libpqEnv, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`pgbench failed: ${result.stderr}`);
    const done = /done in ([\d.]+) s/.exec(result.stderr);
    const ms = done ? Number(done[1]) * 1000 : performance.now() - started;
    return { phases: {}, loadMs: ms, totalMs: ms };
  };

  const runs: Array<[string, () => Timing | Promise<Timing>]> = [
    ['perfbench seed worker', () => perfbench('worker')],
    ['perfbench seed inline', () => perfbench('inline')],
    ...(serverReads === true ? [['server-only COPY', serverOnly] as [string, () => Promise<Timing>]] : []),
    ['psql \\copy', psqlCopy],
    ['pgbench -i -I dtg', () => pgbench('dtg')],
    ['pgbench -i -I dtgvp', () => pgbench('dtgvp')],
  ];
  const samples = new Map<string, Timing[]>(runs.map(([name]) => [name, []]));
  for (let trial = 0; trial < TRIALS; trial++) {
    // Rotated, so no way of loading always runs right after the same other one.
    const order = [...runs.slice(trial % runs.length), ...runs.slice(0, trial % runs.length)];
    const line: string[] = [];
    for (const [name, run] of order) {
      const timing = await run();
      samples.get(name)!.push(timing);
      line.push(`${name} ${s(timing.totalMs)}`);
    }
    console.log(`trial ${trial + 1}: ${line.join(' | ')}`);
  }

  console.log(`\nmedians of ${TRIALS} (load = create + COPY; total = everything up to the commit)`);
  const medianOf = (name: string, pick: (t: Timing) => number) => median(samples.get(name)!.map(pick));
  for (const [name] of runs) {
    const timings = samples.get(name)!;
    const phaseNames = Object.keys(timings[0]!.phases);
    const phases = phaseNames.length > 1 ? '   ' + phaseNames.map((phase) => `${phase} ${s(median(timings.map((t) => t.phases[phase]!)))}`).join(', ') : '';
    console.log(`${name.padEnd(22)} load ${s(medianOf(name, (t) => t.loadMs))}  total ${s(medianOf(name, (t) => t.totalMs))}  ${fmt(ROWS / (medianOf(name, (t) => t.totalMs) / 1000)).padStart(11)} rows/s${phases}`);
  }

  const baseline = serverReads === true ? 'server-only COPY' : 'psql \\copy';
  const ours = usesWorker(ROWS, 'auto') ? 'perfbench seed worker' : 'perfbench seed inline';
  const ratio = (ours: string, theirs: string, pick: (t: Timing) => number) => medianOf(theirs, pick) / medianOf(ours, pick);
  console.log(`\nratios (rate of ${ours}, the way perfbench seed takes on ${availableParallelism()} cores, / rate of the peer; target vs ${baseline}: >= ${TARGET}x)`);
  const verdict = (value: number) => (value >= TARGET ? 'met' : 'missed');
  const loadRatio = ratio(ours, baseline, (t) => t.loadMs);
  const totalRatio = ratio(ours, baseline, (t) => t.totalMs);
  if (serverReads === true) {
    console.log(`vs server-only COPY   load ${loadRatio.toFixed(2)}x   total ${totalRatio.toFixed(2)}x   target ${TARGET}x: ${verdict(totalRatio)}`);
    console.log(`vs psql \\copy         load ${ratio(ours, 'psql \\copy', (t) => t.loadMs).toFixed(2)}x   (psql itself: ${ratio('psql \\copy', 'server-only COPY', (t) => t.loadMs).toFixed(2)}x the server-only load: what the wire costs the server)`);
  } else {
    console.log(`vs psql \\copy         load ${loadRatio.toFixed(2)}x   target ${TARGET}x: ${verdict(loadRatio)}`);
  }
  console.log(`worker vs inline      load ${ratio('perfbench seed worker', 'perfbench seed inline', (t) => t.loadMs).toFixed(2)}x   total ${ratio('perfbench seed worker', 'perfbench seed inline', (t) => t.totalMs).toFixed(2)}x`);
  console.log(`vs pgbench -i         load (dtg) ${ratio(ours, 'pgbench -i -I dtg', (t) => t.loadMs).toFixed(2)}x   total (dtgvp) ${ratio(ours, 'pgbench -i -I dtgvp', (t) => t.totalMs).toFixed(2)}x`);
  console.log(`load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  await dropSeeded(admin, TABLE);
  await admin.query(`DROP TABLE IF EXISTS ${SERVER_TABLE}`);
  spawnSync('pgbench', ['-i', '-I', 'd'], { env: libpqEnv });
} finally {
  rmSync(scratch, { recursive: true, force: true });
  await runtime.close();
}

/**
 * `seed` from perfbench compiled by tsc into `scratch`, laid out as installed (dist/ beside sql/ and
 * node_modules/), so its worker thread starts from dist/db/copy-worker.js as a user's does.
 */
async function compiledSeed(scratch: string): Promise<typeof seedFromSource> {
  const root = join(import.meta.dirname, '..', '..');
  const install = join(scratch, 'perfbench');
  mkdirSync(install);
  const started = performance.now();
  // tsc emits even when another file has a type error; only a missing output is fatal here.
  spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json'), '--outDir', join(install, 'dist')], { stdio: 'ignore' });
  const entry = join(install, 'dist', 'usecases', 'dataset.js');
  if (!existsSync(entry) || !existsSync(join(install, 'dist', 'db', 'copy-worker.js'))) throw new Error('tsc did not compile src/ (run npm run build to see why), or run with COMPILED=0');
  symlinkSync(join(root, 'sql'), join(install, 'sql'));
  symlinkSync(join(root, 'node_modules'), join(install, 'node_modules'));
  writeFileSync(join(install, 'package.json'), JSON.stringify({ type: 'module' }));
  console.log(`perfbench compiled into ${install} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return ((await import(pathToFileURL(entry).href)) as { seed: typeof seedFromSource }).seed;
}

/** True, or why the server cannot COPY from a file of this machine. */
async function canReadServerFiles(client: pg.Client, file: string): Promise<true | string> {
  try {
    await client.query(`SELECT pg_read_binary_file('${file}', 0, 11)`);
    return true;
  } catch (error) {
    return `the server cannot read ${file} (${(error as Error).message}); it needs to run on this machine, as a superuser or with pg_read_server_files`;
  }
}

async function dropSeeded(client: pg.Client, table: string): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query('DELETE FROM perfbench_datasets WHERE table_name = $1', [table]).catch(() => undefined);
}

function seedTiming(result: SeedResult): Timing {
  const p = result.phases!;
  return {
    phases: { load: p.loadMs, 'primary key': p.primaryKeyMs, 'record': p.indexMs, analyze: p.analyzeMs, commit: p.commitMs },
    loadMs: result.loadMs, totalMs: result.totalMs,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
function s(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
