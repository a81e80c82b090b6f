/**
 * `perfbench explain --advise --workload FILE` / `--builtin NAME` on real PostgreSQL (issue 11,
 * item 6): a pgbench script's statements, with exactly the values bench binds for its first
 * execution, measured together in one rolled-back transaction. A script on a quoted, mixed-case
 * schema (a read and an UPDATE; BEGIN/END left out), pgbench's own tpcb-like on tables made by
 * `pgbench -i` (with their primary keys: nothing to build; without them: pgbench_accounts(aid) wins
 * and its `index add` runs as printed), and the refusals. Every run leaves the data and the indexes
 * as found.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { bench } from '../../src/usecases/bench.js';
import { cli as runCli } from '../support/cli.js';
import { pgbenchInit, restorePgbenchTables, scriptWriter, takePgbenchTables } from '../support/pgbench.js';
import { TEST_DATABASE_URL, withRuntime } from '../support/services.js';
import { shellWords } from '../support/shell-words.js';

const SCHEMA = `Shop Advise ${process.pid}`;
const S = `"${SCHEMA}"`;
const LINES = `${S}."Order Lines"`;
const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const script = scriptWriter('perfbench-advise-workload-');
const cli = (args: string[]) => runCli(args, { NO_COLOR: '1' });
let hadPgbenchTables = false;

/** What "left as found" compares: every index of the schema and of pgbench's tables, and the rows' state. */
async function state(): Promise<string> {
  const indexes = await admin.query(`SELECT schemaname || '.' || tablename || ': ' || indexname AS entry FROM pg_indexes
    WHERE schemaname = $1 OR tablename LIKE 'pgbench\\_%' ORDER BY 1`, [SCHEMA]);
  const lines = await admin.query(`SELECT count(*) FILTER (WHERE "Status" = 'closed') AS closed, sum(amount)::text AS total FROM ${LINES}`);
  const pgbench = await admin.query(`SELECT (SELECT sum(abalance) FROM pgbench_accounts)::text AS a, (SELECT sum(tbalance) FROM pgbench_tellers)::text AS t,
    (SELECT sum(bbalance) FROM pgbench_branches)::text AS b, (SELECT count(*) FROM pgbench_history)::text AS h`);
  return JSON.stringify({ indexes: indexes.rows.map((r) => r.entry), lines: lines.rows[0], pgbench: pgbench.rows[0] });
}

/** Runs `explain --advise …` through the CLI (JSON when asked) and checks nothing changed. */
async function advise(args: string[]): Promise<{ code: number; stdout: string; stderr: string; json: any }> {
  const before = await state();
  const run = await cli(['explain', '--advise', ...args]);
  expect(await state()).toBe(before);
  return { ...run, json: args.includes('json') && run.code === 0 ? JSON.parse(run.stdout) : null };
}

