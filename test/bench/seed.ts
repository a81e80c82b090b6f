/**
 * npm run bench:seed — perfbench's COPY loader against pgbench's client-side generator, in one
 * run, on the same server: 1,000,000 rows each, trials interleaved, medians printed.
 *
 *   load:  perfbench create + binary COPY   vs  pgbench -i -I dtg -s 10 (drop, create, generate)
 *   total: perfbench + primary key + ANALYZE vs  pgbench -i -I dtgvp -s 10 (+ vacuum, primary keys)
 *
 * Uses perfbench's configuration (DATABASE_URL… or the embedded PostgreSQL). TRIALS=3 by default.
 */
import { spawnSync } from 'node:child_process';
import { seed } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { loadConfig } from '../../src/config.js';
import { terminalOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';

const TRIALS = Number(process.env.TRIALS ?? 3);
const ROWS = 1_000_000;
const TABLE = 'perfbench_bench_seed';

const runtime = new Runtime(loadConfig({ flags: {}, env: process.env, cwd: process.cwd() }), terminalOutput());
try {
  const target = await runtime.database();
  const admin = await runtime.client();
  const pgbenchEnv = { ...process.env, PGHOST: target.host, PGPORT: String(target.port), PGUSER: target.user, PGDATABASE: target.database, PGPASSWORD: target.password ?? '' };
  const version = spawnSync('pgbench', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error('pgbench not found on PATH (apt-get install postgresql-client)');
  const server = (await admin.query('SHOW server_version')).rows[0].server_version;
  console.log(`server PostgreSQL ${server} at ${target.host}:${target.port} (${target.mode}); ${version.stdout.trim()}; ${TRIALS} trials of ${ROWS.toLocaleString('en-US')} rows`);

  const pgbench = (steps: string): number => {
    const started = performance.now();
    const result = spawnSync('pgbench', ['-i', '-I', steps, '-s', '10', '-q'], { env: pgbenchEnv, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`pgbench failed: ${result.stderr}`);
    const done = /done in ([\d.]+) s/.exec(result.stderr);
    return done ? Number(done[1]) * 1000 : performance.now() - started;
  };
  const perfbench = async () => {
    await admin.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await admin.query('DELETE FROM perfbench_datasets WHERE table_name = $1', [TABLE]).catch(() => undefined);
    return seed(runtime, seedOptions({ table: TABLE, rows: String(ROWS), categories: '1000', distribution: 'uniform', seed: '42' }));
  };

  const samples = { perfbenchLoad: [] as number[], perfbenchTotal: [] as number[], pgbenchLoad: [] as number[], pgbenchTotal: [] as number[] };
  for (let trial = 1; trial <= TRIALS; trial++) {
    const ours = await perfbench();
    samples.perfbenchLoad.push(ours.loadMs);
    samples.perfbenchTotal.push(ours.totalMs);
    samples.pgbenchLoad.push(pgbench('dtg'));
    samples.pgbenchTotal.push(pgbench('dtgvp'));
    console.log(`trial ${trial}: perfbench load ${ms(ours.loadMs)} total ${ms(ours.totalMs)} | pgbench dtg ${ms(samples.pgbenchLoad.at(-1)!)} dtgvp ${ms(samples.pgbenchTotal.at(-1)!)}`);
  }
  const rate = (values: number[]) => ROWS / (median(values) / 1000);
  const row = (label: string, ours: number[], theirs: number[]) =>
    console.log(`${label.padEnd(6)} perfbench ${fmt(rate(ours))} rows/s (${ms(median(ours))})   pgbench ${fmt(rate(theirs))} rows/s (${ms(median(theirs))})   ratio ${(rate(ours) / rate(theirs)).toFixed(2)}x`);
  console.log('\nmedians');
  row('load', samples.perfbenchLoad, samples.pgbenchLoad);
  row('total', samples.perfbenchTotal, samples.pgbenchTotal);

  await admin.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await admin.query('DELETE FROM perfbench_datasets WHERE table_name = $1', [TABLE]);
  spawnSync('pgbench', ['-i', '-I', 'd'], { env: pgbenchEnv });
} finally {
  await runtime.close();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
function ms(value: number): string {
  return `${(value / 1000).toFixed(2)} s`;
}
function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
