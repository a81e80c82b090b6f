/**
 * A schema perfbench did not create, with names that need quoting (mixed case, spaces, a reserved
 * word, a schema of their own) and filter columns of every indexable type: index, explain (and its
 * printed advice, run as printed), bench and serve must all take them as PostgreSQL would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { cli } from '../support/cli.js';
import { TEST_DATABASE_URL, withRuntime } from '../support/services.js';
import { reportKey } from '../../src/cache/report-cache.js';
import { columnValues, eachWorkloadBody } from '../../src/db/bench-queries.js';
import { builtinReportWorkload, runWorkload } from '../../src/db/report.js';
import { startServe } from '../../src/usecases/report-server.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';

const suffix = `${process.pid}_${Date.now().toString(36)}`;
/** A schema whose name keeps its capitals only when quoted. */
const SCHEMA = `Sales_${suffix}`;
const TABLE = `"${SCHEMA}"."Order Items"`;
/** The same table name unquoted in another schema: advice must not build on the wrong one. */
const OTHER_SCHEMA = `pbt_analytics_${suffix}`;

/** Filter columns as a user would name them, with their types. */
const COLUMNS: Array<[flag: string, type: string]> = [
  ['"Customer Id"', 'integer'],
  ['big', 'bigint'],
  ['amount', 'numeric'],
  ['ref', 'uuid'],
  ['day', 'date'],
  ['"At"', 'timestamp with time zone'],
  ['"select"', 'text'],
  ['label', 'character varying(20)'],
  ['"Tier"', `"${SCHEMA}".tier`],
  ['flag', 'boolean'],
];

let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${SCHEMA}"`);
  await admin.query(`CREATE TYPE "${SCHEMA}".tier AS ENUM ('bronze', 'silver', 'gold')`);
  await admin.query(`CREATE TABLE ${TABLE} (id bigint PRIMARY KEY, name text, category text, price numeric(10,2), created_at timestamptz,
    "Customer Id" integer, big bigint, amount numeric, ref uuid, day date, "At" timestamptz, "select" text, label varchar(20),
    "Tier" "${SCHEMA}".tier, flag boolean)`);
  await admin.query(`INSERT INTO ${TABLE}
    SELECT g, 'item ' || g, 'c' || (g % 7), (g % 500) / 3.0, timestamptz '2024-01-01' + g * interval '1 minute',
      g % 50, (g % 40) * 10000000000, (g % 30) / 4.0, md5((g % 25)::text)::uuid, date '2024-01-01' + (g % 20),
      timestamptz '2024-01-01' + (g % 15) * interval '1 hour', 'it''s: ' || (g % 12), 'L:' || (g % 10),
      (ARRAY['bronze', 'silver', 'gold'])[1 + g % 3]::"${SCHEMA}".tier, g % 2 = 0
    FROM generate_series(1, 20000) g`);
  await admin.query(`ANALYZE ${TABLE}`);
  // Two tables called events: one in a schema of its own (read by the query), one in public.
  await admin.query(`CREATE SCHEMA ${OTHER_SCHEMA}`);
  await admin.query(`CREATE TABLE ${OTHER_SCHEMA}."Events" (id int, "Kind" text, payload text)`);
  await admin.query(`INSERT INTO ${OTHER_SCHEMA}."Events" SELECT g, 'k' || (g % 100), repeat('x', 60) FROM generate_series(1, 30000) g`);
  await admin.query(`ANALYZE ${OTHER_SCHEMA}."Events"`);
  await admin.query(`CREATE TABLE IF NOT EXISTS public."Events" (id int, "Kind" text)`);
});

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await admin.query(`DROP SCHEMA IF EXISTS ${OTHER_SCHEMA} CASCADE`);
  await admin.query('DROP TABLE IF EXISTS public."Events"');
  await admin.end();
});

async function indexesOf(schema: string, table: string): Promise<string[]> {
  const result = await admin.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY 1', [schema, table]);
  return result.rows.map((row) => row.indexname as string);
}

