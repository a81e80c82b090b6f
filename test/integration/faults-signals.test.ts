/**
 * A real Ctrl-C (SIGINT to a child process running the CLI) in the middle of `seed`, `bench` and
 * `index add --concurrently`: each exits 130 and leaves the database and Redis as they were.
 * In-process variants (an aborted signal) live in seed, bench and indexes tests; these check the
 * real signal path: the handler in main(), the exit code, and the cleanup before exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seed } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { ExitCode } from '../../src/errors.js';
import { TestRedis, eventually } from './serve-helpers.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL, dropSeededTable, uniqueTable, withRuntime } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const tables: string[] = [];
const children: ChildProcess[] = [];

beforeAll(() => admin.connect());
afterEach(() => {
  // A test that failed half-way must not leave its child running.
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  for (const table of tables) {
    await dropSeededTable(admin, table);
  }
  await admin.end();
});

interface Running {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/**
 * Starts the CLI from source in its own process; `group`: in a process group of its own, so that a
 * signal can go to the whole group, as a terminal's Ctrl-C does (process.kill(-pid)).
 */
function perfbench(args: string[], env: Record<string, string> = {}, group = false): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/perfbench-src.ts', ...args], {
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
  });
  children.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk) => (output.stdout += String(chunk)));
  child.stderr!.on('data', (chunk) => (output.stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

/** Exit code of the child, or a failure naming what it printed if it does not end within 30 s. */
async function exitCode(running: Running): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`child did not exit within 30 s; stderr: ${running.output.stderr}`)), 30_000);
  });
  try {
    return await Promise.race([running.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function seeded(prefix: string, rows = '4000'): Promise<string> {
  const table = uniqueTable(prefix);
  tables.push(table);
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows, categories: '20', distribution: 'uniform', seed: '9' })));
  return table;
}

/** Row count, an order-independent checksum of every row, the dataset record and the index names. */
async function snapshot(table: string) {
  const rows = await admin.query(`SELECT count(*)::int AS n, md5(string_agg(md5(t::text), '' ORDER BY id)) AS sum FROM ${table} t`);
  const dataset = await admin.query('SELECT fingerprint FROM perfbench_datasets WHERE table_name = $1', [table]);
  const indexes = await admin.query(
    `SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass ORDER BY 1`, [table]);
  return { count: rows.rows[0].n, checksum: rows.rows[0].sum, fingerprint: dataset.rows[0]?.fingerprint, indexes: indexes.rows };
}

/** Statements of other backends that mention `text`, e.g. the child's COPY into the table. */
async function activity(text: string): Promise<Array<{ query: string; wait_event_type: string | null }>> {
  const result = await admin.query(
    'SELECT query, wait_event_type FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() AND query LIKE $1',
    [`%${text}%`]);
  return result.rows;
}

