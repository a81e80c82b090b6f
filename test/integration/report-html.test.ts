/// <reference lib="dom" />
/**
 * The HTML report in a real browser (issue 12): Debian's Chromium, driven by playwright-core.
 *
 * Each page is opened from disk and must load with no console error and no request but the file
 * itself; every chart must draw the series the page itself says it should — counted from the page
 * (its summary table, its results table, each chart's own numbers table) and read back from what
 * uPlot drew (the legend, and the series' colours on the canvas), never from the input files.
 * The pages come from `perfbench report` on real results (fixtures/results/: a run, a merge, a
 * concurrency sweep, an open loop, the HTTP paths, a history), and from real `bench --output
 * run.html` / `merge --output merged.html` runs against the test PostgreSQL and Redis.
 *
 * Screenshots at desktop (1280x800) and phone (390x844) widths are taken every time; with
 * UPDATE_SCREENSHOTS=1 they are also written to fixtures/screenshots/ for the README.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { LatencyHistogram, summarizeEncoded } from '../../src/measure/histogram.js';
import { validateResult, type BenchResult } from '../../src/measure/result.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { seed } from '../../src/usecases/dataset.js';
import { cli } from '../support/cli.js';
import { TEST_DATABASE_URL, dropSeededTable, uniqueTable, withRuntime } from '../support/services.js';

const CHROMIUM = process.env['PERFBENCH_CHROMIUM'] ?? '/usr/bin/chromium';
const RESULTS = fileURLToPath(new URL('../../fixtures/results/', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../fixtures/screenshots/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'perfbench-html-'));
const fixture = (name: string): string => join(RESULTS, `${name}.json`);
const out = (name: string): string => join(dir, name);

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium; .ci/run does), or set PERFBENCH_CHROMIUM`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
});

/** What one chart drew, read from the page. */
interface DrawnChart {
  id: string;
  kind: string;
  /** `data-series`: how many series the page put in the chart's data. */
  declared: number;
  /** `data-drawn`: how many series uPlot was built with. */
  drawn: number;
  /** The labels of uPlot's legend rows, the x row left out. */
  legend: string[];
  /** Per legend colour: canvas pixels of exactly that colour (a series that drew nothing has none). */
  pixels: Record<string, number>;
  /** The header of the chart's numbers table, if it has one. */
  tableColumns: string[];
  /** The first cell of each row of that table. */
  tableRows: string[];
}

interface Loaded {
  page: Page;
  errors: string[];
  requests: string[];
  charts: DrawnChart[];
  /** The summary table: the paths of the run, as the page lists them. */
  summary: Array<{ path: string; loop: string; concurrency: string; ops: string }>;
}

async function load(file: string, viewport = { width: 1280, height: 800 }): Promise<Loaded> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') errors.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('html[data-charts-ready]', { timeout: 20_000 });
  const charts = await page.$$eval('[data-chart]', (elements) => elements.map((el) => {
    // An aligned chart's first legend row is its x axis (a knee, drawn in uPlot's mode 2, has none).
    const rows = [...el.querySelectorAll('.u-legend .u-series')].slice(el.getAttribute('data-kind') === 'knee' ? 0 : 1);
    const legend: Array<{ label: string; color: string }> = [];
    rows.forEach((row) => {
      const marker = row.querySelector('.u-marker') as HTMLElement;
      legend.push({ label: row.querySelector('.u-label')?.textContent ?? '', color: getComputedStyle(marker).borderTopColor || getComputedStyle(marker).borderColor });
    });
    const pixels: Record<string, number> = {};
    const canvas = el.querySelector('canvas');
    if (canvas) {
      const image = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      for (const { color } of legend) {
        const [r, g, b] = (color.match(/\d+/g) ?? []).map(Number);
        let count = 0;
        for (let i = 0; i < image.length; i += 4) {
          if (Math.abs(image[i]! - r!) <= 2 && Math.abs(image[i + 1]! - g!) <= 2 && Math.abs(image[i + 2]! - b!) <= 2 && image[i + 3]! > 200) count++;
        }
        pixels[color] = count;
      }
    }
    const card = el.closest('.card')!;
    const table = card.querySelector('details.numbers table');
    return {
      id: el.getAttribute('data-chart') ?? '',
      kind: el.getAttribute('data-kind') ?? '',
      declared: Number(el.getAttribute('data-series')),
      drawn: Number(el.getAttribute('data-drawn')),
      legend: legend.map((l) => l.label),
      pixels,
      tableColumns: table ? [...table.querySelectorAll('thead th')].map((th) => th.textContent ?? '') : [],
      tableRows: table ? [...table.querySelectorAll('tbody tr')].map((tr) => tr.firstElementChild?.textContent ?? '') : [],
    };
  }));
  const summary = await page.$$eval('#summary table', ([table]) => {
    if (!table) return [];
    const head = [...table!.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
    return [...table!.querySelectorAll('tbody tr')].map((row) => {
      const cells = [...row.children].map((c) => c.textContent ?? '');
      const at = (name: string): string => cells[head.indexOf(name)] ?? '';
      // The loop column is there only when the run had both loops.
      return { path: at('Path'), loop: at('Loop'), concurrency: at('Concurrency'), ops: at('Ops') };
    });
  });
  return { page, errors, requests, charts, summary };
}

