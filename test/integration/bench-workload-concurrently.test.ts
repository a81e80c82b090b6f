/**
 * bench --workload's index=EXPR path with --concurrently, on real PostgreSQL (issue 11, item 4: "a
 * candidate index, created for the run (CONCURRENTLY if asked) and dropped afterwards"), on a table
 * with quoted, mixed-case names: the candidate is built and dropped CONCURRENTLY around each run and
 * is gone afterwards with its record; a bad expression is one line (exit 2) before anything is
 * built; a concurrent build that fails half-way (cancelled while it waits for a writer) leaves no
 * INVALID index and no record; and the INVALID index of a crashed run's unfinished concurrent build
 * is removed by the next run, which says so.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordIntent } from '../../src/db/runs.js';
import { benchOptions, type BenchFlags } from '../../src/flags/bench-flags.js';
import { candidateIndex } from '../../src/flags/workload-flags.js';
import { foldTrials } from '../../src/measure/result.js';
import { bench } from '../../src/usecases/bench.js';
import { newRunOwner } from '../../src/usecases/table-lease.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { cli } from '../support/cli.js';
import { eventually } from './serve-helpers.js';
import { TEST_DATABASE_URL, testRuntime } from '../support/services.js';

const SCHEMA = `Ledger_${process.pid}_${Date.now().toString(36)}`;
const TABLE = `"${SCHEMA}"."Order Items"`;
const EXPRESSION = `${TABLE}("Customer Id")`;
const dir = mkdtempSync(join(tmpdir(), 'perfbench-concurrently-'));
const file = join(dir, 'by-customer.sql');
const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const { name: INDEX } = candidateIndex(EXPRESSION);

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${SCHEMA}"`);
  await admin.query(`CREATE TABLE ${TABLE} (id bigint PRIMARY KEY, "Customer Id" integer, amount numeric)`);
  await admin.query(`INSERT INTO ${TABLE} SELECT g, g % 500, g % 97 FROM generate_series(1, 50000) g`);
  await admin.query(`ANALYZE ${TABLE}`);
  writeFileSync(file, `\\pb_from cid ${TABLE}."Customer Id"\n-- name: by_customer\nSELECT count(*), sum(amount) FROM ${TABLE} WHERE "Customer Id" = :cid;\n`);
});

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await admin.query('DELETE FROM perfbench_runs WHERE table_key LIKE $1', [`${SCHEMA}.%`]).catch(() => undefined);
  await admin.query('DELETE FROM perfbench_index_intents WHERE index_schema = $1', [SCHEMA]).catch(() => undefined);
  await admin.end();
});

/** The schema's indexes other than the primary key, with whether each is valid, and its records. */
async function leftovers(): Promise<{ indexes: string[]; intents: string[] }> {
  const indexes = await admin.query(`SELECT c.relname || CASE WHEN x.indisvalid THEN '' ELSE ' (INVALID)' END AS name
    FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = $1 AND NOT x.indisprimary ORDER BY 1`, [SCHEMA]);
  const intents = await admin.query('SELECT index_name FROM perfbench_index_intents WHERE index_schema = $1', [SCHEMA]).catch(() => ({ rows: [] }));
  return { indexes: indexes.rows.map((r) => r.name), intents: intents.rows.map((r) => r.index_name) };
}

function options(extra: Partial<BenchFlags> = {}) {
  return benchOptions({ workload: [file], paths: `as-is,index=${EXPRESSION}`, concurrently: true, iterations: '100', warmup: '0', trials: '2', ...extra });
}

/** A session that has written to the table and not committed: CREATE INDEX CONCURRENTLY waits for it after creating its (INVALID) index. */
async function openWriter(): Promise<pg.Client> {
  const writer = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await writer.connect();
  await writer.query('BEGIN');
  await writer.query(`UPDATE ${TABLE} SET amount = amount WHERE id = 1`);
  return writer;
}

/** The backend running a CREATE INDEX CONCURRENTLY on the table that waits for a lock. */
async function waitingBuild(): Promise<number> {
  return eventually('a CREATE INDEX CONCURRENTLY waiting for the writer', async () => {
    const rows = await admin.query("SELECT pid FROM pg_stat_activity WHERE query LIKE '%CREATE INDEX CONCURRENTLY%' AND query LIKE $1 AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'", [`%${SCHEMA}%`]);
    return rows.rows[0]?.pid as number | undefined;
  });
}

