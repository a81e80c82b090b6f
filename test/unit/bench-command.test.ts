import { describe, expect, it } from 'vitest';
import { progressText } from '../../src/report/bench-progress.js';
import { benchOptions, integerListOption, outputFormat, percentOption } from '../../src/flags/bench-flags.js';
import { durationOption } from '../../src/flags/options.js';
import type { GateReport } from '../../src/measure/gate.js';
import type { BenchResult, PathResult } from '../../src/measure/result.js';
import { renderChecksMarkdown, renderChecksText } from '../../src/report/bench-checks.js';
import { renderGateMarkdown, renderGateText } from '../../src/report/bench-gate.js';
import type { CacheCheck, PlanSummary } from '../../src/targets/path.js';
import { usageLine } from '../support/usage.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { DEFAULT_ZIPF_SKEW } from '../../src/workload/dataset.js';


describe('bench flags', () => {
  it('has defaults that run every path for 2 s, 3 trials, at concurrency 1', () => {
    const o = benchOptions({});
    expect(o).toMatchObject({
      paths: ['seq', 'index', 'cache', 'miss', 'noop'], concurrency: [1], durationMs: 2000, warmupMs: 500, trials: 3,
      distribution: 'uniform', seed: 1, ttlSeconds: 300, keepIndex: false, keepCache: false, format: 'table', outputs: [],
      thresholdPct: 10, failIfSlower: false,
    });
    expect(o.table.text).toBe('products');
    expect(o.column.text).toBe('category');
    expect(o.iterations).toBeUndefined();
    expect(o.ratePerSec).toBeUndefined();
    expect(o.skew).toBeUndefined();
  });

  it('parses lists, durations, rates, outputs and the gate', () => {
    const o = benchOptions({
      paths: 'cache, index,cache', concurrency: '1,4,16,4', iterations: '1_000', warmup: '0', rate: '250', distribution: 'zipf',
      output: ['a.json', 'b.MD', 'c.csv', 'd.txt'], baseline: 'base.json', failIfSlower: '7.5%',
    });
    expect(o).toMatchObject({
      paths: ['cache', 'index'], concurrency: [1, 4, 16], iterations: 1000, warmupMs: 0, ratePerSec: 250, skew: DEFAULT_ZIPF_SKEW,
      baseline: 'base.json', thresholdPct: 7.5, failIfSlower: true,
    });
    expect(o.durationMs).toBeUndefined();
    expect(o.outputs.map((f) => f.format)).toEqual(['json', 'markdown', 'csv', 'table']);
    expect(benchOptions({ distribution: 'zipf', skew: '1.3' }).skew).toBe(1.3);
    // One Zipf default: bench draws with the exponent seed generates with (issue 10 item 19).
    expect(benchOptions({ distribution: 'zipf' }).skew).toBe(seedOptions({ table: 't', rows: '10', categories: '2', distribution: 'zipf', seed: '1' }).dataset.skew);
    expect(durationOption('500ms', '--d')).toBe(500);
    expect(durationOption('1.5s', '--d')).toBe(1500);
    expect(durationOption('2m', '--d')).toBe(120_000);
    expect(durationOption('3', '--d')).toBe(3000);
    expect(durationOption('0', '--warmup', true)).toBe(0);
    expect(percentOption('10', '--p')).toBe(10);
    expect(integerListOption('2', '--c', 1, 8)).toEqual([2]);
    expect(outputFormat('out/report.markdown')).toBe('markdown');
  });

  it('rejects bad values with one line naming the flag', () => {
    expect(usageLine(() => benchOptions({ duration: '5s', iterations: '10' }))).toBe('give either --duration or --iterations, not both');
    expect(usageLine(() => benchOptions({ duration: '0' }))).toBe("--duration '0' is not a duration — write it like 500ms, 5s or 2m");
    expect(usageLine(() => benchOptions({ duration: 'soon' }))).toContain("--duration 'soon' is not a duration");
    expect(usageLine(() => benchOptions({ warmup: '-1s' }))).toContain('(0 for none)');
    expect(usageLine(() => benchOptions({ concurrency: '1,,x' }))).toBe("--concurrency 'x' is not a whole number from 1 to 1,024");
    expect(usageLine(() => benchOptions({ concurrency: ',' }))).toContain('--concurrency is empty');
    expect(usageLine(() => benchOptions({ paths: 'seq,http' }))).toBe("--paths: unknown path 'http' — choose from seq, index, cache-get, cache, near, miss, noop, http-slow, http-fast");
    expect(usageLine(() => benchOptions({ paths: ' ' }))).toContain('--paths is empty');
    expect(usageLine(() => benchOptions({ skew: '2' }))).toBe('--skew applies only with --distribution zipf');
    expect(usageLine(() => benchOptions({ failIfSlower: '10%' }))).toBe('--fail-if-slower needs --baseline — pass the JSON result of an earlier run: --baseline baseline.json');
    expect(usageLine(() => benchOptions({ baseline: 'b.json', failIfSlower: '150%' }))).toContain('is not a percentage between 0 and 100');
    expect(usageLine(() => benchOptions({ baseline: 'b.json', failIfSlower: '%' }))).toContain('is not a percentage');
    expect(usageLine(() => benchOptions({ output: ['report.xml'] }))).toBe('--output report.xml: cannot tell the format from the extension — use .json, .md, .csv, .txt or .html');
    expect(benchOptions({ output: ['run.html', 'RUN.HTM'] }).outputs.map((o) => o.format)).toEqual(['html', 'html']);
    expect(usageLine(() => benchOptions({ format: 'xml' }))).toBe("--format 'xml' is not one of table, json, markdown, csv, html");
    expect(usageLine(() => benchOptions({ table: 'bad;name' }))).toContain("--table 'bad;name' is not a valid table name");
    expect(usageLine(() => benchOptions({ ttl: '0' }))).toContain("--ttl '0'");
    expect(usageLine(() => benchOptions({ rate: '0' }))).toContain("--rate '0'");
  });
});