/**
 * The checks every page passes: it loads clean, offline, and each chart drew all its series, each
 * visibly, except in charts of the kinds in `mayCoincide`, whose series can lie exactly on one
 * another (then the last drawn covers the rest).
 */
function expectClean(loaded: Loaded, file: string, mayCoincide: readonly string[] = []): void {
  expect(loaded.errors).toEqual([]);
  expect(loaded.requests).toEqual([pathToFileURL(file).href]);
  expect(loaded.charts.length).toBeGreaterThan(0);
  for (const chart of loaded.charts) {
    expect(chart.drawn, chart.id).toBe(chart.declared);
    expect(chart.legend, chart.id).toHaveLength(chart.declared);
    if (mayCoincide.includes(chart.kind)) continue;
    // Every colour in the legend is on the canvas (series of one path share a colour).
    for (const [color, count] of Object.entries(chart.pixels)) expect(count, `${chart.id}: ${color}`).toBeGreaterThan(20);
  }
}

/** Paths the page's summary table lists with a latency to draw (not the harness's no-op, not empty). */
function chartedPaths(loaded: Loaded, loop?: string, concurrency?: string): string[] {
  const names = loaded.summary.filter((r) => r.path !== 'noop' && r.ops !== '0' && (!loop || !r.loop || r.loop === loop) && (!concurrency || r.concurrency === concurrency)).map((r) => r.path);
  return [...new Set(names)];
}

/** A chart id's loop and concurrency: `run-latency-closed-4` -> ['closed', '4']. */
function groupOf(id: string): [string, string] {
  const [, loop, concurrency] = /-(closed|open)-(\d+)$/.exec(id) ?? [];
  return [loop!, concurrency!];
}

/** Checks each single-result chart against the page's summary table. */
function expectRunCharts(loaded: Loaded): void {
  for (const chart of loaded.charts.filter((c) => c.id.startsWith('run-'))) {
    const [loop, concurrency] = chart.kind === 'knee' ? [chart.id.endsWith('open') ? 'open' : 'closed', undefined] : groupOf(chart.id);
    const paths = chartedPaths(loaded, loop, concurrency);
    switch (chart.kind) {
      case 'percentiles': {
        const expected = loop === 'open' ? paths.flatMap((p) => [`${p} (corrected)`, `${p} (uncorrected)`]) : paths;
        expect(chart.legend, chart.id).toEqual(expected);
        // Its numbers table has a column per curve.
        expect(chart.tableColumns.slice(1).map((c) => c.replace(/ \(ms\)$/, '')), chart.id).toEqual(expected.map((l) => l.replace(/ \((corrected|uncorrected)\)$/, ' $1')));
        break;
      }
      case 'speedups':
        expect(chart.legend, chart.id).toEqual(['p50 speed-up', 'p99 speed-up']);
        expect(chart.tableRows.length, chart.id).toBeGreaterThan(0);
        break;
      case 'throughput-time':
        expect(chart.legend, chart.id).toEqual(paths);
        break;
      case 'latency-time':
        expect(chart.legend, chart.id).toEqual(paths.map((p) => `${p} p99`));
        break;
      case 'knee':
        expect(chart.legend, chart.id).toEqual(paths.flatMap((p) => [`${p} p99`, `${p} p50`]));
        expect(new Set(chart.tableRows), chart.id).toEqual(new Set(paths));
        break;
      default:
        throw new Error(`unexpected chart ${chart.id} (${chart.kind})`);
    }
  }
}