describe('bench --workload --concurrently', () => {
  it('builds and drops the candidate CONCURRENTLY around each run: it serves the statement, then it and its record are gone', async () => {
    const runtime = testRuntime();
    let outcome;
    try {
      outcome = await bench(runtime, options());
    } finally {
      await runtime.close();
    }
    const paths = new Map(foldTrials(outcome.result.paths).map((p) => [p.name, p]));
    const indexPath = paths.get(`index=${EXPRESSION}`)!;
    expect(indexPath.ops).toBe(200);
    expect(indexPath.errors).toBe(0);
    expect(indexPath.flags ?? []).not.toContain('plan-mismatch');
    expect(indexPath.plan!.indexes).toContain(INDEX);
    expect(await leftovers()).toEqual({ indexes: [], intents: [] });
  }, 120_000);

  it('a bad expression is one line and exit 2, before anything is built; --concurrently without an index= path too', async () => {
    const bad = await cli(['bench', '--workload', file, '--paths', `as-is,index=${TABLE}("No Such Column")`, '--concurrently', '--iterations', '10']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain(`--paths index=${TABLE}("No Such Column")`);
    expect(bad.stderr).toContain('No Such Column');
    const noPath = await cli(['bench', '--workload', file, '--paths', 'as-is', '--concurrently']);
    expect(noPath.code).toBe(2);
    expect(noPath.stderr).toContain('--concurrently applies to the index=TABLE(COLUMN) paths');
    expect(await leftovers()).toEqual({ indexes: [], intents: [] });
  });

  it('a concurrent build that fails half-way (cancelled while it waits for a writer) leaves no INVALID index and no record, in one line', async () => {
    const writer = await openWriter();
    try {
      const runtime = testRuntime();
      const running = bench(runtime, options({ paths: `index=${EXPRESSION}` })).finally(() => runtime.close());
      const pid = await waitingBuild();
      // Half-way: the INVALID index is in the catalog, and recorded as this run's.
      expect(await leftovers()).toEqual({ indexes: [`${INDEX} (INVALID)`], intents: [INDEX] });
      await admin.query('SELECT pg_cancel_backend($1)', [pid]);
      // Dropping the INVALID index waits for the writer too (as any DROP INDEX does): let it finish.
      await writer.query('ROLLBACK');
      // The path's setup failed (the run goes on with its other paths and exits 1): one line says why.
      const outcome = await running;
      const path = outcome.result.paths.find((p) => p.name === `index=${EXPRESSION}`)!;
      expect(path.flags).toContain('setup-failed');
      expect(path.firstError).toMatch(/^setup: the index=.* path could not build its candidate index CONCURRENTLY: PostgreSQL error 57014: canceling statement due to user request; nothing was left behind$/);
    } finally {
      await writer.query('ROLLBACK').catch(() => undefined);
      await writer.end();
    }
    expect(await leftovers()).toEqual({ indexes: [], intents: [] });
  }, 60_000);

  it("a crashed run's INVALID index (its concurrent build never finished, its owner gone) is removed by the next run, which says so", async () => {
    const writer = await openWriter();
    const crashed = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await crashed.connect();
    try {
      // What a bench killed mid-build leaves: the record (owner: that session) and the INVALID index.
      const table = tableIdentifier(`"${SCHEMA}"."Order Items"`);
      expect(await recordIntent(crashed, { table, index: INDEX, column: columnIdentifier('"Customer Id"'), disposition: 'run', owner: newRunOwner('bench') })).toBe(SCHEMA);
      const build = crashed.query(`CREATE INDEX CONCURRENTLY "${INDEX}" ON ${TABLE} ("Customer Id")`).catch(() => undefined);
      await admin.query('SELECT pg_cancel_backend($1)', [await waitingBuild()]);
      await build;
    } finally {
      await writer.query('ROLLBACK');
      await writer.end();
      await crashed.end();
    }
    expect(await leftovers()).toEqual({ indexes: [`${INDEX} (INVALID)`], intents: [INDEX] });

    const runtime = testRuntime();
    try {
      const outcome = await bench(runtime, options({ trials: '1' }));
      expect(foldTrials(outcome.result.paths).find((p) => p.name === `index=${EXPRESSION}`)!.errors).toBe(0);
    } finally {
      await runtime.close();
    }
    expect(runtime.out.stderr).toContain(`removed index ${INDEX} on ${TABLE}: a perfbench bench made it for its run and ended without dropping it`);
    expect(await leftovers()).toEqual({ indexes: [], intents: [] });
  }, 120_000);
});
