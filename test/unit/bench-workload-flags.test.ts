/**
 * bench --workload's flags and \pb_from draws (pure): the path list with index=EXPR (quoted names,
 * commas inside parentheses), the script specs, and draws that depend only on (seed, name, i, k).
 */
import { describe, expect, it } from 'vitest';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { candidateIndex, splitPathList, workloadOptions, workloadPathsOption } from '../../src/flags/workload-flags.js';
import { pbFromDraw } from '../../src/workload/pb-from-draw.js';
import { UserError } from '../../src/errors.js';
import { conninfo } from '../../src/db/libpq-session.js';

describe('bench --workload flags', () => {
  it('splits --paths at the commas outside parentheses and quotes', () => {
    expect(splitPathList('as-is,index=t(a, b),"x,y"(c),cache')).toEqual(['as-is', 'index=t(a, b)', '"x,y"(c)', 'cache']);
  });

  it('reads index=EXPR with quoted, mixed-case names; the index name is its own and schema-qualified for DROP', () => {
    const index = candidateIndex('"Sales"."Order Items"("Customer Id", day)');
    expect(index.expression).toBe('"Sales"."Order Items"("Customer Id", day)');
    expect(index.tableSql).toBe('"Sales"."Order Items"');
    expect(index.columnsSql).toBe('"Customer Id", "day"');
    expect(index.name).toMatch(/^pbw_[0-9a-f]{12}$/);
    expect(index.nameSql).toBe(`"Sales"."${index.name}"`);
    expect(candidateIndex('pgbench_accounts(aid)').nameSql).toBe(`"${candidateIndex('pgbench_accounts(aid)').name}"`);
    expect(() => candidateIndex('pgbench_accounts')).toThrow(UserError);
    expect(() => workloadPathsOption('as-is,seq')).toThrow(/unknown workload path 'seq'/);
    expect(workloadPathsOption('as-is,no-index,index=t(a),cache').map((k) => k.kind)).toEqual(['as-is', 'no-index', 'index', 'cache']);
  });

  it('--concurrently: only with a workload and an index= path; it reaches the workload options', () => {
    expect(() => benchOptions({ concurrently: true })).toThrow(/--concurrently applies to a workload's index=TABLE\(COLUMN\) paths/);
    expect(() => benchOptions({ builtin: ['select-only'], paths: 'as-is,cache', concurrently: true })).toThrow(/--paths names none/);
    expect(() => benchOptions({ builtin: ['select-only'], concurrently: true })).toThrow(/--paths names none/);
    const options = benchOptions({ builtin: ['select-only'], paths: 'as-is,index=pgbench_accounts(aid)', concurrently: true });
    expect(options.workload?.concurrently).toBe(true);
    expect(options.workloadPaths?.map((k) => k.kind)).toEqual(['as-is', 'index']);
    expect(benchOptions({ builtin: ['select-only'], paths: 'as-is,index=pgbench_accounts(aid)' }).workload?.concurrently).toBeUndefined();
  });

  it('--driver libpq: a workload only, one client per worker process (--workers set to --concurrency), one level, no replicas', () => {
    expect(benchOptions({ builtin: ['select-only'] }).workload?.driver).toBeUndefined();
    expect(benchOptions({ builtin: ['select-only'], driver: 'pg' }).workload?.driver).toBeUndefined();
    const one = benchOptions({ builtin: ['select-only'], driver: 'libpq' });
    expect([one.workload?.driver, one.workers]).toEqual(['libpq', undefined]);
    const four = benchOptions({ builtin: ['select-only'], driver: 'libpq', concurrency: '4' });
    expect(four.workers).toBe(4);
    expect(benchOptions({ builtin: ['select-only'], driver: 'libpq', concurrency: '2', workers: '2' }).workers).toBe(2);
    expect(() => benchOptions({ driver: 'libpq' })).toThrow(/--driver applies only to a workload/);
    expect(() => benchOptions({ builtin: ['select-only'], driver: 'odbc' })).toThrow(/--driver/);
    expect(() => benchOptions({ builtin: ['select-only'], driver: 'libpq', concurrency: '4', workers: '2' }))
      .toThrow(/--driver libpq runs one client per worker process, so --workers must equal --concurrency \(4\)/);
    expect(() => benchOptions({ builtin: ['select-only'], driver: 'libpq', concurrency: '1,2' })).toThrow(/one level of --concurrency/);
    expect(() => benchOptions({ builtin: ['select-only'], driver: 'libpq', concurrency: '65' })).toThrow(/at most 64/);
    expect(() => benchOptions({ builtin: ['select-only'], driver: 'libpq', replicaUrl: ['postgres://127.0.0.1:5433/x'] })).toThrow(/does not route reads to replicas/);
  });

  it("--driver libpq's connection string quotes every value as libpq requires, and connects as node-postgres does", () => {
    const info = conninfo({ host: '127.0.0.1', port: 5433, user: "o'brien", password: 'a\\b c', database: 'Sales DB', sslmode: 'require', mode: 'external' }, 2500);
    expect(info).toBe("host='127.0.0.1' port='5433' user='o\\'brien' password='a\\\\b c' dbname='Sales DB' sslmode='require' connect_timeout='3' application_name='perfbench-libpq' options='-c client_min_messages=error'");
    const local = conninfo({ host: '/tmp', port: 5432, user: 'u', password: undefined, database: 'd', sslmode: 'prefer', mode: 'embedded' }, 100);
    expect(local).not.toContain('password');
    // prefer (and allow) connect in clear, as node-postgres does: both drivers measure the same connection.
    expect(local).toContain("sslmode='disable'");
  });

  it('reads scripts, builtins, -D, --scale and --max-tries; refuses workload-only flags without a workload', () => {
    expect(workloadOptions({})).toBeUndefined();
    expect(() => workloadOptions({ define: ['a=1'] })).toThrow(/apply only to a workload/);
    expect(() => workloadOptions({ builtin: ['tpcc'] })).toThrow(/unknown script 'tpcc'/);
    expect(workloadOptions({ workload: ['a.sql@3'], builtin: ['select-only'], define: ['delta=5'], scale: '10', maxTries: '3' })).toEqual({
      scripts: [{ source: 'file', path: 'a.sql', weight: 3 }, { source: 'builtin', name: 'select-only', weight: 1 }],
      defines: { delta: '5' }, scale: 10, maxTries: 3,
    });
    const options = benchOptions({ builtin: ['select-only'], paths: 'as-is,cache' });
    expect(options.workload?.maxTries).toBe(1);
    expect(options.workloadPaths?.map((k) => k.kind)).toEqual(['as-is', 'cache']);
  });

  it('--http with a workload: the http paths by name, an in-process server or a URL; either without the other is a usage error', () => {
    expect(benchOptions({ builtin: ['select-only'], http: true }).http).toEqual({});
    const atUrl = benchOptions({ builtin: ['select-only'], http: 'http://127.0.0.1:8080/', paths: 'as-is,http-slow,http-fast' });
    expect(atUrl.http).toEqual({ url: 'http://127.0.0.1:8080' });
    expect(atUrl.workloadPaths).toEqual([{ kind: 'as-is' }, { kind: 'http', route: 'slow' }, { kind: 'http', route: 'fast' }]);
    expect(() => benchOptions({ builtin: ['select-only'], paths: 'http-fast' })).toThrow(/--paths http-slow and http-fast need --http/);
    expect(() => benchOptions({ builtin: ['select-only'], http: true, paths: 'as-is' })).toThrow(/--http times the http-slow and http-fast paths, but --paths leaves them out/);
    expect(() => benchOptions({ builtin: ['select-only'], http: 'ftp://x' })).toThrow(/is not an http:\/\/ or https:\/\/ URL/);
  });
});

describe('\\pb_from draws', () => {
  const sources = [
    { name: 'cid', values: ['1', '2', '3', '4', '5', '6', '7', '8'], distribution: 'uniform' as const, skew: 0 },
    { name: 'hot', values: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], distribution: 'zipf' as const, skew: 2 },
  ];

  it('depend only on (seed, name, i, k): any order of asking gives the same values', () => {
    const a = pbFromDraw(sources, 7);
    const b = pbFromDraw(sources, 7);
    const forward = Array.from({ length: 200 }, (_, i) => a('cid', i, 0) + a('cid', i, 1) + a('hot', i, 0));
    const backward = Array.from({ length: 200 }, (_, k) => 199 - k).map((i) => b('hot', i, 0) && b('cid', i, 0) + b('cid', i, 1) + b('hot', i, 0)).reverse();
    expect(backward).toEqual(forward);
    expect(pbFromDraw(sources, 8)('cid', 0, 0) + pbFromDraw(sources, 8)('cid', 1, 0) + pbFromDraw(sources, 8)('cid', 2, 0))
      .not.toBe(forward.slice(0, 3).map((v) => v[0]).join(''));
  });

  it('follow the source distribution: zipf 2 makes the first value the hottest', () => {
    const draw = pbFromDraw(sources, 1);
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) counts.set(draw('hot', i, 0), (counts.get(draw('hot', i, 0)) ?? 0) + 1);
    expect(counts.get('a')! / 4000).toBeGreaterThan(0.5);
    const uniform = new Set(Array.from({ length: 400 }, (_, i) => draw('cid', i, 0)));
    expect(uniform.size).toBe(8);
  });
});