describe('bench progress text', () => {
  const event = { target: 'index', phase: 'measure' as const, trial: 2, concurrency: 4, ops: 10, errors: 0, elapsedMs: 1234, opsPerSec: 812.4, p99Us: 3210 };
  it('says where the run is, its rate and p99 so far', () => {
    expect(progressText(event, { run: 7, runs: 15, trials: 3 })).toBe('[7/15] index c=4 trial 2/3 · 1.2 s · 812 ops/s · p99 3.21 ms');
    expect(progressText({ ...event, errors: 3 }, { run: 1, runs: 5, trials: 1 })).toBe('[1/5] index c=4 · 1.2 s · 812 ops/s · p99 3.21 ms · 3 errors');
    expect(progressText({ ...event, phase: 'warmup' }, { run: 1, runs: 5, trials: 1 })).toBe('[1/5] index c=4 · warming up');
    expect(progressText({ ...event, phase: 'setup' }, { run: 1, runs: 5, trials: 1 })).toBe('[1/5] index c=4 · setting up');
  });
});

const plan = (over: Partial<PlanSummary>): PlanSummary => ({
  category: 'cat-07', root: 'Sort', scan: 'Bitmap Heap Scan on products using products_category_btree_pb', scanType: 'Bitmap Heap Scan',
  indexes: ['products_category_btree_pb'], usesIndex: true, sharedHitBlocks: 979, sharedReadBlocks: 2, executionTimeMs: 1.1234, planningTimeMs: 0.1, ...over,
});
const check = (over: Partial<CacheCheck>): CacheCheck => ({
  tier: 'redis 7.0.15', gets: 100, hits: 100, misses: 0, serverHits: 100, serverMisses: 0, verified: true, ...over,
});

function path(name: string, trial: number, extra: Partial<PathResult> & { cacheCheck?: CacheCheck }): PathResult {
  return {
    name, kind: 'db', mode: 'closed', concurrency: 1, trial, sources: 1, ops: 100, errors: 0, elapsedMs: 100, throughputOpsPerSec: 1000,
    coCorrected: false, summary: { count: 100, meanUs: 1, stddevUs: 0, minUs: 1, p50Us: 1, p90Us: 1, p99Us: 1, p999Us: 1, maxUs: 1 },
    histogram: 'x', interrupted: false, ...extra,
  } as PathResult;
}

describe('bench checks report', () => {
  const result = {
    paths: [
      path('seq', 1, { plan: { ...plan({ root: 'Gather Merge', scan: 'Parallel Seq Scan on products', scanType: 'Parallel Seq Scan', indexes: [], usesIndex: false, sharedHitBlocks: 6326, sharedReadBlocks: 4108, executionTimeMs: 34.44 }) } }),
      path('index', 1, { plan: { ...plan({}) } }),
      path('cache', 1, { cacheCheck: check({}) }),
      path('cache', 2, { cacheCheck: check({ gets: 50, hits: 49, misses: 1, serverHits: 60, verified: false }) }),
      path('miss', 1, { plan: { ...plan({ root: 'Bitmap Heap Scan', scanType: 'Bitmap Heap Scan', executionTimeMs: 123.4 }) }, cacheCheck: check({ hits: 0, misses: 100, serverHits: 0, serverMisses: 100 }) }),
    ],
  } as unknown as BenchResult;

  it('shows each plan once and the cache checks summed over trials', () => {
    expect(renderChecksText(result)).toBe([
      'Plans (EXPLAIN ANALYZE of the report for cat-07, on the path\'s own connection)',
      '  seq    Gather Merge > Parallel Seq Scan on products · buffers 6,326 hit, 4,108 read · execution 34.4 ms',
      '  index  Sort > Bitmap Heap Scan on products using products_category_btree_pb · buffers 979 hit, 2 read · execution 1.12 ms',
      '  miss   Bitmap Heap Scan on products using products_category_btree_pb · buffers 979 hit, 2 read · execution 123 ms',
      '',
      'Cache checks (the GETs the client saw against the server\'s INFO counters)',
      '  cache  c=1: 150 GETs, 149 hits; server keyspace_hits +160 · NOT VERIFIED (redis 7.0.15)',
      '  miss   c=1: 100 GETs, 100 misses; server keyspace_misses +100 · verified (redis 7.0.15)',
      '',
    ].join('\n'));
    const md = renderChecksMarkdown(result);
    expect(md).toContain('### Plans\n\nEXPLAIN ANALYZE of the report for `cat-07`');
    expect(md).toContain('- `cache` c=1: 150 GETs, 149 hits; server keyspace_hits +160 · NOT VERIFIED (redis 7.0.15)');
    expect(renderChecksText({ paths: [path('noop', 1, {})] } as unknown as BenchResult)).toBe('');
    expect(renderChecksMarkdown({ paths: [] } as unknown as BenchResult)).toBe('');
  });
});