/** Splits a printed command line the way a POSIX shell does for the quoting perfbench prints ('…' and bare words). */
function shellSplit(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)) words.push(match[1] !== undefined ? match[1].replace(/'\\''/g, "'") : match[2]!);
  return words;
}

describe('a schema that looks nothing like products', () => {
  it('index add, list and drop take quoted, schema-qualified names, and the index lands in that schema', async () => {
    const add = await cli(['index', 'add', '--table', TABLE, '--column', '"Customer Id"']);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(await indexesOf(SCHEMA, 'Order Items')).toContain('Order Items_Customer Id_btree_pb');
    const list = await cli(['index', 'list', '--table', TABLE]);
    expect(list.stdout).toContain('Customer Id');
    const drop = await cli(['index', 'drop', '--table', TABLE, '--column', '"Customer Id"']);
    expect(drop.code).toBe(0);
    expect(await indexesOf(SCHEMA, 'Order Items')).toEqual(['Order Items_pkey']);
  });

  it.each([
    [`${SCHEMA.toLowerCase()}."Order Items"`, '--column', '"Customer Id"', `--table '"${SCHEMA}"."Order Items"'`],
    [TABLE, '--column', 'tier', `--column '"Tier"'`],
    [TABLE, '--column', 'customer_id', 'pass --column with one of its columns'],
  ])('a name that misses says how to quote it: --table %s %s %s', async (table, flag, column, hint) => {
    const result = await cli(['index', 'add', '--table', table, flag, column]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(hint);
  });

  it('explain advises an index on the table the query read, schema-qualified, and the advice runs as printed', async () => {
    const query = `SELECT * FROM ${OTHER_SCHEMA}."Events" WHERE "Kind" = 'k5'`;
    const explained = await cli(['explain', '--query', query]);
    expect(explained.code).toBe(0);
    const advice = explained.stdout.split('\n').find((line) => line.includes('perfbench index add'));
    expect(advice).toBeDefined();
    const command = advice!.slice(advice!.indexOf('perfbench index add'));
    expect(command).toBe(`perfbench index add --table '${OTHER_SCHEMA}."Events"' --column '"Kind"'`);
    const ran = await cli(shellSplit(command).slice(1));
    expect(ran.code).toBe(0);
    expect(await indexesOf(OTHER_SCHEMA, 'Events')).toHaveLength(1);
    expect(await indexesOf('public', 'Events')).toEqual([]);
    expect((await cli(['index', 'drop', '--table', `${OTHER_SCHEMA}."Events"`, '--column', '"Kind"'])).code).toBe(0);
  });

  it('explain runs the report on a quoted table with an integer filter column', async () => {
    const result = await cli(['explain', '--table', TABLE, '--column', '"Customer Id"', '--category', '7', '--format', 'json']);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).source).toMatchObject({ kind: 'report', column: '"Customer Id"', category: '7' });
  });

  it.each(COLUMNS)('bench times every path on a %s (%s) filter column, and leaves the indexes as found', async (column) => {
    const before = await indexesOf(SCHEMA, 'Order Items');
    const result = await cli(['bench', '--table', TABLE, '--column', column, '--paths', 'seq,index,cache,miss',
      '--iterations', '30', '--warmup', '0', '--trials', '1', '--format', 'json']);
    expect(result.stderr).not.toContain('failed');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    for (const path of json.paths) expect({ path: path.name, errors: path.errors, ops: path.ops }).toEqual({ path: path.name, errors: 0, ops: 30 });
    expect(json.paths.find((p: { name: string }) => p.name === 'index').plan.usesIndex).toBe(true);
    expect(json.paths.find((p: { name: string }) => p.name === 'seq').plan.usesIndex).toBe(false);
    if (column === '"Customer Id"') {
      expect(json.environment.datasetInfo).toEqual({
        table: TABLE, column, rows: 20_000, rowsExact: false, distinctValues: 50, valuesCapped: false, rowsPerValue: 20_000 / 50,
        fingerprint: json.environment.dataset, seededByPerfbench: false, isDefaultDataset: false,
      });
    }
    expect(await indexesOf(SCHEMA, 'Order Items')).toEqual(before);
  });

  it('serve answers on an integer column: rows for a value, 400 for one that does not fit, and a hint with a real value', async () => {
    await withRuntime(async (runtime) => {
      const running = await startServe(runtime, {
        port: 0, host: '127.0.0.1', table: tableIdentifier(TABLE), column: columnIdentifier('"Customer Id"'), ttlSeconds: 60, poolSize: 2,
      });
      const get = async (path: string) => {
        const response = await fetch(`${running.url}${path}`);
        return { status: response.status, body: await response.text(), cache: response.headers.get('x-cache') };
      };
      const miss = await get('/report/fast?category=7');
      expect(miss).toMatchObject({ status: 200, cache: 'MISS' });
      expect(JSON.parse(miss.body).count).toBe(400);
      expect(await get('/report/fast?category=7')).toMatchObject({ status: 200, cache: 'HIT', body: miss.body });
      expect((await get('/report/slow?category=7')).body).toBe(miss.body);
      const bad = await get('/report/fast?category=seven');
      expect(bad.status).toBe(400);
      expect(bad.body).toContain('does not fit the filter column');
      const missing = await get('/report/fast');
      expect(missing.status).toBe(400);
      expect(missing.body).toContain(`e.g. ?category=${running.exampleCategory}`);
      expect(running.exampleCategory).toBe('0');
      await (await runtime.cache()).deletePrefix(reportKey(running.namespace, ''));
    });
  });
});

