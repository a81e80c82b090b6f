/**
 * Hostile values in every place a user's text reaches SQL: --category, --param, --query, --table,
 * --column, --name, and the HTTP query string of `serve`. Values are parameters or refused; the
 * tables are verified intact afterwards (row count and a checksum over every row, indexes, the
 * dataset record), and a canary table named in the payloads survives too.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportKey } from '../../src/cache/report-cache.js';
import { seed } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { startServe, type RunningServe } from '../../src/usecases/report-server.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { ExitCode } from '../../src/errors.js';
import { cli } from '../support/cli.js';
import { fetchRaw, json } from './serve-helpers.js';
import { TEST_DATABASE_URL, dropSeededTable, testRuntime, uniqueTable, withRuntime } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const table = uniqueTable('inject');
const canary = uniqueTable('inject_canary');

/** Values an attacker or a careless paste might send, each aimed at this file's tables. */
const HOSTILE = [
  `'; DROP TABLE ${table}; --`,
  `cat-001' OR '1'='1`,
  `cat-001'); DELETE FROM ${canary}; --`,
  `"; DROP TABLE ${canary}; --`,
  `\\'; TRUNCATE ${table}; --`,
  'back\\slash\\\\',
  '$$; DROP TABLE products; $$',
  '%_*?[]{}',
  'cat-001\u2028\u{1F600}',
  'x'.repeat(10_000),
];

async function state() {
  const rows = await admin.query(`SELECT count(*)::int AS n, md5(string_agg(md5(t::text), '' ORDER BY id)) AS sum FROM ${table} t`);
  const indexes = await admin.query('SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY 1', [table]);
  const dataset = await admin.query('SELECT fingerprint FROM perfbench_datasets WHERE table_name = $1', [table]);
  const canaryRows = await admin.query(`SELECT count(*)::int AS n FROM ${canary}`);
  return { count: rows.rows[0].n, checksum: rows.rows[0].sum, indexes: indexes.rows, fingerprint: dataset.rows[0]?.fingerprint, canary: canaryRows.rows[0].n };
}

let before: Awaited<ReturnType<typeof state>>;

beforeAll(async () => {
  await admin.connect();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '3000', categories: '10', distribution: 'uniform', seed: '8' })));
  await admin.query(`CREATE TABLE ${canary} (id int PRIMARY KEY, note text)`);
  await admin.query(`INSERT INTO ${canary} VALUES (1, 'still here')`);
  before = await state();
  expect(before.count).toBe(3000);
});
afterAll(async () => {
  await dropSeededTable(admin, table);
  await admin.query(`DROP TABLE IF EXISTS ${canary}`);
  await admin.end();
});

