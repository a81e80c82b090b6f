/**
 * bench --workload --driver libpq against a real PostgreSQL: the scripts' statements on blocking
 * libpq sessions, one client per worker process. It must be the same benchmark as --driver pg, only
 * through another client: the same rows written (values, \pb_from draws, :client_id), the same
 * failures by SQLSTATE (and a failed transaction rolled back, so the next one runs), the same plans
 * on every path (as-is, no-index, index= on quoted names, cache), and the candidate index gone after.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchOptions, type BenchFlags } from '../../src/flags/bench-flags.js';
import { foldTrials, type PathResult } from '../../src/measure/result.js';
import { renderReport } from '../../src/report/bench-report.js';
import { bench, type BenchOutcome } from '../../src/usecases/bench.js';
import { LoadThreads, type WorkloadThreadContext } from '../../src/usecases/bench-threads.js';
import { builtinScript } from '../../src/workload/pgbench/index.js';
import { restorePgbenchTables, scriptWriter, takePgbenchTables } from '../support/pgbench.js';
import { TEST_DATABASE_URL, withRuntime } from '../support/services.js';

const suffix = `${process.pid}_${Date.now().toString(36)}`;
const SCHEMA = `Ledger ${suffix}`;
const ENTRIES = `"${SCHEMA}"."Journal Entries"`;
const LOG = `"${SCHEMA}"."Run Log"`;
const script = scriptWriter('perfbench-libpq-');
let admin: pg.Client;
let hadPgbenchTables = false;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  hadPgbenchTables = await takePgbenchTables(admin, TEST_DATABASE_URL);
  await admin.query(`CREATE SCHEMA "${SCHEMA}"`);
  // Text keys that are no dense integer range, and a numeric column: nothing like pgbench's tables.
  await admin.query(`CREATE TABLE ${ENTRIES} ("Entry №" bigint PRIMARY KEY, "Account Code" text, "Amount €" numeric(12,2))`);
  await admin.query(`INSERT INTO ${ENTRIES} SELECT g, 'ACC-' || (g % 300), (g % 997) / 4.0 FROM generate_series(1, 40000) g`);
  await admin.query(`ANALYZE ${ENTRIES}`);
  // "App": the application_name of the session that wrote the row, which tells the two drivers apart.
  await admin.query(`CREATE TABLE ${LOG} (aid int, "Client" int, account text, "App" text)`);
}, 60_000);

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await restorePgbenchTables(admin, TEST_DATABASE_URL, hadPgbenchTables);
  await admin.end();
});

async function run(flags: BenchFlags): Promise<BenchOutcome> {
  const options = benchOptions({ iterations: '200', warmup: '0', trials: '1', ...flags });
  return withRuntime((runtime) => bench(runtime, options));
}

const byName = (paths: readonly PathResult[]): Map<string, PathResult> => new Map(foldTrials(paths).map((p) => [p.name, p]));
const counts = (p: PathResult) => p.statements!.map((s) => [s.name, s.ops, s.errors, s.summary.count]);

describe('bench --driver libpq: the same benchmark as --driver pg, through libpq', () => {
  it('two worker processes write the rows --driver pg writes, and fail (and roll back) the same executions by SQLSTATE', async () => {
    const file = script('log.sql', [
      '\\set aid random(1, 100000)',
      `\\pb_from account "${SCHEMA}"."Journal Entries"."Account Code"`,
      'BEGIN;',
      `INSERT INTO ${LOG} VALUES (:aid, :client_id, :account, current_setting('application_name'));`,
      // A quarter of the executions fail inside the transaction (22012): their INSERT is rolled back,
      // and the next execution on that session must still run (a session left in a failed transaction would answer 25P02).
      'SELECT 1 / (:aid % 4) AS "Ratio";',
      'END;',
      '',
    ].join('\n'));
    const rows = async () => (await admin.query(`SELECT aid, "Client", account FROM ${LOG} ORDER BY 1, 2, 3`)).rows;
    const apps = async () => (await admin.query(`SELECT DISTINCT "App" FROM ${LOG}`)).rows.map((row) => row.App);
    const viaPg = byName((await run({ workload: [file], paths: 'as-is', concurrency: '2' })).result.paths).get('as-is')!;
    const written = await rows();
    expect(await apps()).toEqual(['perfbench']);
    await admin.query(`TRUNCATE ${LOG}`);
    const outcome = await run({ workload: [file], paths: 'as-is', concurrency: '2', driver: 'libpq' });
    const viaLibpq = byName(outcome.result.paths).get('as-is')!;
    expect(await rows()).toEqual(written);
    // Every row was written by a libpq session, none by node-postgres.
    expect(await apps()).toEqual(['perfbench-libpq']);
    expect(written.length).toBeGreaterThan(100);
    expect(written.length).toBeLessThan(200);
    expect(new Set(written.map((row) => row.Client))).toEqual(new Set([0, 1]));
    // One client per process: --workers was set to --concurrency.
    expect(viaLibpq.workers).toBe(2);
    // The event loop stands still while a libpq call waits: its lag is not measured (it is for pg).
    expect(viaLibpq.eventLoopLag).toBeUndefined();
    expect(viaPg.eventLoopLag).toBeDefined();
    expect(viaLibpq.failures!['22012']).toBeGreaterThan(0);
    expect(viaLibpq.failures).toEqual(viaPg.failures);
    expect([viaLibpq.ops, viaLibpq.errors]).toEqual([viaPg.ops, viaPg.errors]);
    expect(counts(viaLibpq)).toEqual(counts(viaPg));
    const report = renderReport('table', outcome);
    expect(report).toMatch(/failures 22012 x\d+/);
    expect(report).toContain('libpq driver, 2 worker processes');
    expect(outcome.result.options['driver']).toBe('libpq');
    await admin.query(`TRUNCATE ${LOG}`);
  }, 120_000);

  it('every path on quoted names: as-is, no-index and index= read as named (the candidate gone after), cache answers every read', async () => {
    const file = script('entries.sql', [
      `\\pb_from code "${SCHEMA}"."Journal Entries"."Account Code" zipf 1.1`,
      '-- name: by_account',
      `SELECT count(*), sum("Amount €") FROM ${ENTRIES} WHERE "Account Code" = :code;`,
      '',
    ].join('\n'));
    const index = `index=${ENTRIES}("Account Code")`;
    const outcome = await run({ workload: [file], paths: `as-is,no-index,${index},cache`, concurrency: '2', driver: 'libpq' });
    const paths = byName(outcome.result.paths);
    expect([...paths.keys()]).toEqual(['as-is', 'no-index', index, 'cache']);
    for (const p of paths.values()) {
      expect([p.ops, p.errors]).toEqual([200, 0]);
      expect(p.workers).toBe(2);
      expect(p.statements![0]).toMatchObject({ name: 'by_account', ops: 200, errors: 0 });
      expect(p.flags ?? []).not.toContain('plan-mismatch');
    }
    expect(paths.get('as-is')!.plan!.usesIndex).toBe(false);
    expect(paths.get('no-index')!.plan!.usesIndex).toBe(false);
    expect(paths.get(index)!.plan!.usesIndex).toBe(true);
    const cache = paths.get('cache')!;
    expect(cache.cacheHits! + cache.cacheMisses!).toBe(200);
    expect(cache.cacheHits).toBeGreaterThan(0);
    const left = await admin.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [SCHEMA]);
    expect(left.rows.map((r: { indexname: string }) => r.indexname).filter((name) => name.startsWith('pbw_'))).toEqual([]);
  }, 120_000);

  it("pgbench's tpcb-like on one libpq session in this process: its 7 statements once per transaction, as through pg", async () => {
    await admin.query('TRUNCATE pgbench_history');
    const outcome = await run({ builtin: ['tpcb-like'], iterations: '100', paths: 'as-is', driver: 'libpq' });
    // One history row per transaction.
    expect((await admin.query('SELECT count(*)::int AS n FROM pgbench_history')).rows[0].n).toBe(100);
    const p = byName(outcome.result.paths).get('as-is')!;
    expect([p.ops, p.errors]).toEqual([100, 0]);
    expect(p.workers ?? 1).toBe(1);
    expect(p.statements).toHaveLength(7);
    for (const s of p.statements!) expect([s.ops, s.errors]).toEqual([100, 0]);
    expect(p.plan!.usesIndex).toBe(true);
  }, 120_000);

  it('a session the server ends mid-run is replaced, as a pg connection is: a few 08006 failures, the outage window reported, then on', async () => {
    const file = script('lookup.sql', [
      `\\pb_from code "${SCHEMA}"."Journal Entries"."Account Code"`,
      `SELECT "Entry №" FROM ${ENTRIES} WHERE "Entry №" = length(:code) * 97;`,
      '',
    ].join('\n'));
    const terminate = setTimeout(() => {
      // Only libpq sessions: were the statements on node-postgres, nothing would end, and no outage be seen.
      void admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'perfbench-libpq' AND query LIKE '%Journal Entries%'");
    }, 1000);
    try {
      const outcome = await run({ workload: [file], paths: 'as-is', duration: '3s', iterations: undefined, driver: 'libpq' });
      const p = byName(outcome.result.paths).get('as-is')!;
      expect(p.outages).toHaveLength(1);
      expect(p.outages![0]!.error).toMatch(/server closed the connection|terminat/i);
      expect(Object.keys(p.failures!)).toEqual(['08006']);
      expect(p.errors).toBeGreaterThan(0);
      expect(p.errors).toBeLessThan(10);
      expect(p.ops).toBeGreaterThan(100);
    } finally {
      clearTimeout(terminate);
    }
  }, 120_000);

  it('a worker process that dies fails the run at once, with one line naming the process and its error', async () => {
    const database = await withRuntime((runtime) => runtime.database());
    const context: WorkloadThreadContext = {
      kind: 'workload', driver: 'libpq', database, connectTimeoutMs: 5_000, keyNamespace: 'unused', ttlSeconds: 60,
      paths: ['as-is'], histogramBackend: 'wasm', scripts: [builtinScript('select-only')], seed: 1, scale: 1, defines: {},
      pbFrom: [], maxTries: 1, kinds: [{ kind: 'as-is' }],
    };
    const threads = await LoadThreads.start(context, 2, new AbortController().signal, new URL('../support/crashing-process.ts', import.meta.url));
    const started = Date.now();
    try {
      const run = threads.run('as-is', { concurrency: 2, durationMs: 30_000, sequence: { at: () => '' } });
      await expect(run).rejects.toThrow(/^worker process [12] of 2 crashed: injected crash in the measured phase$/);
      // Not after the 30 s run: the crash ends it.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await threads.close();
    }
  }, 60_000);
});
