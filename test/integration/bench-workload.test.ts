/**
 * bench --workload / --builtin against a real PostgreSQL (issue 11, items 3 and 4): pgbench's own
 * select-only and tpcb-like scripts on tables made by `pgbench -i -s 1`, a user script with \pb_from
 * on a schema with quoted, mixed-case names through every path (the candidate index created and
 * dropped), a serialization failure retried under --max-tries, failures counted by SQLSTATE, and
 * the same values on every path.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchOptions, type BenchFlags } from '../../src/flags/bench-flags.js';
import { foldTrials, mergeResults, validateResult, type PathResult } from '../../src/measure/result.js';
import { renderReport } from '../../src/report/bench-report.js';
import { reportKey } from '../../src/cache/report-cache.js';
import { bench, type BenchOutcome } from '../../src/usecases/bench.js';
import { startWorkloadServe } from '../../src/usecases/workload-server.js';
import { dropPgbenchTables, scriptWriter, takePgbenchTables } from '../support/pgbench.js';
import { TEST_DATABASE_URL, withRuntime } from '../support/services.js';

const suffix = `${process.pid}_${Date.now().toString(36)}`;
const SCHEMA = `Sales_${suffix}`;
const TABLE = `"${SCHEMA}"."Order Items"`;
const script = scriptWriter('perfbench-workload-');
let admin: pg.Client;
/** pgbench's tables were there before this file ran (then they stay, remade by pgbench -i). */
let hadPgbenchTables = false;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  // pgbench's own tables, made by pgbench itself (scale 1: 1 branch, 10 tellers, 100,000 accounts).
  hadPgbenchTables = await takePgbenchTables(admin, TEST_DATABASE_URL);
  await admin.query(`CREATE SCHEMA "${SCHEMA}"`);
  await admin.query(`CREATE TABLE ${TABLE} (id bigint PRIMARY KEY, "Customer Id" integer, amount numeric)`);
  await admin.query(`INSERT INTO ${TABLE} SELECT g, g % 500, g % 97 FROM generate_series(1, 50000) g`);
  await admin.query(`ANALYZE ${TABLE}`);
  await admin.query(`CREATE TABLE "${SCHEMA}".counter (id int PRIMARY KEY, v bigint)`);
  await admin.query(`INSERT INTO "${SCHEMA}".counter VALUES (1, 0)`);
}, 60_000);

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  if (!hadPgbenchTables) await dropPgbenchTables(admin);
  await admin.end();
});

/** Runs bench with these flags (200 iterations, no warm-up, one trial unless given) and the onStep hook. */
async function run(flags: BenchFlags, onStep?: (path: string, i: number, values: readonly string[]) => void): Promise<BenchOutcome> {
  const options = benchOptions({ iterations: '200', warmup: '0', trials: '1', ...flags });
  return withRuntime((runtime) => bench(runtime, options, onStep ? { onStep: (path, i, _statement, values) => onStep(path, i, values) } : {}));
}

const byName = (paths: readonly PathResult[]): Map<string, PathResult> => new Map(foldTrials(paths).map((p) => [p.name, p]));