describe('bench gate report', () => {
  const report: GateReport = {
    tripped: true,
    thresholdPct: 10,
    rule: 'regressed when the current run\'s lower bound is more than 10% above the baseline\'s upper bound (p50/p99)',
    environment: [],
    warnings: ['the baseline ran in a different environment (cpu); differences may not be regressions'],
    verdicts: [
      {
        path: 'index', mode: 'closed', concurrency: 1, verdict: 'regressed', method: 'trials', checks: [
          { percentile: 50, baselineUs: 1000, currentUs: 2000, changePct: 100, lowPct: 80, highPct: 120, verdict: 'regressed' },
          { percentile: 99, baselineUs: 3000, currentUs: 3100, changePct: 3.33, lowPct: -10, highPct: 15, verdict: 'ok' },
        ],
      },
      { path: 'cache', mode: 'closed', concurrency: 1, verdict: 'no-baseline', checks: [] },
    ],
  };

  it('prints one line per path and the outcome', () => {
    expect(renderGateText(report)).toBe([
      'Regression gate: regressed when the current run\'s lower bound is more than 10% above the baseline\'s upper bound (p50/p99).',
      '  index c=1  REGRESSED p50 1.00 → 2.00 ms (+100.0%, interval +80.0% … +120.0%); p99 3.00 → 3.10 ms (+3.3%, interval −10.0% … +15.0%) [min–max of trials]',
      '  cache c=1  not in the baseline',
      'Gate TRIPPED: index c=1 slower than the baseline by more than 10% beyond the noise.',
      '',
    ].join('\n'));
    expect(renderGateText({ ...report, tripped: false, verdicts: [] })).toContain('Gate passed');
    const md = renderGateMarkdown(report);
    expect(md).toContain(':x: **Tripped**');
    expect(md).toContain('| `index` | 1 | **REGRESSED** | 1.00 → 2.00 ms (+100.0%; +80.0% … +120.0%) |');
    expect(md).toContain(':warning: the baseline ran in a different environment (cpu)');
  });
});

describe('bench exit code', () => {
  const result = (errors: number[]) => ({
    paths: errors.map((e, i) => ({ name: `p${i}`, errors: e })),
  }) as unknown as import('../../src/measure/result.js').BenchResult;
  const outcome = (errors: number[], extra: Partial<import('../../src/usecases/bench.js').BenchOutcome> = {}) =>
    ({ result: result(errors), comparisons: [], warnings: [], interrupted: false, ...extra });
  const tripped = { tripped: true, verdicts: [], environment: [], warnings: [], rule: 'r' } as unknown as import('../../src/measure/gate.js').GateReport;

  it('is 0 for a clean run, 3 for a tripped gate only with --fail-if-slower', async () => {
    const { benchVerdict } = await import('../../src/usecases/bench.js');
    expect(benchVerdict(outcome([0, 0]), true)).toEqual({ exitCode: 0, lines: [] });
    expect(benchVerdict(outcome([0]), false)).toEqual({ exitCode: 0, lines: [] });
    expect(benchVerdict(outcome([0], { gate: tripped }), false).exitCode).toBe(0);
    expect(benchVerdict(outcome([0], { gate: tripped }), true).exitCode).toBe(3);
  });

  it('is 1 when operations failed, before the gate, and 130 when interrupted, before everything', async () => {
    const { benchVerdict } = await import('../../src/usecases/bench.js');
    const failed = benchVerdict(outcome([0, 2, 1], { gate: tripped }), true);
    expect(failed.exitCode).toBe(1);
    expect(failed.lines.at(-1)).toBe('perfbench: 3 operations failed (p1, p2); the figures above are incomplete — see the warnings, fix the cause and run again');
    const interrupted = benchVerdict(outcome([0, 1], { interrupted: true }), true);
    expect(interrupted.exitCode).toBe(130);
    expect(interrupted.lines.at(-1)).toMatch(/^interrupted: /);
  });
});
