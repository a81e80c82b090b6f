/**
 * The HTML report's data and page, without a browser (test/integration/report-html.test.ts opens the
 * pages in Chromium): the percentile curves on HdrHistogram's axis are exact, the chart data the page
 * embeds is pinned by golden files for real results (a plain run, an open loop, a concurrency sweep,
 * a history of four results with a merge), and the page is one self-contained, escaped file.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareResult } from '../../src/measure/compare.js';
import { gate } from '../../src/measure/gate.js';
import { validateResult, type BenchResult } from '../../src/measure/result.js';
import { planRecord } from '../../src/plan/plan-record.js';
import { renderReport } from '../../src/report/bench-report.js';
import { percentileCurve } from '../../src/report/html-data.js';
import { esc, renderHtmlReport, scriptJson, type HtmlAssets, type HtmlRun } from '../../src/report/html-page.js';
import { loadHtmlAssets } from '../../src/usecases/report-html.js';
import { expectGolden } from '../support/golden.js';
import { encodeValues, pathOf, resultOf } from './bench-helpers.js';
import { fixture as planFixture } from './plan-fixture.js';

const RESULTS = fileURLToPath(new URL('../../fixtures/results/', import.meta.url));

function fixture(name: string): BenchResult {
  return validateResult(JSON.parse(readFileSync(`${RESULTS}${name}.json`, 'utf8')), name);
}

function run(label: string, result: BenchResult, baseline?: BenchResult): HtmlRun {
  const out: HtmlRun = { label, result, comparisons: compareResult(result) };
  if (baseline) out.gate = gate(result, baseline, { thresholdPct: 10 });
  return out;
}

/** A stand-in for uPlot: the page's data does not depend on it. */
const STUB: HtmlAssets = { uplotJs: '/* uPlot */', uplotCss: '.uplot{}', uplotVersion: '0.0.0' };

/** The JSON the page embeds, parsed back out of the page. */
function embedded(html: string): { charts: Record<string, any> } {
  const match = /<script type="application\/json" id="perfbench-data">(.*?)<\/script>/s.exec(html);
  expect(match, 'the page embeds its chart data').not.toBeNull();
  return JSON.parse(match![1]!);
}

/** One chart per line, so a golden diff names the chart that changed. */
function goldenText(data: { charts: Record<string, unknown> }): string {
  return `{\n${Object.entries(data.charts).map(([id, chart]) => `${JSON.stringify(id)}: ${JSON.stringify(chart)}`).join(',\n')}\n}\n`;
}

describe('percentile curves on HdrHistogram\'s axis', () => {
  // 1,000 values 1 … 1,000 µs: HDR keeps values under 2,048 exactly, so every percentile is k/1000.
  const curve = percentileCurve(encodeValues(Array.from({ length: 1000 }, (_, i) => i + 1)));
  const at = (x: number) => curve.points.find(([px]) => px === x)?.[1];

  it('plots x = 1/(1-p) with ten points a decade, up to what the count resolves', () => {
    // 1 … 8, 10 … 80, 100 … 800 and 1,000; none past 1/(1-p) = 1,000 = the count.
    expect(curve.points).toHaveLength(31);
    expect(curve.points.at(-1)![0]).toBe(1000);
    expect(curve.count).toBe(1000);
  });

  it('puts each labelled percentile at its x: p50 at 2, p90 at 10, p99 at 100, p99.9 at 1000 (ms)', () => {
    expect(at(1)).toBe(0.001); // p0: the minimum, 1 µs
    expect(at(2)).toBe(0.5);
    expect(at(4)).toBe(0.75);
    expect(at(10)).toBe(0.9);
    expect(at(100)).toBe(0.99);
    expect(at(1000)).toBe(0.999);
    expect(curve.maxUs).toBe(1000);
    expect([curve.at(50), curve.at(99), curve.at(99.9)]).toEqual([500, 990, 999]);
  });
});

describe('the chart data each page embeds (golden)', () => {
  const closed = [fixture('closed-1'), fixture('closed-2'), fixture('closed-3')];
  const cases: Array<[string, () => HtmlRun[]]> = [
    ['report-closed.json', () => [run('closed-1.json', closed[0]!)]],
    ['report-open-loop.json', () => [run('open-loop.json', fixture('open-loop'))]],
    ['report-sweep.json', () => [run('sweep.json', fixture('sweep'))]],
    ['report-history.json', () => [
      run('closed-1.json', closed[0]!),
      run('closed-2.json', closed[1]!, closed[0]),
      run('closed-3.json', closed[2]!, closed[0]),
      run('merged.json', fixture('merged'), closed[0]),
    ]],
  ];
  it.each(cases)('%s', (name, runs) => {
    const all = runs();
    const html = renderHtmlReport({ runs: all, ...(all.length > 1 ? { baselineLabel: 'closed-1.json' } : {}) }, STUB);
    expectGolden(name, goldenText(embedded(html)));
  });

  it('draws each open-loop path twice (corrected and uncorrected) and every swept path in the knee', () => {
    const open = embedded(renderHtmlReport({ runs: [run('o', fixture('open-loop'))] }, STUB)).charts;
    const latency = Object.values(open).find((c) => c.kind === 'percentiles');
    expect(latency.series.map((s: { label: string }) => s.label)).toEqual([
      'index (corrected)', 'index (uncorrected)', 'cache (corrected)', 'cache (uncorrected)', 'miss (corrected)', 'miss (uncorrected)',
    ]);
    const sweep = embedded(renderHtmlReport({ runs: [run('s', fixture('sweep'))] }, STUB)).charts;
    const knee = Object.values(sweep).find((c) => c.kind === 'knee');
    expect(knee.series.map((s: { label: string; pointLabels: string[] }) => `${s.label}: ${s.pointLabels.join(' ')}`)).toEqual([
      'seq p99: c=1 c=4 c=16', 'seq p50: c=1 c=4 c=16', 'index p99: c=1 c=4 c=16', 'index p50: c=1 c=4 c=16', 'cache p99: c=1 c=4 c=16', 'cache p50: c=1 c=4 c=16',
    ]);
    expect(Object.values(sweep).filter((c) => c.kind === 'percentiles')).toHaveLength(3);
  });
});

