import { stripVTControlCharacters } from 'node:util';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/measure/clock.js';
import { compareResult } from '../../src/measure/compare.js';
import { createResult, validateResult, type BenchResult, type PlanSummary } from '../../src/measure/result.js';
import { runTarget } from '../../src/measure/runner.js';
import { categorySequence } from '../../src/workload/sequence.js';
import { renderBenchCsv, renderSpeedupCsv, csvField } from '../../src/report/bench-csv.js';
import { formatMsFromUs, formatRatio, formatRate, logShare, bar } from '../../src/report/bench-format.js';
import { renderBenchJson } from '../../src/report/bench-json.js';
import { renderBenchMarkdown } from '../../src/report/bench-markdown.js';
import { renderBenchTable } from '../../src/report/bench-table.js';
import { formatInt } from '../../src/report/format.js';
import { expectGolden as golden } from '../support/golden.js';
import { FIXED_DATE, fakeTarget, pathOf, resultOf, spread } from './bench-helpers.js';

/**
 * A plan as a writer other than this version may have recorded it: validateResult does not check
 * plans, so the JSON export must pass one through untouched (bench.json pins it).
 */
const foreignPlan = { node: 'Seq Scan' } as unknown as PlanSummary;

/** A closed-loop run: seq, index, cache (with errors and a flag), noop; 1 trial. */
function closedResult(): BenchResult {
  const result = resultOf([
    pathOf('seq', spread(200, 65_600, 12_000, 1), { plan: foreignPlan }),
    pathOf('index', spread(2000, 2590, 700, 2), { flags: ['plan-mismatch: expected an index scan'] }),
    pathOf('cache', spread(5000, 119, 40, 3), { errors: 3, firstError: 'GET "pb:v1|cat-007" timed out' }),
    pathOf('noop', Array(10_000).fill(0).map((_, i) => (i % 100 === 0 ? 2 : 0)), { kind: 'noop', eventLoopLag: { meanUs: 10_100, p99Us: 10_400, maxUs: 12_300 } }),
  ]);
  result.environment['settings'] = { jit: 'off', work_mem: '4MB' };
  return result;
}

async function openResult(): Promise<BenchResult> {
  const clock = new FakeClock();
  const sequence = categorySequence({ categories: 100, distribution: 'zipf', seed: 1 });
  const paths = [];
  for (const [name, latency] of [['index', (i: number) => (i === 50 ? 60_000 : 2500 + (i % 7) * 100)], ['cache', (i: number) => 100 + (i % 5) * 10]] as const) {
    paths.push(await runTarget(fakeTarget(clock, name, (op) => latency(op.index), name === 'cache' ? 'cache' : 'db'), {
      concurrency: 1, ratePerSec: 200, iterations: 400, sequence, clock,
    }));
  }
  return createResult({
    environment: { node: 'v20.0.0' },
    options: { mode: 'open', concurrency: [1], ratePerSec: 200, iterations: 400, trials: 1, distribution: 'zipf', seed: 1 },
    paths,
    createdAt: FIXED_DATE,
  });
}