describe('filter values that compare equal but print differently', () => {
  /** numeric 1.0 = 1.00 = 1.000 and citext 'Gold' = 'gold': the report query matches them all by `=`. */
  const EQUALS = `"${SCHEMA}"."Equal Values"`;

  beforeAll(async () => {
    await admin.query('CREATE EXTENSION IF NOT EXISTS citext');
    await admin.query(`CREATE TABLE ${EQUALS} (id int PRIMARY KEY, name text, category text, price numeric(10,2), created_at timestamptz,
      "Weight kg" numeric, "Grade" citext)`);
    await admin.query(`INSERT INTO ${EQUALS} VALUES
      (1, 'a', 'x', 1, '2024-01-01', 1.0, 'Gold'), (2, 'b', 'x', 2, '2024-01-02', 1.00, 'gold'), (3, 'c', 'y', 3, '2024-01-03', 2.5, 'GOLD'),
      (4, 'd', 'y', 4, '2024-01-04', 1.000, 'silver'), (5, 'e', 'z', 5, '2024-01-05', 2.50, 'Silver'), (6, 'f', 'z', 6, '2024-01-06', 3, 'bronze')`);
  });

  it.each([['"Weight kg"', 6], ['"Grade"', 6]])('the cache fill gives each value of %s the body the report query gives it', async (column, distinctTexts) => {
    const workload = builtinReportWorkload({ table: tableIdentifier(EQUALS), column: columnIdentifier(column) });
    const values = await columnValues(admin, workload.filter, 100);
    // Every printed form is a value of its own (as bench draws them), though several are equal.
    expect(values).toHaveLength(distinctTexts);
    const filled = new Map<string, string>();
    await eachWorkloadBody(admin, workload, values, (value, body) => filled.set(value, body.toString()));
    for (const value of values) {
      const direct = workload.body(value, (await runWorkload(admin, workload, value)).rows).toString();
      expect({ value, body: filled.get(value) }).toEqual({ value, body: direct });
    }
    // The equal forms share their rows: 1.0, 1.00 and 1.000 are three rows each; Gold, gold and GOLD too.
    expect(JSON.parse(filled.get(values[0]!)!).count).toBe(3);
  });
});

