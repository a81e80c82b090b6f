/**
 * `perfbench explain --advise` on real PostgreSQL (issue 11, item 6), on a schema of its own with
 * names that need quoting: a join, a correlated subquery, an ORDER BY … LIMIT and a multi-column
 * filter, each measured; the winner's printed command is run as printed (split like a shell) and
 * the index lands on the right table; "no index helps"; the refusals (size bound, a saved plan
 * without --query); a statement that writes; and the database left as found — the index list is
 * compared before and after every run, also after a candidate that fails, a connection killed
 * mid-candidate and Ctrl-C.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ExitCode, UserError } from '../../src/errors.js';
import { explainOptions, type ExplainFlags } from '../../src/flags/explain-flags.js';
import type { AdviseRequest } from '../../src/plan/index-advice.js';
import { explainAdvise } from '../../src/usecases/explain-advise.js';
import { cli as runCli } from '../support/cli.js';
import { shellWords } from '../support/shell-words.js';
import { TEST_DATABASE_URL, testRuntime } from '../support/services.js';

/** A schema whose name keeps its capitals and space only when quoted; the pid tells concurrent runs apart. */
const SCHEMA = `Pb Advise ${process.pid}`;
const S = `"${SCHEMA}"`;
const LINES = `${S}."Order Lines"`;
const CUSTOMERS = `${S}."Customers"`;
const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const scratch = mkdtempSync(join(tmpdir(), 'perfbench-advise-'));
const cli = (args: string[]) => runCli(args, { NO_COLOR: '1' });

/** Every index of the schema, `table: name`, sorted: what "left as found" compares. */
async function indexList(): Promise<string[]> {
  const result = await admin.query('SELECT tablename || \': \' || indexname AS entry FROM pg_indexes WHERE schemaname = $1 ORDER BY 1', [SCHEMA]);
  return result.rows.map((row) => row.entry as string);
}

/** Runs `explain --advise` through the CLI and checks the index list is as it was. */
async function advise(args: string[]): Promise<{ code: number; stdout: string; stderr: string; json: any }> {
  const before = await indexList();
  const run = await cli(['explain', '--advise', ...args]);
  expect(await indexList()).toEqual(before);
  let json: any = null;
  if (args.includes('json') && run.code === 0) json = JSON.parse(run.stdout);
  return { ...run, json };
}

function request(extra: Partial<ExplainFlags>): AdviseRequest {
  const options = explainOptions({ param: [], format: 'json', timeout: '60000', advise: true, ...extra });
  if (options.mode !== 'advise') throw new Error('not an advise request');
  return options.request;
}