async function report(files: string[], name: string, extra: string[] = []): Promise<{ file: string; code: number; stderr: string }> {
  const file = out(name);
  const { code, stderr } = await cli(['report', ...files, '--output', file, ...extra]);
  return { file, code, stderr };
}

async function screenshot(page: Page, name: string, selector?: string): Promise<void> {
  const path = out(name);
  if (selector) await page.locator(selector).first().screenshot({ path });
  else await page.screenshot({ path });
  expect(statSync(path).size).toBeGreaterThan(10_000);
  if (process.env['UPDATE_SCREENSHOTS'] === '1') {
    mkdirSync(SCREENSHOTS, { recursive: true });
    copyFileSync(path, join(SCREENSHOTS, name));
  }
}

describe('the checks themselves', () => {
  it('see a console error, a request and a series that drew nothing', async () => {
    const file = out('broken.html');
    writeFileSync(file, `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'"></head><body>
<img src="http://127.0.0.1:9/pixel.png"><script>console.error('boom'); document.documentElement.setAttribute('data-charts-ready', '0');</script></body></html>`);
    const loaded = await load(file);
    expect(loaded.errors.some((e) => e.includes('boom'))).toBe(true);
    // The CSP refuses the image, and says so on the console: either way the page is not clean.
    expect(loaded.errors.some((e) => e.includes('Content Security Policy')) || loaded.requests.length > 1).toBe(true);
    await loaded.page.close();
  });
});