describe('injection through the command line', () => {
  it('--category and --param values are parameters: the plan runs, matches no row, and changes nothing', async () => {
    for (const value of HOSTILE) {
      const report = await cli(['explain', '--table', table, '--category', value, '--format', 'json']);
      expect(report.code, `--category ${value.slice(0, 40)}: ${report.stderr}`).toBe(ExitCode.ok);
      const document = JSON.parse(report.stdout) as { source: { category: string }; run: { writes: unknown[] } };
      expect(document.source.category).toBe(value);
      expect(document.run.writes).toEqual([]);

      const query = await cli(['explain', '--query', `SELECT count(*) FROM ${table} WHERE category = $1 OR name = $2`, '--param', value, '--param', value, '--format', 'json']);
      expect(query.code, `--param ${value.slice(0, 40)}: ${query.stderr}`).toBe(ExitCode.ok);
      expect((JSON.parse(query.stdout) as { source: { params: string[] } }).source.params).toEqual([value, value]);
    }
    expect(await state()).toEqual(before);
  });

  it('--table, --column and --query values that are not plain names or one statement are refused before connecting', async () => {
    for (const value of HOSTILE.slice(0, 7)) {
      for (const args of [
        ['seed', '--table', value, '--rows', '10'],
        ['index', 'add', '--table', table, '--column', value],
        ['index', 'list', '--table', value],
        ['explain', '--table', value],
        ['explain', '--table', table, '--column', value],
        ['bench', '--table', value],
        ['bench', '--table', table, '--column', value],
        ['serve', '--table', value],
        ['doctor', '--table', value],
      ]) {
        const result = await cli(args);
        expect(result.code, `${args.join(' ').slice(0, 80)}: ${result.stderr}`).toBe(ExitCode.usage);
        expect(result.stderr).toMatch(/^perfbench: --(table|column) '.*' is not a valid (table|column) name — /);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
      }
    }
    const statements = [
      `SELECT 1; DROP TABLE ${table}`,
      `SELECT 1 /* ; */; DELETE FROM ${canary}`,
      `DROP TABLE ${canary}`,
      `TRUNCATE ${table}`,
      `COMMIT; DROP TABLE ${table}`,
      `ALTER TABLE ${table} RENAME TO x`,
      `CREATE INDEX ON ${table} (name)`,
    ];
    for (const statement of statements) {
      const result = await cli(['explain', '--query', statement]);
      expect(result.code, statement).toBe(ExitCode.usage);
      expect(result.stderr).toMatch(/^perfbench: --query (holds more than one statement|is an? \w+ statement)/);
    }
    expect(await state()).toEqual(before);
  });

  it('a write in --query runs only inside the rolled-back transaction', async () => {
    const result = await cli(['explain', '--query', `DELETE FROM ${table} WHERE category <> $1`, '--param', "'; DROP TABLE x; --", '--format', 'json']);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    const document = JSON.parse(result.stdout) as { run: { rolledBack: boolean; writes: Array<{ operation: string; rows: number }> } };
    expect(document.run.rolledBack).toBe(true);
    expect(document.run.writes).toEqual([expect.objectContaining({ operation: 'Delete', rows: 3000 })]);
    expect(await state()).toEqual(before);
  });

  it('--name of index drop is compared with the catalog, never put into SQL', async () => {
    for (const value of HOSTILE) {
      const result = await cli(['index', 'drop', '--table', table, '--name', value, '--force']);
      expect(result.code).toBe(ExitCode.ok);
      expect(result.stdout).toMatch(/^no index .* to drop; nothing to do\n$/);
      expect(result.stdout.length).toBeLessThan(200);
    }
    expect(await state()).toEqual(before);
  });
});

describe('injection through the HTTP query string of serve', () => {
  it('answers hostile categories with an empty report or a 4xx, and changes nothing', async () => {
    const runtime = testRuntime();
    let running: RunningServe | undefined;
    try {
      running = await startServe(runtime, { port: 0, host: '127.0.0.1', table: tableIdentifier(table), column: columnIdentifier('category'), ttlSeconds: 60, poolSize: 2 });
      for (const value of HOSTILE) {
        for (const route of ['slow', 'fast']) {
          const reply = await fetchRaw(`${running.url}/report/${route}?category=${encodeURIComponent(value)}`);
          if (value.length > 128) {
            // Too long for the URL bound (414) or the category bound (400): refused before any query.
            expect([400, 414], `${route} ${value.slice(0, 20)}…`).toContain(reply.status);
          } else {
            expect(reply.status, `${route} ${value}`).toBe(200);
            expect(json(reply)).toEqual({ category: value, count: 0, products: [] });
          }
        }
      }
      // Bytes PostgreSQL text cannot hold, or that are not text at all, are refused with 400.
      for (const raw of ['%00', 'a%00b', '%FF%FE', '%0Across', '%1b%5b31m']) {
        const reply = await fetchRaw(`${running.url}/report/fast?category=${raw}`);
        expect(reply.status, raw).toBe(400);
        expect(json(reply)).toMatchObject({ status: 400, error: expect.stringMatching(/category/) });
      }
      const repeated = await fetchRaw(`${running.url}/report/fast?category=cat-1&category=${encodeURIComponent(HOSTILE[0]!)}`);
      expect(repeated.status).toBe(400);
      // A real category still works after all that.
      const real = await fetchRaw(`${running.url}/report/fast?category=cat-1`);
      expect(real.status).toBe(200);
      expect((json(real) as { count: number }).count).toBeGreaterThan(0);
    } finally {
      try {
        // The fast route cached every category it answered: the keys go with the test.
        if (running) await (await runtime.cache()).deletePrefix(reportKey(running.namespace, ''));
      } finally {
        await runtime.close();
      }
    }
    expect(await state()).toEqual(before);
  });
});