beforeAll(async () => {
  await admin.connect();
  await admin.query(`
    SET client_min_messages = warning;
    CREATE SCHEMA ${S};
    -- 4,000 customers in 200 regions (20 each).
    CREATE TABLE ${CUSTOMERS} (id integer PRIMARY KEY, "Region" text NOT NULL);
    INSERT INTO ${CUSTOMERS} SELECT i, 'region-' || (i % 200) FROM generate_series(1, 4000) i;
    -- 60,000 order lines: "Status" and "select" independent, 50 values each (2% alone, 0.04% together).
    -- "select" runs in blocks of 50 consecutive rows (an index on it reads few pages); "Grade" is hashed,
    -- so its 2% are spread over every page and only an index on both it and "Status" reads few.
    CREATE TABLE ${LINES} (
      id bigint PRIMARY KEY, "Customer Id" integer NOT NULL, "Status" text NOT NULL, "select" integer NOT NULL,
      "Grade" integer NOT NULL, placed_at timestamptz NOT NULL, amount numeric(10, 2) NOT NULL, shape box NOT NULL);
    INSERT INTO ${LINES}
    SELECT i, 1 + (i * 7919) % 4000, 'status-' || (i % 50), (i / 50) % 50, (hashint4(i)::bigint % 50 + 50) % 50,
           timestamptz '2024-01-01 00:00:00+00' + (i * 37 % 200000) * interval '1 minute', (i % 1000) / 10.0,
           box(point(i % 7, i % 11), point(0, 0))
    FROM generate_series(1, 60000) i;
    ANALYZE ${CUSTOMERS};
    ANALYZE ${LINES};`);
});

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${S} CASCADE`);
  // `index add` keeps its run bookkeeping per table: ours goes with the schema.
  await admin.query('DELETE FROM perfbench_runs WHERE table_key LIKE $1', [`${SCHEMA}.%`]).catch(() => undefined);
  await admin.query('DELETE FROM perfbench_index_intents WHERE index_schema = $1', [SCHEMA]).catch(() => undefined);
  await admin.end();
});

describe('explain --advise measures candidates and prints a winner that runs as printed', () => {
  it('a join: the index on the join key wins, and `perfbench index add` as printed builds it on the right table', async () => {
    const run = await advise(['--query', `SELECT c."Region", sum(o.amount) FROM ${CUSTOMERS} c JOIN ${LINES} o ON o."Customer Id" = c.id WHERE c."Region" = $1 GROUP BY 1`,
      '--param', 'region-3', '--format', 'json']);
    expect(run.code).toBe(0);
    const { json } = run;
    expect(json).toMatchObject({ kind: 'perfbench.explain-advise', verdict: 'recommended', measurement: { mode: 'interleaved', runsPerSide: 3, rolledBack: true, indexesUnchanged: true } });
    const winner = json.candidates[json.winner.rank - 1];
    expect(winner).toMatchObject({ table: `${S}."Order Lines"`, columns: [{ name: 'Customer Id' }], state: 'measured', beyondNoise: true });
    expect(winner.reasons[0]).toMatchObject({ source: 'join', detail: 'Hash Cond (o."Customer Id" = c.id): o."Customer Id"' });
    expect(winner.usesIndex.length).toBeGreaterThan(0);
    expect(winner.executionTimeMs.after.medianMs).toBeLessThan(json.measurement.baseline.medianMs);
    // The primary key already leads with Customers(id): not measured, said so.
    expect(json.covered).toEqual([{ description: `${S}."Customers" (id)`, by: 'Customers_pkey' }]);
    // The lock warning comes before the first build.
    const lines = run.stderr.split('\n');
    const warning = lines.findIndex((line) => line.includes('CREATE INDEX takes a SHARE lock on'));
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(warning).toBeLessThan(lines.findIndex((line) => line.includes('building')));
    expect(lines[warning]).toContain(`${S}."Order Lines"`);

    const command = json.winner.command;
    expect(command).toEqual({ kind: 'index-add', text: `perfbench index add --table '${S}."Order Lines"' --column '"Customer Id"'`, why: null });
    const words = shellWords(command.text);
    expect(words[0]).toBe('perfbench');
    const added = await cli(words.slice(1));
    expect(added.code).toBe(0);
    const built = await admin.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'Order Lines' AND indexdef LIKE '%("Customer Id")%'`, [SCHEMA]);
    expect(built.rows).toHaveLength(1);
    expect(built.rows[0].indexdef).toContain(`ON ${S}."Order Lines" USING btree ("Customer Id")`);
    try {
      // With that index in place the plan reads through it, and it is not proposed again.
      const again = await advise(['--query', `SELECT c."Region", sum(o.amount) FROM ${CUSTOMERS} c JOIN ${LINES} o ON o."Customer Id" = c.id WHERE c."Region" = $1 GROUP BY 1`,
        '--param', 'region-3', '--format', 'json', '--runs', '1']);
      expect(again.code).toBe(0);
      expect(again.json.candidates.map((c: { description: string }) => c.description)).not.toContain(`${S}."Order Lines" ("Customer Id")`);
    } finally {
      await admin.query(`DROP INDEX ${S}."${built.rows[0].indexname}"`);
    }
  });

  it('a correlated subquery: the column it compares with the outer row wins', async () => {
    const run = await advise(['--query', `SELECT c.id, (SELECT sum(o.amount) FROM ${LINES} o WHERE o."Customer Id" = c.id) AS total FROM ${CUSTOMERS} c WHERE c."Region" = $1`,
      '--param', 'region-7', '--format', 'json']);
    expect(run.code).toBe(0);
    const winner = run.json.candidates[run.json.winner.rank - 1];
    expect(winner).toMatchObject({ description: `${S}."Order Lines" ("Customer Id")`, beyondNoise: true });
    expect(winner.reasons[0].source).toBe('subplan');
    expect(winner.reasons[0].detail).toContain('SubPlan 1, run 20 times: Filter ("Customer Id" = c.id)');
    expect(winner.scanChanges[0]).toMatch(/^Seq Scan on .*Order Lines o -> (Bitmap Heap|Index) Scan/);
  });

  it('ORDER BY … LIMIT: the sort key wins, in text, and its `index add` runs as printed', async () => {
    const run = await advise(['--query', `SELECT id, placed_at FROM ${LINES} ORDER BY placed_at DESC LIMIT 20`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Sort Key placed_at DESC under #0 Limit (20 rows)');
    expect(run.stdout).toMatch(/Recommended: ".*"\."Order Lines" \(placed_at\), [\d.]+x faster/);
    expect(run.stdout).toContain('Measured, not estimated: Dexter and HypoPG');
    const line = run.stdout.split('\n').find((l) => l.startsWith('  perfbench index add'))!;
    expect(line.trim()).toBe(`perfbench index add --table '${S}."Order Lines"' --column placed_at`);
    const added = await cli(shellWords(line.trim()).slice(1));
    expect(added.code).toBe(0);
    const built = await admin.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%(placed_at)%'`, [SCHEMA]);
    expect(built.rows.map((row) => row.indexdef)).toEqual([expect.stringContaining(`ON ${S}."Order Lines" USING btree (placed_at)`)]);
    await admin.query(`DROP INDEX ${S}."${built.rows[0].indexname}"`);
  });

  it('a multi-column filter: both columns in one index win, printed as CREATE INDEX (index add builds one column), which runs as printed', async () => {
    const run = await advise(['--query', `SELECT id FROM ${LINES} WHERE "Status" = $1 AND "Grade" = $2`, '--param', 'status-5', '--param', '7', '--format', 'markdown']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('**Recommended: "Pb Advise');
    expect(run.stdout).toContain('perfbench index add builds single-column indexes; this one has 2 columns');
    const sql = run.stdout.split('```sql\n')[1]!.split('\n```')[0]!;
    expect(sql).toBe(`CREATE INDEX ON ${S}."Order Lines" ("Status", "Grade");`);
    await admin.query(sql);
    const built = await admin.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%("Status", "Grade")%'`, [SCHEMA]);
    expect(built.rows).toHaveLength(1);
    await admin.query(`DROP INDEX ${S}."${built.rows[0].indexname}"`);
  });

  it('no index helps: a filter that keeps most rows gets a candidate, measured, not recommended', async () => {
    const run = await advise(['--query', `SELECT count(*) FROM ${LINES} WHERE "select" < 48`, '--format', 'json']);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ verdict: 'no-index-helps', winner: null });
    expect(run.json.candidates.map((c: { description: string }) => c.description)).toEqual([`${S}."Order Lines" ("select")`]);
    const text = await advise(['--query', `SELECT count(*) FROM ${LINES} WHERE "select" < 48`, '--runs', '1']);
    expect(text.stdout).toContain(`No index helps: the best candidate, ${S}."Order Lines" ("select"), was`);
    expect(text.stdout).not.toContain('perfbench index add');
    expect(text.stderr).toContain('with --runs 1 one pair of runs decides');
  });

  it('a statement that writes: measured before each build, every write undone', async () => {
    const sum = async () => (await admin.query(`SELECT sum(amount)::text AS s, count(*)::int AS n FROM ${LINES}`)).rows[0];
    const before = await sum();
    const run = await advise(['--query', `UPDATE ${LINES} SET amount = amount + 1 WHERE "Status" = $1 AND "select" = 3`, '--param', 'status-9', '--format', 'json']);
    expect(run.code).toBe(0);
    expect(run.json.measurement.mode).toBe('sequential');
    expect(run.json.statements[0].writes).toBe(true);
    expect(run.json.verdict).toBe('recommended');
    expect(await sum()).toEqual(before);
  });

  it('a locking read (FOR UPDATE) is measured like a write: no wait on the row locks of a second session', async () => {
    const run = await advise(['--query', `SELECT id FROM ${LINES} WHERE "select" = $1 FOR UPDATE`, '--param', '21', '--format', 'json', '--timeout', '20000']);
    expect(run.code).toBe(0);
    expect(run.json.measurement.mode).toBe('sequential');
    expect(run.json.verdict).toBe('recommended');
  });

  it('--file with the SQL statement (comments, a trailing semicolon) is advised on like --query', async () => {
    const file = join(scratch, 'slow.sql');
    writeFileSync(file, `-- the slow one\n/* from the log */\nSELECT id FROM ${LINES}\nWHERE "select" = $1;\n`);
    const run = await advise(['--file', file, '--param', '11', '--format', 'json']);
    expect(run.code).toBe(0);
    expect(run.json.source).toMatchObject({ kind: 'query', file, params: ['11'] });
    expect(run.json.winner.command.text).toBe(`perfbench index add --table '${S}."Order Lines"' --column '"select"'`);
  });

  it('a saved plan with --query: its candidates are measured with the live plan\'s', async () => {
    const query = `SELECT id FROM ${LINES} WHERE "Status" = 'status-1' AND "select" = 4`;
    await admin.query('BEGIN');
    const saved = (await admin.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query}`)).rows[0]['QUERY PLAN'];
    await admin.query('ROLLBACK');
    const file = join(scratch, 'plan.json');
    writeFileSync(file, JSON.stringify(saved));
    const run = await advise(['--file', file, '--query', query, '--format', 'json', '--runs', '1']);
    expect(run.code).toBe(0);
    const reasons = run.json.candidates.flatMap((c: { reasons: { detail: string }[] }) => c.reasons.map((r) => r.detail));
    expect(reasons.some((detail: string) => detail.startsWith('in the saved plan: '))).toBe(true);
    // The saved plan has no schema; resolved through the catalog, its candidates merge with the live ones.
    expect(new Set(run.json.candidates.map((c: { description: string }) => c.description)).size).toBe(run.json.candidates.length);
  });
});

describe('explain --advise refuses, in one line, exit 2, nothing built', () => {
  it('a table above --max-table-size without --force; with --force it builds, and says so', async () => {
    const query = `SELECT id FROM ${LINES} WHERE "select" = 9`;
    const refused = await advise(['--query', query, '--max-table-size', '64kB']);
    expect(refused.code).toBe(ExitCode.usage);
    const last = refused.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(new RegExp(`^perfbench: refusing to build candidate indexes on ${S.replace(/"/g, '"')}\\."Order Lines" \\([\\d.]+ MB heap, about 60,000 rows\\): above --max-table-size 64 kB, and CREATE INDEX holds a SHARE lock \\(writes wait\\) for the whole build — pass --force to build anyway, or raise --max-table-size$`));
    expect(refused.stderr).not.toContain('building');
    expect(refused.stdout).toBe('');
    const forced = await advise(['--query', query, '--max-table-size', '64kB', '--force', '--runs', '1']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('Note: --force: building candidate indexes on');
  });

  it('a saved plan (JSON) without --query', async () => {
    const file = join(scratch, 'only-plan.json');
    writeFileSync(file, JSON.stringify((await admin.query(`EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1`)).rows[0]['QUERY PLAN']));
    const run = await advise(['--file', file]);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr.trim().split('\n')).toEqual([
      `perfbench: --file ${file} holds a saved plan (EXPLAIN JSON), which cannot be measured: a plan is not a statement to run — pass --query with the statement it is the plan of (its candidates are then measured too), or a --file that holds the SQL`,
    ]);
  });

  it('DDL in a --file, and a --param count that does not match it', async () => {
    const ddl = join(scratch, 'ddl.sql');
    writeFileSync(ddl, `DROP TABLE ${LINES};`);
    const dropped = await advise(['--file', ddl]);
    expect(dropped.code).toBe(ExitCode.usage);
    expect(dropped.stderr).toContain(`--file ${ddl} is a DROP statement`);
    const params = join(scratch, 'params.sql');
    writeFileSync(params, `SELECT id FROM ${LINES} WHERE id = $1`);
    expect((await advise(['--file', params])).stderr).toContain(`--file ${params} uses $1 but 0 --param values were given`);
  });
});

describe('explain --advise leaves the database as found', () => {
  it('a candidate whose build fails (a box has no B-tree operator class) is reported; the others are measured', async () => {
    const run = await advise(['--query', `SELECT id FROM ${LINES} WHERE shape = box '((1,1),(0,0))' AND "select" = 5`, '--format', 'json']);
    expect(run.code).toBe(0);
    const failed = run.json.candidates.filter((c: { state: string }) => c.state === 'failed');
    expect(failed.map((c: { description: string }) => c.description)).toEqual(expect.arrayContaining([`${S}."Order Lines" (shape)`]));
    expect(failed[0].failure).toEqual({ stage: 'build', message: expect.stringContaining('the build failed: PostgreSQL error 42704: data type box has no default operator class for access method "btree"') });
    expect(run.json.candidates.some((c: { state: string; description: string }) => c.state === 'measured' && c.description === `${S}."Order Lines" ("select")`)).toBe(true);
    expect(run.stderr).toContain(`candidate ${S}."Order Lines" (shape) was not measured`);
  });

  it('a build that cannot take its SHARE lock within 5 s (an open write) gives up instead of queueing writes behind it', async () => {
    const writer = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(`UPDATE ${LINES} SET amount = amount WHERE id = 1`);
      const run = await advise(['--query', `SELECT id FROM ${LINES} WHERE "select" = 17`, '--max-candidates', '1', '--format', 'json']);
      expect(run.code).toBe(0);
      expect(run.json).toMatchObject({ verdict: 'no-index-helps', winner: null });
      expect(run.json.candidates[0].failure).toEqual({
        stage: 'build', message: 'the build could not take its SHARE lock within 5 s (another session writes to the table); nothing was built',
      });
    } finally {
      await writer.query('ROLLBACK');
      await writer.end();
    }
  });

  /** A query whose every run sleeps 0.3 s in an InitPlan, so a candidate is being measured for a while. */
  const SLOW = `SELECT (SELECT pg_sleep(0.3)) AS nap, id FROM ${LINES} WHERE "select" = 13`;

  /** The backend holding a SHARE lock on "Order Lines": a candidate being built or measured. */
  async function candidateHolder(): Promise<number | null> {
    const result = await admin.query(`SELECT l.pid FROM pg_locks l WHERE l.relation = to_regclass($1) AND l.mode = 'ShareLock' AND l.granted AND l.pid <> pg_backend_pid()`, [LINES]);
    return result.rows[0]?.pid ?? null;
  }

  it('a connection killed mid-candidate: exit 1, and no index is left', async () => {
    const before = await indexList();
    const running = cli(['explain', '--advise', '--query', SLOW, '--timeout', '60000']);
    let holder: number | null = null;
    await vi.waitFor(async () => {
      holder = await candidateHolder();
      expect(holder).not.toBeNull();
    }, { timeout: 30_000, interval: 20 });
    await admin.query('SELECT pg_terminate_backend($1)', [holder]);
    const run = await running;
    expect(run.code).toBe(ExitCode.failure);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^perfbench: /);
    expect(await indexList()).toEqual(before);
  });

  it('Ctrl-C mid-candidate: both connections stop, everything is rolled back, exit 130', async () => {
    const before = await indexList();
    const controller = new AbortController();
    const runtime = testRuntime({}, controller.signal);
    const running = explainAdvise(runtime, request({ query: `${SLOW} /* advise_ctrl_c_${process.pid} */` })).then(() => undefined, (e: unknown) => e);
    await vi.waitFor(async () => expect(await candidateHolder()).not.toBeNull(), { timeout: 30_000, interval: 20 });
    controller.abort();
    const error = (await running) as UserError;
    await runtime.close();
    expect(error).toBeInstanceOf(UserError);
    expect(error.exitCode).toBe(ExitCode.interrupted);
    expect(error.line).toBe('interrupted: explain --advise stopped; the transaction was rolled back, nothing was changed');
    expect(await indexList()).toEqual(before);
    const active = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`, [`%advise_ctrl_c_${process.pid}%`]);
    expect(active.rows[0].n).toBe(0);
  });
});