describe('perfbench report, opened in Chromium', () => {
  it.each([
    ['a plain run (3 trials)', 'closed-1'],
    ['a merge of two runs', 'merged'],
    ['a concurrency sweep', 'sweep'],
    ['an open loop', 'open-loop'],
    ['the HTTP paths', 'http'],
  ])('%s: loads clean and offline, every chart draws what the page lists', async (_, name) => {
    const { file, code } = await report([fixture(name)], `${name}.html`);
    expect(code).toBe(ExitCode.ok);
    expect(statSync(file).size).toBeLessThan(1_500_000);
    const loaded = await load(file);
    try {
      expectClean(loaded, file);
      expectRunCharts(loaded);
      const kinds = new Set(loaded.charts.map((c) => c.kind));
      expect([...kinds].sort()).toEqual(name === 'sweep'
        ? ['knee', 'latency-time', 'percentiles', 'speedups', 'throughput-time']
        : ['latency-time', 'percentiles', 'speedups', 'throughput-time']);
      // One latency chart per loop and concurrency in the summary table.
      expect(loaded.charts.filter((c) => c.kind === 'percentiles')).toHaveLength(new Set(loaded.summary.filter((r) => r.path !== 'noop').map((r) => `${r.loop}-${r.concurrency}`)).size);
      // A plan tree per database path that has a plan: as many as the page lists DB paths with plans.
      const plans = await loaded.page.$$eval('[data-plan]', (cards) => cards.map((c) => ({ path: c.getAttribute('data-plan'), nodes: c.querySelectorAll('[data-node]').length })));
      expect(plans.length).toBeGreaterThan(0);
      for (const plan of plans) expect(plan.nodes, plan.path!).toBeGreaterThan(1);
    } finally {
      await loaded.page.close();
    }
  });

  it('a history of four results: trend, side by side and gate verdicts, at desktop and phone widths', async () => {
    const files = ['closed-1', 'closed-2', 'closed-3', 'merged'].map(fixture);
    const { file, code } = await report(files, 'history.html');
    expect(code).toBe(ExitCode.ok);
    const loaded = await load(file);
    try {
      expectClean(loaded, file);
      expectRunCharts(loaded);
      const results = await loaded.page.$$eval('#results > .card table tbody tr', (rows) => rows.map((r) => r.firstElementChild?.textContent ?? ''));
      expect(results).toEqual(['closed-1.json', 'closed-2.json', 'closed-3.json', 'merged.json']);
      const paths = chartedPaths(loaded);
      const trend = loaded.charts.filter((c) => c.kind === 'trend');
      expect(trend.map((c) => c.legend)).toEqual([paths.flatMap((p) => [`${p} p99`, `${p} p50`]), paths]);
      const side = loaded.charts.filter((c) => c.id.startsWith('side-'));
      expect(side).toHaveLength(paths.length);
      for (const chart of side) expect(chart.legend, chart.id).toEqual(results);
      // Verdicts for every result but the baseline.
      const verdicts = await loaded.page.$$eval('#gates h3', (heads) => heads.map((h) => h.textContent));
      expect(verdicts).toEqual(results.slice(1));
      await screenshot(loaded.page, 'report-compare-desktop.png');
    } finally {
      await loaded.page.close();
    }
    const phone = await load(file, { width: 390, height: 844 });
    try {
      expectClean(phone, file);
      // Nothing wider than the phone: tables scroll inside their cards, charts follow the width.
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      const widths = await phone.page.$$eval('[data-chart] canvas', (canvases) => canvases.map((c) => c.getBoundingClientRect().right));
      for (const right of widths) expect(right).toBeLessThanOrEqual(390);
      await screenshot(phone.page, 'report-compare-phone.png');
    } finally {
      await phone.page.close();
    }
  });

  it('screenshots of a single run for the README: the top, the plans, and the phone width', async () => {
    const { file } = await report([fixture('sweep')], 'screens.html');
    const desktop = await load(file);
    try {
      expectClean(desktop, file);
      await desktop.page.locator('#latency').scrollIntoViewIfNeeded();
      await screenshot(desktop.page, 'report-run-desktop.png', '#latency');
      await screenshot(desktop.page, 'report-knee-desktop.png', '#knee');
      await screenshot(desktop.page, 'report-plans-desktop.png', '[data-plan="seq"]');
    } finally {
      await desktop.page.close();
    }
    const phone = await load(file, { width: 390, height: 844 });
    try {
      expectClean(phone, file);
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(phone.page, 'report-run-phone.png');
    } finally {
      await phone.page.close();
    }
  });

  it('exits 3 with --fail-if-slower when the last result regressed, and shows the verdict', async () => {
    // closed-1 made three times as slow: every histogram value and summary figure x3.
    const slow = JSON.parse(readFileSync(fixture('closed-1'), 'utf8')) as BenchResult;
    for (const p of slow.paths) {
      const h = LatencyHistogram.decode(p.histogram);
      const tripled = LatencyHistogram.create();
      for (const b of h.buckets()) tripled.recordMany(b.valueUs * 3, b.count);
      p.histogram = tripled.encode();
      p.summary = summarizeEncoded(p.histogram);
      h.destroy();
      tripled.destroy();
    }
    validateResult(slow);
    const slowFile = out('slow.json');
    writeFileSync(slowFile, JSON.stringify(slow));
    const failing = await report([fixture('closed-1'), slowFile], 'regressed.html', ['--fail-if-slower', '10%']);
    expect(failing.code).toBe(ExitCode.regression);
    expect(failing.stderr).toMatch(/regressed against closed-1\.json: seq \(concurrency 1\)/);
    const lenient = await report([fixture('closed-1'), slowFile], 'regressed2.html');
    expect(lenient.code).toBe(ExitCode.ok);
    const loaded = await load(lenient.file);
    try {
      expectClean(loaded, lenient.file);
      expect(await loaded.page.locator('.badge.bad').first().textContent()).toBe('gate: REGRESSED');
      expect(await loaded.page.locator('#gates tr.verdict-regressed').count()).toBeGreaterThan(0);
    } finally {
      await loaded.page.close();
    }
  });

  it('writes the page to stdout without --output (not on a terminal)', async () => {
    const piped = await cli(['report', fixture('http')]);
    expect(piped.code).toBe(ExitCode.ok);
    expect(piped.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(piped.stdout.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('refuses what it cannot read or write, in one line', async () => {
    const missing = await cli(['report', out('nope.json'), '--output', out('x.html')]);
    expect(missing.code).toBe(ExitCode.usage);
    expect(missing.stderr).toMatch(/result .*nope\.json: no such file/);
    const notHtml = await cli(['report', fixture('http'), '--output', out('x.txt')]);
    expect(notHtml.code).toBe(ExitCode.usage);
    expect(notHtml.stderr).toMatch(/--output .*x\.txt: report writes HTML — name the file \.html/);
  });
});

describe('bench --output run.html and merge --output merged.html on real runs', () => {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  const table = uniqueTable('html');

  beforeAll(async () => {
    await admin.connect();
    await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '20000', categories: '40', distribution: 'uniform', seed: '7' })));
  });
  afterAll(async () => {
    await dropSeededTable(admin, table);
    await admin.end();
  });

  const bench = (name: string, extra: string[]) =>
    cli(['bench', '--table', table, '--warmup', '0', '--trials', '2', '--output', out(`${name}.html`), '--output', out(`${name}.json`), ...extra]);

  it.each([
    ['a concurrency sweep', 'b-sweep', ['--paths', 'seq,index,cache,noop', '--concurrency', '1,2', '--iterations', '30']],
    ['an open loop', 'b-open', ['--paths', 'index,cache', '--rate', '300', '--concurrency', '8', '--iterations', '60']],
    ['the HTTP paths', 'b-http', ['--http', '--paths', 'http-slow,http-fast', '--iterations', '30']],
  ])('%s: the page bench wrote loads clean and draws every path', async (_, name, extra) => {
    const run = await bench(name, extra);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stderr).toContain(`wrote ${out(`${name}.html`)} (html)`);
    const loaded = await load(out(`${name}.html`));
    try {
      // An open loop that keeps up runs every path at the --rate, so their throughput-over-time lines coincide.
      expectClean(loaded, out(`${name}.html`), name === 'b-open' ? ['throughput-time'] : []);
      expectRunCharts(loaded);
      expect(loaded.charts.some((c) => c.kind === 'throughput-time')).toBe(true);
    } finally {
      await loaded.page.close();
    }
  });

  it('merge --output merged.html of two bench results, and report of both with the merge', async () => {
    const a = await bench('m-a', ['--paths', 'seq,index', '--iterations', '20']);
    const b = await bench('m-b', ['--paths', 'seq,index', '--iterations', '20']);
    expect([a.code, b.code]).toEqual([ExitCode.ok, ExitCode.ok]);
    const merged = await cli(['merge', out('m-a.json'), out('m-b.json'), '--output', out('merged.html'), '--output', out('merged.json')]);
    expect(merged.code, merged.stderr).toBe(ExitCode.ok);
    const loaded = await load(out('merged.html'));
    try {
      expectClean(loaded, out('merged.html'));
      expectRunCharts(loaded);
      // Two sources: the summary counts both, and the over-time chart says its p99 is the worst source's.
      expect(loaded.summary.map((r) => r.concurrency)).toEqual(['2', '2']);
      expect(await loaded.page.textContent('#over-time')).toContain('the worst source\'s p99');
    } finally {
      await loaded.page.close();
    }
    const history = await report([out('m-a.json'), out('m-b.json'), out('merged.json')], 'm-history.html');
    expect(history.code).toBe(ExitCode.ok);
    const page = await load(history.file);
    try {
      expectClean(page, history.file);
    } finally {
      await page.page.close();
    }
  });
});