describe('bench reporters (golden files)', () => {
  const closed = closedResult();
  const comparisons = compareResult(closed, { resamples: 500 });

  it('renders the terminal table', () => {
    golden('bench-table.txt', renderBenchTable(closed, comparisons));
  });

  it('renders the same table in colour, and only colour differs', () => {
    const coloured = renderBenchTable(closed, comparisons, { chalk: new Chalk({ level: 1 }) });
    expect(coloured).not.toBe(renderBenchTable(closed, comparisons));
    expect(stripVTControlCharacters(coloured)).toBe(renderBenchTable(closed, comparisons));
  });

  it('renders Markdown', () => {
    golden('bench.md', renderBenchMarkdown(closed, comparisons));
  });

  it('renders CSV (paths and speed-ups)', () => {
    golden('bench.csv', renderBenchCsv(closed));
    golden('bench-speedups.csv', renderSpeedupCsv(comparisons));
  });

  it('renders JSON that validates and round-trips', () => {
    const json = renderBenchJson(closed, comparisons);
    golden('bench.json', json);
    const back = validateResult(JSON.parse(json));
    expect(back.comparisons).toEqual(comparisons);
    expect({ ...back, comparisons: undefined }).toEqual({ ...closed, comparisons: undefined });
    expect(JSON.parse(renderBenchJson(closed, []))).not.toHaveProperty('comparisons');
  });

  it('renders an open-loop run, saying the latencies are CO-corrected, with lag and uncorrected p99', async () => {
    const open = await openResult();
    const c = compareResult(open, { resamples: 200 });
    const text = renderBenchTable(open, c);
    expect(text).toMatch(/Open loop at 200 ops\/s: latency measured from each operation's intended start \(corrected for coordinated omission\)/);
    expect(text).toMatch(/p99 uncorr\. \(ms\)/);
    golden('bench-table-open.txt', text);
    golden('bench-open.md', renderBenchMarkdown(open, c));
  });

  it('says closed loop in every format', () => {
    expect(renderBenchTable(closed, [])).toMatch(/Closed loop: .*not corrected for coordinated omission/);
    expect(renderBenchMarkdown(closed, [])).toMatch(/> Closed loop: .*not corrected for coordinated omission/);
    expect(renderBenchCsv(closed).split('\r\n')[1]).toMatch(/^seq,db,closed,false,/);
  });

  it('shows trials and interruption, and skips empty sections', () => {
    const r = resultOf([pathOf('seq', [1000], { trial: 1 }), pathOf('seq', [3000], { trial: 2, interrupted: true })], { trials: 2, durationMs: undefined, iterations: 10 });
    const text = renderBenchTable(r, []);
    expect(text).toMatch(/10 iterations · 2 trials/);
    expect(text).toMatch(/adds the histograms of 2 trials/);
    expect(text).toMatch(/! Interrupted: the figures cover what was measured before the stop\./);
    expect(text).not.toMatch(/Speed-up/);
    const empty = renderBenchTable(resultOf([pathOf('seq', [])]), []);
    expect(empty).not.toMatch(/Latency distribution/);
    expect(renderBenchMarkdown(resultOf([pathOf('seq', [5])], {}, {}), [])).not.toMatch(/Environment/);
  });
});

describe('formatting', () => {
  it('prints latencies with three significant digits in ms', () => {
    expect([0, 0.4, 7, 119, 2593, 65_600, 1_234_567].map(formatMsFromUs)).toEqual(['0', '<0.001', '0.007', '0.119', '2.59', '65.6', '1,235']);
    expect([0.5, 9.94, 1234.4].map(formatRate)).toEqual(['0.5', '9.9', '1,234']);
    expect([1.019, 25.34, 508.2, Infinity].map(formatRatio)).toEqual(['1.02x', '25.3x', '508x', 'n/a']);
  });

  it.each([
    [1234567.4, '1,234,567'],
    [-1234, '-1,234'],
    [999.5, '1,000'],
    [0, '0'],
    // A rate over a zero elapsed time: printed as Intl's en-US formatter prints it.
    [Infinity, '∞'],
    [NaN, 'NaN'],
  ])('prints integers one way everywhere, whatever the machine\'s locale: %s is %j', (value, expected) => {
    expect(formatInt(value)).toBe(expected);
  });

  it('quotes CSV fields per RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(undefined)).toBe('');
    expect(csvField(false)).toBe('false');
  });

  it('draws log-scale bars in eighths', () => {
    expect(bar(1, 4)).toBe('████');
    expect(bar(0.5, 3)).toBe('█▌');
    expect(bar(-1, 3)).toBe('');
    expect(logShare(100, 10, 1000)).toBeCloseTo(0.5, 12);
    expect(logShare(5, 10, 10)).toBe(1);
  });
});