describe('the page', () => {
  it('is one file that loads nothing: no src or href leaving the page, a CSP that forbids requests, the real uPlot inline', async () => {
    const assets = await loadHtmlAssets();
    expect(assets.uplotJs.length).toBeGreaterThan(40_000);
    expect(assets.uplotJs).toContain('uPlot');
    const html = renderHtmlReport({ runs: [run('closed-1.json', fixture('closed-1'))] }, assets);
    expect(html).toContain(`content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"`);
    expect([...html.matchAll(/\s(?:src|href)\s*=\s*["']?([^"'\s>]+)/g)].map((m) => m[1]).filter((v) => !v!.startsWith('#'))).toEqual([]);
    expect(html).not.toMatch(/<link\b|@import|url\(\s*['"]?(?!data:)/);
    expect(html).toContain(assets.uplotJs.slice(0, 200));
  });

  it('stays far under 1.5 MB: a run of 5 paths x 3 trials, and a history of four results', async () => {
    const assets = await loadHtmlAssets();
    const single = renderHtmlReport({ runs: [run('closed-1.json', fixture('closed-1'))] }, assets);
    const history = renderHtmlReport({ runs: ['closed-1', 'closed-2', 'closed-3', 'merged'].map((n) => run(n, fixture(n))) }, assets);
    expect(Buffer.byteLength(single)).toBeLessThan(200_000);
    expect(Buffer.byteLength(history)).toBeLessThan(300_000);
  });

  it('escapes every name and value it shows, in the HTML and in the embedded JSON', () => {
    const evil = '</script><img src=x onerror=alert(1)>';
    const result = resultOf([pathOf(evil, [100, 200, 300]), pathOf('seq', [1000, 2000])], {}, { node: evil, settings: { work_mem: evil } });
    const html = renderHtmlReport({ runs: [run(evil, result)] }, STUB);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(esc(evil));
    // The JSON blob cannot close its <script>, and reads back as written.
    expect(scriptJson({ name: evil })).not.toContain('</');
    const labels = Object.values(embedded(html).charts).flatMap((c) => c.series.map((s: { label: string }) => s.label));
    expect(labels).toContain(evil);
  });

  it('draws a plan tree per database path: every node, its exclusive share, its warnings', () => {
    const plan = planFixture('seq-scan-filter');
    const tree = planRecord(plan);
    const path = pathOf('seq', [65_000], {
      plan: { category: 'cat-007', root: 'Seq Scan', scan: 'Seq Scan on products', scanType: 'Seq Scan', indexes: [], usesIndex: false, sharedHitBlocks: 1031, sharedReadBlocks: 0, executionTimeMs: 5.686, planningTimeMs: 0.317, tree },
    });
    const html = renderHtmlReport({ runs: [run('r', resultOf([path]))] }, STUB);
    const card = /<div class="card plan" data-plan="seq">.*?<\/ul><\/div>/s.exec(html)![0];
    expect([...card.matchAll(/data-node="(\d+)"/g)].map((m) => Number(m[1]))).toEqual(tree.nodes.map((n) => n.id));
    // 5.629 ms of 5.686 ms on its own: 99.0%.
    expect(card).toContain('5.63 ms · 99.0%');
    expect(card).toContain('<b>critical</b>Seq Scan on products read 100,000 rows');
    expect(card).toContain('perfbench index add --table products --column category');
  });

  it('reads a version 1 result: no over-time charts, the plan summary only', () => {
    const v1 = JSON.parse(readFileSync(`${RESULTS}closed-1.json`, 'utf8'));
    v1.schemaVersion = 1;
    for (const p of v1.paths) {
      delete p.samples;
      if (p.plan) delete p.plan.tree;
    }
    const html = renderHtmlReport({ runs: [run('old.json', validateResult(v1))] }, STUB);
    expect(Object.values(embedded(html).charts).map((c) => c.kind)).not.toContain('throughput-time');
    expect(html).toContain('carries the plan\'s summary only');
    expect(html).not.toContain('id="over-time"');
  });

  it('is what bench --output run.html writes through renderReport, which needs the assets', () => {
    const result = fixture('http');
    const comparisons = compareResult(result);
    expect(() => renderReport('html', { result, comparisons })).toThrow('needs htmlAssets');
    expect(renderReport('html', { result, comparisons, htmlAssets: STUB })).toBe(renderHtmlReport({ runs: [{ label: 'this run', result, comparisons }] }, STUB));
  });
});