describe('SIGINT to a real perfbench process', () => {
  it('seed --reset: exits 130 in the middle of the load and the previous table is intact', async () => {
    const table = await seeded('sig_seed', '3000');
    const before = await snapshot(table);
    expect(before.count).toBe(3000);

    const running = perfbench(['seed', '--table', table, '--reset', '--rows', '5000000', '--categories', '50']);
    await eventually('the COPY of the new rows to start', async () => ((await activity(`COPY "${table}"`)).length > 0 ? true : undefined), 20_000);
    running.child.kill('SIGINT');
    expect(await exitCode(running)).toBe(ExitCode.interrupted);

    const lines = running.output.stderr.trim().split('\n');
    expect(lines).toEqual([
      'stopping: restoring the database and cleaning up… (Ctrl-C again to quit now)',
      `perfbench: interrupted: seed stopped; table ${table} is unchanged`,
    ]);
    expect(running.output.stdout).toBe('');
    expect(await snapshot(table)).toEqual(before);
  });

  it('bench: exits 130 with the measured report; the index it made is dropped and its Redis keys removed', async () => {
    const table = await seeded('sig_bench');
    const redis = await TestRedis.start();
    const client = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true });
    await client.connect();
    try {
      // Keys that are not this run's must survive its cleanup.
      await client.set('unrelated:key', 'x');
      await client.set(`perfbench:report:v1:someone-else:${table}:category:cat-01`, 'y');
      const keysBefore = (await client.keys('*')).sort();
      const before = await snapshot(table);

      const running = perfbench(['bench', '--table', table, '--paths', 'cache,index,noop', '--duration', '60s', '--trials', '1', '--warmup', '0', '--format', 'json'],
        { REDIS_URL: `redis://127.0.0.1:${redis.port}/0` });
      // The index is built before the first path, the keys are written in the cache path's setup.
      await eventually('the run to create its index and fill the cache', async () => {
        const indexes = (await snapshot(table)).indexes.length;
        return indexes > before.indexes.length && (await client.dbsize()) >= keysBefore.length + 20 ? true : undefined;
      }, 20_000);
      running.child.kill('SIGINT');
      expect(await exitCode(running)).toBe(ExitCode.interrupted);

      const report = JSON.parse(running.output.stdout) as { interrupted: boolean; paths: Array<{ name: string; interrupted: boolean; ops: number }> };
      expect(report.interrupted).toBe(true);
      expect(report.paths.map((p) => p.name)).toEqual(['cache']);
      expect(running.output.stderr).toContain('interrupted: the figures cover what was measured before Ctrl-C');
      expect(running.output.stderr).not.toMatch(/\n\s+at /);
      expect(await snapshot(table)).toEqual(before);
      expect((await client.keys('*')).sort()).toEqual(keysBefore);
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });

  it('bench --driver libpq: Ctrl-C to the whole process group (as a terminal sends it) stops the worker processes gracefully: exit 130 with the report', async () => {
    const table = await seeded('sig_libpq');
    const file = join(mkdtempSync(join(tmpdir(), 'perfbench-sig-')), 'by-category.sql');
    writeFileSync(file, `\\pb_from c ${table}.category\nSELECT count(*) FROM ${table} WHERE category = :c;\n`);
    const running = perfbench(['bench', '--workload', file, '--paths', 'as-is', '--driver', 'libpq', '--concurrency', '2',
      '--duration', '60s', '--trials', '1', '--warmup', '0', '--format', 'json'], {}, true);
    // Both worker processes' sessions are running the statement.
    const libpqSessions = async () => (await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'perfbench-libpq'")).rows[0].n as number;
    await eventually('both libpq clients to run the statement', async () => ((await libpqSessions()) >= 2 ? true : undefined), 20_000);
    process.kill(-running.child.pid!, 'SIGINT');
    expect(await exitCode(running)).toBe(ExitCode.interrupted);
    const report = JSON.parse(running.output.stdout) as { interrupted: boolean; options: { workers?: number }; paths: Array<{ name: string; ops: number; workers?: number }> };
    expect(report.interrupted).toBe(true);
    expect(report.paths).toMatchObject([{ name: 'as-is', workers: 2 }]);
    expect(report.paths[0]!.ops).toBeGreaterThan(0);
    expect(running.output.stderr).not.toMatch(/crashed|exited unexpectedly|\n\s+at /);
    // The workers' sessions are gone with them.
    await eventually('the libpq sessions to close', async () => ((await libpqSessions()) === 0 ? true : undefined), 10_000);
  });

  it('index add --concurrently: exits 130 and drops the INVALID index the cancelled build left', async () => {
    const table = await seeded('sig_index');
    const before = await snapshot(table);
    const indexName = `${table}_category_btree_pb`;
    // A writer's open transaction: CREATE INDEX CONCURRENTLY registers the (invalid) index, commits,
    // then waits for this transaction to end. That is where Ctrl-C leaves a leftover behind.
    const writer = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await writer.connect();
    await writer.query('BEGIN');
    await writer.query(`LOCK TABLE ${table} IN ROW EXCLUSIVE MODE`);
    try {
      const running = perfbench(['index', 'add', '--table', table, '--concurrently']);
      await eventually('the concurrent build to register its invalid index', async () => {
        const { indexes } = await snapshot(table);
        return indexes.some((index: { relname: string; indisvalid: boolean }) => index.relname === indexName && !index.indisvalid) ? true : undefined;
      }, 20_000);
      running.child.kill('SIGINT');
      // Dropping the leftover needs the writer's lock too: it waits until the writer ends, as it would on a real server.
      await eventually('perfbench to drop the leftover index', async () => ((await activity(`DROP INDEX`)).some((a) => a.query.includes(indexName)) ? true : undefined), 20_000);
      await writer.query('ROLLBACK');
      expect(await exitCode(running)).toBe(ExitCode.interrupted);
      expect(running.output.stderr.trim().split('\n').at(-1)).toBe(`perfbench: interrupted: index build cancelled; no index was left behind on ${table}`);
      expect(await snapshot(table)).toEqual(before);
    } finally {
      await writer.end();
    }
  });
});