describe('pgbench built-in scripts on tables made by pgbench -i', () => {
  it('select-only through as-is, no-index and cache: every operation, per-statement counts, tps, the plans as named', async () => {
    const outcome = await run({ builtin: ['select-only'] });
    const paths = byName(outcome.result.paths);
    expect([...paths.keys()]).toEqual(['as-is', 'no-index', 'cache']);
    for (const p of paths.values()) {
      expect(p.ops).toBe(200);
      expect(p.errors).toBe(0);
      expect(p.throughputOpsPerSec).toBeGreaterThan(0);
      expect(p.statements).toHaveLength(1);
      expect(p.statements![0]).toMatchObject({ script: 'select-only', name: 'select-only#1', access: 'read', ops: 200, errors: 0 });
      expect(p.statements![0]!.summary.count).toBe(200);
      expect(p.scripts).toEqual([{ name: 'select-only', ops: 200, errors: 0 }]);
      expect(p.failures).toEqual({});
      expect(p.retries).toBe(0);
      expect(p.flags ?? []).not.toContain('plan-mismatch');
    }
    expect(paths.get('as-is')!.plan!.usesIndex).toBe(true);
    expect(paths.get('no-index')!.plan!.usesIndex).toBe(false);
    const cache = paths.get('cache')!;
    expect(cache.cacheHits! + cache.cacheMisses!).toBe(200);
    // Speed-ups against no-index.
    expect(outcome.comparisons.map((c) => `${c.path}/${c.baseline}`)).toEqual(['as-is/no-index', 'cache/no-index', 'cache/as-is']);
    // The report shows the statement table and the result file holds it (validated, and merged by adding histograms).
    const text = renderReport('table', outcome);
    expect(text).toContain('Statements');
    expect(text).toMatch(/as-is \(concurrency 1\): tps [\d,.]+ · no failures · 0 retries/);
    const json = validateResult(JSON.parse(JSON.stringify(outcome.result)));
    const merged = mergeResults([json, json]);
    expect(byName(merged.paths).get('as-is')!.statements![0]!.ops).toBe(400);
    expect(byName(merged.paths).get('as-is')!.statements![0]!.summary.count).toBe(400);
    const csv = renderReport('csv', outcome);
    expect(csv).toContain('path,concurrency,trial,script,statement,line,access,ops,errors');
  }, 120_000);

  it('tpcb-like: no cache path, with the reason; its 7 statements each run once per operation', async () => {
    const outcome = await run({ builtin: ['tpcb-like'], iterations: '100' });
    const paths = byName(outcome.result.paths);
    expect([...paths.keys()]).toEqual(['as-is', 'no-index']);
    expect(outcome.result.notes?.join('\n')).toMatch(/no cache path: the workload writes \(tpcb-like#2, line \d+ of tpcb-like: UPDATE changes rows\)/);
    for (const p of paths.values()) {
      expect(p.ops).toBe(100);
      expect(p.errors).toBe(0);
      expect(p.statements).toHaveLength(7);
      for (const s of p.statements!) expect(s.ops).toBe(100);
    }
    // Asked for explicitly, the cache path is dropped with the same reason, as a warning.
    const asked = await run({ builtin: ['tpcb-like'], iterations: '20', paths: 'as-is,cache' });
    expect(foldTrials(asked.result.paths).map((p) => p.name)).toEqual(['as-is']);
    expect(asked.warnings.join('\n')).toContain('no cache path');
  }, 120_000);

  it('select-only over HTTP (--http): http-slow and http-fast send every execution to perfbench serve --workload, with as-is\'s values', async () => {
    const seen = new Map<string, string[]>();
    const outcome = await run({ builtin: ['select-only'], http: true, iterations: '100', paths: 'as-is,http-slow,http-fast' }, (path, i, values) => {
      const list = seen.get(path) ?? [];
      list[i] = values.join(',');
      seen.set(path, list);
    });
    const paths = byName(outcome.result.paths);
    expect([...paths.keys()]).toEqual(['as-is', 'http-slow', 'http-fast']);
    for (const p of paths.values()) {
      expect({ path: p.name, ops: p.ops, errors: p.errors }).toEqual({ path: p.name, ops: 100, errors: 0 });
      expect(p.statements![0]).toMatchObject({ name: 'select-only#1', ops: 100, errors: 0 });
    }
    expect(seen.get('http-slow')).toEqual(seen.get('as-is'));
    expect(seen.get('http-fast')).toEqual(seen.get('as-is'));
    // Every GET answered as its route promises: the slow one without a cache, the fast one a hit or a miss.
    expect(paths.get('http-slow')!.serverTiming!.xCache).toEqual({ BYPASS: 100 });
    const fast = paths.get('http-fast')!;
    expect(fast.cacheHits! + fast.cacheMisses!).toBe(100);
    expect((fast.serverTiming!.xCache.HIT ?? 0) + (fast.serverTiming!.xCache.MISS ?? 0)).toBe(100);
    expect(fast.serverTiming!.meanMs.total).toBeGreaterThan(0);
    expect(outcome.result.environment.httpServer).toBe('in-process');
    expect(outcome.comparisons.map((c) => `${c.path}/${c.baseline}`)).toContain('http-fast/http-slow');
    expect(renderReport('table', outcome)).toMatch(/http-fast +c=1: queue [\d.]+ · cache [\d.]+ · db [\d.]+ · total [\d.]+ ms; client mean [\d.]+ ms/);
  }, 120_000);

  it('select-only against perfbench serve --builtin select-only at a URL: its statement served as select-only#1, every GET answered', async () => {
    await withRuntime(async (runtime) => {
      const running = await startWorkloadServe(runtime, { scripts: [{ source: 'builtin', name: 'select-only', weight: 1 }], port: 0, host: '127.0.0.1', ttlSeconds: 60, poolSize: 2 });
      try {
        expect(running.statements.map((s) => s.name)).toEqual(['select-only#1']);
        const outcome = await run({ builtin: ['select-only'], http: running.url, iterations: '50', paths: 'http-slow,http-fast' });
        for (const p of byName(outcome.result.paths).values()) expect({ path: p.name, ops: p.ops, errors: p.errors }).toEqual({ path: p.name, ops: 50, errors: 0 });
        expect(running.server.counts).toMatchObject({ slow: 50, fast: 50, errors: 0 });
      } finally {
        await running.server.close();
        await (await runtime.cache()).deletePrefix(reportKey(running.namespace, ''));
      }
    });
  }, 60_000);

  it('tpcb-like with --http: no http paths, with the reason (a GET must not change data)', async () => {
    const outcome = await run({ builtin: ['tpcb-like'], http: true, iterations: '20' });
    expect(foldTrials(outcome.result.paths).map((p) => p.name)).toEqual(['as-is', 'no-index']);
    expect(outcome.result.notes?.join('\n')).toMatch(/no http paths: the workload writes \(tpcb-like#2, line \d+ of tpcb-like: UPDATE changes rows\)/);
  }, 120_000);
});

describe('a user script with \\pb_from on quoted, mixed-case names', () => {
  const text = [
    `\\pb_from cid "${SCHEMA}"."Order Items"."Customer Id" zipf 1.1`,
    '-- name: by_customer',
    `SELECT count(*), sum(amount) FROM "${SCHEMA}"."Order Items" WHERE "Customer Id" = :cid;`,
    '',
  ].join('\n');

  it('runs through as-is, no-index, index=EXPR and cache with the same values on every path; the candidate index is used, then gone', async () => {
    const file = script('orders.sql', text);
    const seen = new Map<string, string[]>();
    const outcome = await run({ workload: [file], paths: `as-is,no-index,index="${SCHEMA}"."Order Items"("Customer Id"),cache` }, (path, i, values) => {
      const list = seen.get(path) ?? [];
      list[i] = values.join(',');
      seen.set(path, list);
    });
    const paths = byName(outcome.result.paths);
    const indexPath = `index=${TABLE}("Customer Id")`;
    expect([...paths.keys()]).toEqual(['as-is', 'no-index', indexPath, 'cache']);
    for (const p of paths.values()) {
      expect(p.ops).toBe(200);
      expect(p.errors).toBe(0);
      expect(p.statements![0]).toMatchObject({ name: 'by_customer', line: 3, ops: 200 });
      expect(p.flags ?? []).not.toContain('plan-mismatch');
    }
    expect(paths.get(indexPath)!.plan!.usesIndex).toBe(true);
    expect(paths.get('as-is')!.plan!.usesIndex).toBe(false);
    // Determinism: operation i bound the same value on every path (the values are real customer ids).
    const lists = [...seen.values()];
    expect(lists).toHaveLength(4);
    for (const list of lists) expect(list).toEqual(lists[0]);
    expect(new Set(lists[0]).size).toBeGreaterThan(5);
    for (const value of lists[0]!) expect(Number(value)).toBeLessThan(500);
    // The candidate index lived only for its path's runs.
    const left = await admin.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [SCHEMA]);
    expect(left.rows.map((r: { indexname: string }) => r.indexname).filter((name) => name.startsWith('pbw_'))).toEqual([]);
  }, 120_000);

  it('runs over HTTP against a perfbench serve --workload at a URL, with the values of the other paths; a server without the statement is refused', async () => {
    const file = script('orders-http.sql', [
      `\\pb_from cid "${SCHEMA}"."Order Items"."Customer Id"`,
      '\\set n random(1, 3)',
      'BEGIN;',
      '-- name: by_customer',
      `SELECT count(*), sum(amount) FROM "${SCHEMA}"."Order Items" WHERE "Customer Id" = :cid;`,
      '-- name: top_items',
      `SELECT id, amount FROM "${SCHEMA}"."Order Items" WHERE "Customer Id" = :cid AND amount >= :n ORDER BY amount DESC, id LIMIT :n;`,
      'END;',
      '',
    ].join('\n'));
    await withRuntime(async (runtime) => {
      const running = await startWorkloadServe(runtime, { scripts: [{ source: 'file', path: file, weight: 1 }], port: 0, host: '127.0.0.1', ttlSeconds: 60, poolSize: 2 });
      try {
        const seen = new Map<string, string[]>();
        const outcome = await run({ workload: [file], http: running.url, paths: 'as-is,http-slow,http-fast', iterations: '60' }, (path, i, values) => {
          const list = seen.get(path) ?? [];
          list[i] = `${list[i] ?? ''}|${values.join(',')}`;
          seen.set(path, list);
        });
        const paths = byName(outcome.result.paths);
        for (const p of paths.values()) {
          expect({ path: p.name, ops: p.ops, errors: p.errors }).toEqual({ path: p.name, ops: 60, errors: 0 });
          expect(p.statements!.filter((st) => st.access === 'read').map((st) => st.ops)).toEqual([60, 60]);
        }
        expect(seen.get('http-slow')).toEqual(seen.get('as-is'));
        expect(seen.get('http-fast')).toEqual(seen.get('as-is'));
        // The server answered two GETs per execution on each route (BEGIN and END are not sent).
        expect(running.server.counts).toMatchObject({ slow: 120, fast: 120, errors: 0 });
        expect(outcome.result.environment.httpServer).toBe(running.url);
        const other = script('other.sql', `SELECT count(*) FROM "${SCHEMA}"."Order Items";\n`);
        await expect(run({ workload: [other], http: running.url, iterations: '5' })).rejects.toThrow(/does not serve other\.sql#1 \(it serves by_customer, top_items\)/);
        // Another version of the script, with the same names: refused, not timed.
        const edited = script('orders-http-edited.sql', readFileSync(file, 'utf8').replace('ORDER BY amount DESC, id', 'ORDER BY id'));
        await expect(run({ workload: [edited], http: running.url, iterations: '5' })).rejects.toThrow(/serves another statement under the name top_items \(its text or variables differ\)/);
      } finally {
        await running.server.close();
        await (await runtime.cache()).deletePrefix(reportKey(running.namespace, ''));
      }
    });
  }, 120_000);

  it('runs the same sequence again with the same seed, and another with another seed', async () => {
    const file = script('orders2.sql', text);
    const collect = async (seed: string): Promise<string[]> => {
      const values: string[] = [];
      await run({ workload: [file], paths: 'as-is', iterations: '50', seed }, (_path, i, v) => void (values[i] = v.join(',')));
      return values;
    };
    const first = await collect('3');
    expect(await collect('3')).toEqual(first);
    expect(await collect('4')).not.toEqual(first);
  }, 120_000);
});

describe('failures and retries', () => {
  const updater = () => script('counter.sql', [
    'BEGIN ISOLATION LEVEL REPEATABLE READ;',
    `SELECT v FROM "${SCHEMA}".counter WHERE id = 1;`,
    '\\sleep 2 ms',
    `UPDATE "${SCHEMA}".counter SET v = v + 1 WHERE id = 1;`,
    'END;',
    '',
  ].join('\n'));

  it('two concurrent updaters under REPEATABLE READ: serialization failures are retried (--max-tries) and counted', async () => {
    const outcome = await run({ workload: [updater()], paths: 'as-is', concurrency: '2', iterations: '100', maxTries: '1000' });
    const p = byName(outcome.result.paths).get('as-is')!;
    expect(p.retries).toBeGreaterThan(0);
    expect(p.errors).toBe(0);
    expect(p.ops).toBe(100);
    expect(p.failures).toEqual({});
  }, 120_000);

  it('without retries the same failures fail their operations, counted by SQLSTATE 40001', async () => {
    const outcome = await run({ workload: [updater()], paths: 'as-is', concurrency: '2', iterations: '100' });
    const p = byName(outcome.result.paths).get('as-is')!;
    expect(p.retries).toBe(0);
    expect(p.errors).toBeGreaterThan(0);
    expect(p.failures).toEqual({ '40001': p.errors });
  }, 120_000);

  it('a failing statement: failures by SQLSTATE, the statement\'s errors, and the operation count', async () => {
    const file = script('fails.sql', ['\\set k random(0, 1)', 'SELECT 10 / :k;', ''].join('\n'));
    const outcome = await run({ workload: [file], paths: 'as-is', iterations: '100' });
    const p = byName(outcome.result.paths).get('as-is')!;
    expect(p.errors).toBeGreaterThan(0);
    expect(p.ops + p.errors).toBe(100);
    expect(p.failures).toEqual({ '22012': p.errors });
    expect(p.statements![0]).toMatchObject({ ops: p.ops, errors: p.errors });
    expect(renderReport('table', outcome)).toMatch(/failures 22012 x\d+/);
  }, 120_000);
});

describe('bench --workload --workers 2: the executions of one thread, made by two, their figures added', () => {
  it('writes the same rows (values, \\pb_from draws and :client_id) as --workers 1, with the same failures by SQLSTATE and the same per-statement counts', async () => {
    const log = `"${SCHEMA}"."Worker Log"`;
    await admin.query(`CREATE TABLE ${log} (aid int, "Client" int, customer int)`);
    const file = script('workers.sql', [
      '\\set aid random(1, 100000)',
      `\\pb_from customer "${SCHEMA}"."Order Items"."Customer Id"`,
      `INSERT INTO ${log} VALUES (:aid, :client_id, :customer);`,
      // A quarter of the executions fail here (22012), after their INSERT committed.
      'SELECT 1 / (:aid % 4) AS "Ratio";',
      '',
    ].join('\n'));
    const rows = async () => (await admin.query(`SELECT aid, "Client", customer FROM ${log} ORDER BY 1, 2, 3`)).rows;
    const one = byName((await run({ workload: [file], paths: 'as-is', concurrency: '4' })).result.paths).get('as-is')!;
    const written = await rows();
    await admin.query(`TRUNCATE ${log}`);
    const two = byName((await run({ workload: [file], paths: 'as-is', concurrency: '4', workers: '2' })).result.paths).get('as-is')!;
    expect(await rows()).toEqual(written);
    expect(written).toHaveLength(200);
    expect(new Set(written.map((row) => row.Client))).toEqual(new Set([0, 1, 2, 3]));
    expect(two.workers).toBe(2);
    expect(two.concurrency).toBe(4);
    expect(one.failures!['22012']).toBeGreaterThan(0);
    expect(two.failures).toEqual(one.failures);
    expect([two.ops, two.errors]).toEqual([one.ops, one.errors]);
    const counts = (p: PathResult) => p.statements!.map((s) => [s.name, s.ops, s.errors, s.summary.count]);
    expect(counts(two)).toEqual(counts(one));
    expect(two.scripts).toEqual(one.scripts);
    expect(two.summary.count).toBe(two.ops);
  }, 120_000);

  it('an index= path: the process builds the candidate once around each run, both threads read through it, then it is gone', async () => {
    const file = script('workers-index.sql', [
      `\\pb_from cid "${SCHEMA}"."Order Items"."Customer Id"`,
      `SELECT count(*), sum(amount) FROM "${SCHEMA}"."Order Items" WHERE "Customer Id" = :cid;`,
      '',
    ].join('\n'));
    const outcome = await run({ workload: [file], paths: `as-is,index="${SCHEMA}"."Order Items"("Customer Id")`, concurrency: '2', workers: '2', trials: '2' });
    const paths = byName(outcome.result.paths);
    const indexPath = paths.get(`index=${TABLE}("Customer Id")`)!;
    expect(indexPath.workers).toBe(2);
    expect([indexPath.ops, indexPath.errors]).toEqual([400, 0]);
    expect(indexPath.plan!.usesIndex).toBe(true);
    expect(indexPath.flags ?? []).not.toContain('plan-mismatch');
    expect(paths.get('as-is')!.plan!.usesIndex).toBe(false);
    const left = await admin.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [SCHEMA]);
    expect(left.rows.map((r: { indexname: string }) => r.indexname).filter((name) => name.startsWith('pbw_'))).toEqual([]);
    expect((await admin.query('SELECT count(*)::int AS n FROM perfbench_index_intents WHERE index_schema = $1', [SCHEMA])).rows[0].n).toBe(0);
  }, 120_000);

  it('a cache path and http-fast: every read answered by the cache or PostgreSQL, counted across both threads', async () => {
    const paths = byName((await run({ builtin: ['select-only'], paths: 'as-is,cache,http-fast', http: true, concurrency: '2', workers: '2' })).result.paths);
    for (const name of ['cache', 'http-fast']) {
      const p = paths.get(name)!;
      expect(p.workers).toBe(2);
      expect(p.ops).toBe(200);
      expect(p.cacheHits! + p.cacheMisses!).toBe(200);
      expect(p.statements![0]!.summary.count).toBe(200);
    }
    // The two threads' X-Cache counts and Server-Timing means added: one response per execution.
    const timing = paths.get('http-fast')!.serverTiming!;
    expect(timing.responses).toBe(200);
    expect((timing.xCache.HIT ?? 0) + (timing.xCache.MISS ?? 0)).toBe(200);
    expect(timing.clientMeanMs).toBeGreaterThan(0);
  }, 120_000);
});

describe('serve --workload', () => {
  it('serves each read statement at /q/<name>/slow and /fast (cache-aside: MISS then HIT, same rows); writes are not served', async () => {
    const file = script('served.sql', [
      `\\pb_from cid "${SCHEMA}"."Order Items"."Customer Id"`,
      '-- name: by_customer',
      `SELECT count(*), sum(amount) FROM "${SCHEMA}"."Order Items" WHERE "Customer Id" = :cid;`,
      `UPDATE "${SCHEMA}".counter SET v = v + 1 WHERE id = 1;`,
      '',
    ].join('\n'));
    await withRuntime(async (runtime) => {
      const running = await startWorkloadServe(runtime, { scripts: [{ source: 'file', path: file, weight: 1 }], port: 0, host: '127.0.0.1', ttlSeconds: 60, poolSize: 2 });
      try {
        expect(running.statements.map((s) => s.name)).toEqual(['by_customer']);
        expect(running.lines.join('\n')).toMatch(/not served: served\.sql#2 \(line 4\): UPDATE changes rows/);
        const get = async (path: string) => {
          const res = await fetch(`${running.url}${path}`);
          return { status: res.status, cache: res.headers.get('x-cache'), body: await res.json() as { rows?: unknown[][]; error?: string } };
        };
        const expected = (await admin.query({ text: `SELECT count(*)::text, sum(amount)::text FROM ${TABLE} WHERE "Customer Id" = 7`, rowMode: 'array' })).rows;
        const slow = await get('/q/by_customer/slow?cid=7');
        expect(slow).toMatchObject({ status: 200, cache: 'BYPASS' });
        expect(slow.body.rows).toEqual(expected);
        const miss = await get('/q/by_customer/fast?cid=7');
        const hit = await get('/q/by_customer/fast?cid=7');
        expect([miss.cache, hit.cache]).toEqual(['MISS', 'HIT']);
        expect(hit.body.rows).toEqual(expected);
        expect((await get('/q/by_customer/fast')).status).toBe(400);
        expect((await get('/q/by_customer/slow?cid=x')).status).toBe(400);
        expect((await get('/q/nope/fast?cid=1')).status).toBe(404);
      } finally {
        await running.server.close();
        await (await runtime.cache()).deletePrefix(reportKey(running.namespace, ''));
      }
    });
  }, 60_000);
});
