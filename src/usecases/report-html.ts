/**
 * Use case: the HTML report. `loadHtmlAssets` reads the chart library from the installed `uplot`
 * package (a dependency, so it is there in a packed install too) for the pure reporter to inline;
 * `htmlReport` reads result files in the order given, recomputes their speed-ups and judges each
 * against a baseline with the gate, for `perfbench report`.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { usageError } from '../errors.js';
import { compareResult } from '../measure/compare.js';
import { gate, type GateReport } from '../measure/gate.js';
import { initHistograms } from '../measure/histogram.js';
import type { BenchResult } from '../measure/result.js';
import type { HtmlAssets, HtmlReportInput, HtmlRun } from '../report/html-page.js';
import { readResultFile } from './result-file.js';

let assets: Promise<HtmlAssets> | undefined;

/** uPlot's minified script and stylesheet, read once per process from node_modules. */
export function loadHtmlAssets(): Promise<HtmlAssets> {
  assets ??= (async () => {
    const require = createRequire(import.meta.url);
    let script: string;
    try {
      script = require.resolve('uplot/dist/uPlot.iife.min.js');
    } catch {
      throw new Error('the uplot package is missing: reinstall perfbench (npm ci) to write HTML reports');
    }
    const dist = dirname(script);
    const [uplotJs, uplotCss, manifest] = await Promise.all([
      readFile(script, 'utf8'),
      readFile(join(dist, 'uPlot.min.css'), 'utf8'),
      readFile(join(dist, '..', 'package.json'), 'utf8'),
    ]);
    return { uplotJs, uplotCss, uplotVersion: (JSON.parse(manifest) as { version: string }).version };
  })();
  return assets;
}

export interface HtmlReportOptions {
  /** A result file to judge every result against; default: the first one given (when there are several). */
  baseline?: string;
  /** The gate's threshold, percent. */
  thresholdPct: number;
}

export interface HtmlReportOutcome {
  input: HtmlReportInput;
  /** The last result's verdict against the baseline, when there is one. */
  gate?: GateReport;
}

/**
 * Reads the result files (every problem one usage error, exit 2), in the order given, and pairs
 * each with its speed-ups and, except the baseline itself, its gate verdict against the baseline.
 */
export async function htmlReport(files: readonly string[], options: HtmlReportOptions): Promise<HtmlReportOutcome> {
  if (files.length === 0) throw usageError('report needs at least one result file', 'e.g. perfbench report result.json --output report.html');
  await initHistograms();
  const results: BenchResult[] = [];
  for (const file of files) results.push(await readResultFile(file));
  const labels = uniqueLabels(files);
  let baseline: { label: string; result: BenchResult } | undefined;
  if (options.baseline !== undefined) baseline = { label: basename(options.baseline), result: await readResultFile(options.baseline, 'baseline') };
  else if (results.length > 1) baseline = { label: labels[0]!, result: results[0]! };
  const runs: HtmlRun[] = results.map((result, i) => {
    const run: HtmlRun = { label: labels[i]!, result, comparisons: compareResult(result) };
    const isBaseline = options.baseline === undefined && i === 0;
    if (baseline && !isBaseline && !result.interrupted) run.gate = gate(result, baseline.result, { thresholdPct: options.thresholdPct });
    return run;
  });
  const input: HtmlReportInput = { runs };
  if (baseline) input.baselineLabel = baseline.label;
  const last = runs[runs.length - 1]!;
  return last.gate ? { input, gate: last.gate } : { input };
}

/** File names as labels; the same name twice (runs/1/r.json, runs/2/r.json) keeps its directory. */
function uniqueLabels(files: readonly string[]): string[] {
  const names = files.map((file) => basename(file));
  return files.map((file, i) => (names.filter((n) => n === names[i]).length > 1 ? join(basename(dirname(file)), names[i]!) : names[i]!));
}