beforeAll(async () => {
  await admin.connect();
  hadPgbenchTables = await takePgbenchTables(admin, TEST_DATABASE_URL);
  await admin.query(`
    SET client_min_messages = warning;
    CREATE SCHEMA ${S};
    CREATE TABLE ${LINES} (id bigint PRIMARY KEY, "Customer Id" integer NOT NULL, "Status" text NOT NULL, amount numeric(10, 2) NOT NULL);
    INSERT INTO ${LINES} SELECT i, 1 + (i * 7919) % 4000, 'status-' || (i % 50), (i % 1000) / 10.0 FROM generate_series(1, 60000) i;
    ANALYZE ${LINES};`);
}, 60_000);

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${S} CASCADE`);
  await restorePgbenchTables(admin, TEST_DATABASE_URL, hadPgbenchTables);
  await admin.query('DELETE FROM perfbench_runs WHERE table_key LIKE $1', ['public.pgbench\\_%']).catch(() => undefined);
  await admin.end();
}, 60_000);

describe('explain --advise --workload: a script on quoted, mixed-case names', () => {
  const text = [
    `\\pb_from cid ${S}."Order Lines"."Customer Id"`,
    '\\set st random(0, 49)',
    'BEGIN;',
    '-- name: lines_of_customer',
    `SELECT count(*), sum(amount) FROM ${LINES} WHERE "Customer Id" = :cid;`,
    '-- name: close_lines',
    `UPDATE ${LINES} SET "Status" = 'closed' WHERE "Customer Id" = :cid AND "Status" = 'status-' || :st;`,
    'END;',
    '',
  ].join('\n');

  it('measures both statements with the values bench binds, the UPDATE undone; BEGIN/END left out; best candidate first', async () => {
    const file = script('orders.sql', text);
    // The values bench's first execution binds (the as-is path, execution 0, the default seed).
    const bound: string[][] = [];
    await withRuntime((runtime) => bench(runtime, benchOptions({ workload: [file], paths: 'as-is', iterations: '1', warmup: '0', trials: '1' }), {
      onStep: (_path, i, statement, values) => void (i === 0 && statement.access !== 'transaction' && bound.push([...values])),
    }));
    expect(bound).toHaveLength(2);

    const run = await advise(['--workload', file, '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const { json } = run;
    expect(json.source.kind).toBe('workload');
    expect(json.source.workload).toMatchObject({ scripts: [{ name: file, executionIndex: 0, statements: 2 }], seed: 1 });
    expect(json.source.workload.skipped.map((s: { line: number; reason: string }) => `${s.line}: ${s.reason}`)).toEqual(['3: BEGIN controls the transaction', '8: END controls the transaction']);
    expect(json.statements.map((s: { label: string }) => s.label)).toEqual(['lines_of_customer (line 5)', 'close_lines (line 7)']);
    expect(json.statements.map((s: { params: string[] }) => s.params)).toEqual(bound);
    expect(json.statements.map((s: { writes: boolean }) => s.writes)).toEqual([false, true]);
    // A statement writes: "before" runs on the same connection, each run in a savepoint.
    expect(json.measurement).toMatchObject({ mode: 'sequential', rolledBack: true, indexesUnchanged: true });
    expect(json.verdict).toBe('recommended');
    const winner = json.candidates[json.winner.rank - 1];
    expect(winner.table).toBe(LINES);
    expect(winner.columns[0].name).toBe('Customer Id');
    expect(winner.perStatement).toHaveLength(2);
    for (const p of winner.perStatement) expect(p.afterMedianMs).toBeLessThan(p.beforeMedianMs);
    // Best first: by the total time of the statements with the candidate.
    const afters = json.candidates.filter((c: { state: string }) => c.state === 'measured').map((c: any) => c.gainMs);
    expect(afters).toEqual([...afters].sort((a, b) => b - a));
    // The lock warning comes before the first build and names the statement that writes.
    const warning = run.stderr.split('\n').find((line) => line.includes('CREATE INDEX takes a SHARE lock on'));
    expect(warning).toContain(LINES);
    expect(warning).toContain('close_lines (line 7) writes: the rows touched stay locked');
  });

  it('text: per statement, its candidates best first, and the left-out BEGIN/END', async () => {
    const run = await advise(['--workload', script('orders.sql', text), '--runs', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Workload .*orders\.sql \(execution 0\): its statements with the values bench binds \(--seed 1, :scale 1, client 0\)/);
    expect(run.stdout).toContain('Statements, measured together as one execution');
    expect(run.stdout).toMatch(/2\. close_lines \(line 7\): UPDATE .* \(writes: each run in a savepoint, rolled back\)/);
    expect(run.stdout).toMatch(/Left out: .*#1 \(line 3\), .*#4 \(line 8\): transaction control/);
    expect(run.stdout).toContain('their writes were undone');
  });

  it('refuses in one line (exit 2): a DDL statement at its file:line, --query beside --workload, -D without --advise', async () => {
    const ddl = await advise(['--workload', script('ddl.sql', `SELECT 1;\nCREATE TABLE ${S}.x (a int);\n`)]);
    expect(ddl.code).toBe(2);
    expect(ddl.stderr.trim().split('\n')).toHaveLength(1);
    expect(ddl.stderr).toMatch(/ddl\.sql:2: explain --advise cannot measure statement .*#2: the statement is a CREATE statement/);
    const clash = await cli(['explain', '--advise', '--workload', 'x.sql', '--query', 'SELECT 1']);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain('--query cannot be combined with them');
    const define = await cli(['explain', '-D', 'a=1']);
    expect(define.code).toBe(2);
    expect(define.stderr).toContain('--define applies to --advise');
    const wrong = await advise(['--workload', script('wrong.sql', `SELECT "No Such Column" FROM ${LINES};\n`)]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/statement .*#1 \(.*wrong\.sql:1\) failed: PostgreSQL error 42703/);
  });
});

describe("explain --advise --builtin tpcb-like on pgbench's tables", () => {
  it('with the primary keys pgbench -i makes: every filter is covered, nothing is built; the writes are marked and undone', async () => {
    const run = await advise(['--builtin', 'tpcb-like', '--format', 'json', '--runs', '1']);
    expect(run.code, run.stderr).toBe(0);
    const { json } = run;
    expect(json.statements.map((s: { label: string }) => s.label)).toEqual([
      'tpcb-like#2 (line 6)', 'tpcb-like#3 (line 7)', 'tpcb-like#4 (line 8)', 'tpcb-like#5 (line 9)', 'tpcb-like#6 (line 10)',
    ]);
    expect(json.statements.map((s: { writes: boolean }) => s.writes)).toEqual([true, false, true, true, true]);
    expect(json.source.workload.skipped.map((s: { statement: string }) => s.statement)).toEqual(['tpcb-like#1', 'tpcb-like#7']);
    expect(json.verdict).toBe('no-candidates');
    // pgbench_accounts is read through its primary key (no filter left to serve); the tellers' filter is covered by theirs.
    expect(json.covered.map((c: { by: string }) => c.by)).toEqual(['pgbench_tellers_pkey']);
  });

  it('without them (pgbench -i -I dtg): pgbench_accounts(aid) wins and its `index add` runs as printed', async () => {
    pgbenchInit(TEST_DATABASE_URL, { steps: 'dtg' });
    try {
      const run = await advise(['--builtin', 'tpcb-like', '--format', 'json']);
      expect(run.code, run.stderr).toBe(0);
      const { json } = run;
      expect(json.verdict).toBe('recommended');
      expect(json.measurement.mode).toBe('sequential');
      const winner = json.candidates[json.winner.rank - 1];
      expect(winner.description).toBe('public.pgbench_accounts (aid)');
      // Both statements on pgbench_accounts (the UPDATE and the SELECT) are faster with it.
      expect(winner.perStatement[0].afterMedianMs).toBeLessThan(winner.perStatement[0].beforeMedianMs);
      expect(winner.perStatement[1].afterMedianMs).toBeLessThan(winner.perStatement[1].beforeMedianMs);
      expect(json.winner.command).toEqual({ kind: 'index-add', text: 'perfbench index add --table public.pgbench_accounts --column aid', why: null });
      const added = await cli(shellWords(json.winner.command.text).slice(1));
      expect(added.code, added.stderr).toBe(0);
      const built = await admin.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'pgbench_accounts'");
      expect(built.rows.map((r) => r.indexdef)).toEqual([expect.stringContaining('ON public.pgbench_accounts USING btree (aid)')]);
    } finally {
      pgbenchInit(TEST_DATABASE_URL);
    }
  }, 120_000);
});
