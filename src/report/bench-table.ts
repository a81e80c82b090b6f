/**
 * Reporter (pure): the terminal report of `perfbench bench`, a percentile table per path, the
 * speed-up table and a small latency distribution per path. Colour comes from the chalk instance
 * passed in; without one (or at level 0) the output is plain text, which the golden files pin.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { Table } from './cli-table.js';
import { foldTrials, runConcurrency, type BenchResult, type Comparison, type PathResult, type RatioEstimate } from '../measure/result.js';
import { formatInt } from './format.js';
import {
  bar, describeMethod, formatEstimate, formatMsFromUs, formatRate, latencyCell, latencyKind, logShare, loopLagLines,
  datasetLine, NO_FIGURE, overheadLine, pathWarnings, runLine, SERVER_HEAD, serverMean,
} from './bench-format.js';
import { generatorsLine } from './bench-generators.js';
import { cacheSplitLines } from './bench-cache-split.js';
import { hasWorkload, STATEMENT_HEAD, statementRows, workloadLines } from './bench-workload.js';

export interface BenchTableOptions {
  chalk?: ChalkInstance;
  /** Width of the distribution bars, in cells; default 32. */
  barWidth?: number;
}

const PLAIN = new Chalk({ level: 0 });

/**
 * Box-drawing borders without colour codes (cli-table3 would otherwise colour heads red) and
 * without lines between rows (compact), so a sweep of many rows stays readable.
 */
function table(head: string[], aligns: Array<'left' | 'right'>): Table {
  return new Table({ head, colAligns: aligns, style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true } });
}

export function renderBenchTable(result: BenchResult, comparisons: readonly Comparison[], options: BenchTableOptions = {}): string {
  const chalk = options.chalk ?? PLAIN;
  const paths = foldTrials(result.paths);
  const open = paths.some((p) => p.mode === 'open');
  const lines: string[] = [];
  lines.push(chalk.bold('perfbench bench') + chalk.dim(` · ${runLine(result)}`));
  const dataset = datasetLine(result);
  if (dataset) lines.push(chalk.dim(dataset));
  const generators = generatorsLine(result);
  if (generators) lines.push(chalk.dim(generators));
  lines.push(chalk.dim(latencyKind(result)));
  if (result.options.trials > 1) lines.push(chalk.dim(`Each row adds the histograms of ${result.options.trials} trials.`));
  lines.push('');
  lines.push(percentileTable(paths, open, chalk));
  if (comparisons.length) {
    lines.push('');
    lines.push(chalk.bold('Speed-up') + chalk.dim(' (baseline latency / path latency; interval in brackets)'));
    lines.push(speedupTable(comparisons, chalk));
  }
  if (hasWorkload(paths)) {
    lines.push('');
    lines.push(chalk.bold('Statements') + chalk.dim(' (like pgbench -r, each statement\'s own histogram; successful executions)'));
    const t = table(STATEMENT_HEAD, STATEMENT_HEAD.map((_, i) => (i === 0 || i === 2 || i === 3 ? 'left' : 'right')));
    for (const r of statementRows(paths)) t.push(r);
    lines.push(t.toString());
    for (const line of workloadLines(paths)) lines.push(line);
  }
  const distribution = distributionBlock(paths, options.barWidth ?? 32, chalk);
  if (distribution.length) {
    lines.push('');
    lines.push(chalk.bold('Latency distribution') + chalk.dim(' (ms, log scale)'));
    lines.push(...distribution);
  }
  const footer = [overheadLine(paths), ...cacheSplitLines(paths), ...loopLagLines(paths)].filter((l): l is string => l !== undefined);
  const warnings = pathWarnings(result, paths);
  if (footer.length || warnings.length) lines.push('');
  for (const line of footer) lines.push(chalk.dim(line));
  for (const warning of warnings) lines.push(chalk.yellow(`! ${warning}`));
  return lines.join('\n') + '\n';
}

function percentileTable(paths: readonly PathResult[], open: boolean, chalk: ChalkInstance): string {
  const server = paths.some((p) => p.serverTiming);
  const head = ['Path', 'Conc.', 'Ops', 'Errors', 'ops/s', 'Mean (ms)', ...(server ? [SERVER_HEAD] : []), 'p50 (ms)', 'p90 (ms)', 'p99 (ms)', 'p99.9 (ms)', 'Max (ms)'];
  if (open) head.push('p99 uncorr. (ms)', 'Lag mean/max (ms)');
  const t = table(head.map((h) => chalk.bold(h)), ['left', ...head.slice(1).map(() => 'right' as const)]);
  for (const p of paths) {
    const s = p.summary;
    const row = [
      p.name,
      String(runConcurrency(p)),
      formatInt(p.ops),
      p.errors > 0 ? chalk.red(formatInt(p.errors)) : '0',
      formatRate(p.throughputOpsPerSec),
      latencyCell(p, s.meanUs),
      ...(server ? [serverMean(p)] : []),
      chalk.bold(latencyCell(p, s.p50Us)),
      latencyCell(p, s.p90Us),
      chalk.bold(latencyCell(p, s.p99Us)),
      latencyCell(p, s.p999Us),
      latencyCell(p, s.maxUs),
    ];
    if (open) {
      row.push(
        p.uncorrected ? latencyCell(p, p.uncorrected.summary.p99Us) : '',
        p.scheduleLag ? `${formatMsFromUs(p.scheduleLag.meanUs)} / ${formatMsFromUs(p.scheduleLag.maxUs)}` : '',
      );
    }
    t.push(row);
  }
  return t.toString();
}

function speedupTable(comparisons: readonly Comparison[], chalk: ChalkInstance): string {
  const t = table(
    ['Path', 'vs', 'Conc.', 'p50 speed-up', 'p99 speed-up', 'Interval'].map((h) => chalk.bold(h)),
    ['left', 'left', 'right', 'right', 'right', 'left'],
  );
  const colour = (e: RatioEstimate | null): string =>
    e === null ? chalk.yellow(NO_FIGURE) : e.low > 1 ? chalk.green(formatEstimate(e)) : e.high < 1 ? chalk.red(formatEstimate(e)) : formatEstimate(e);
  for (const c of comparisons) {
    t.push([
      c.path,
      c.baseline,
      String(c.concurrency),
      colour(c.p50),
      colour(c.p99),
      c.method === 'none' ? chalk.yellow(describeMethod(c)) : describeMethod(c),
    ]);
  }
  return t.toString();
}

const BAR_PERCENTILES = [
  ['p50', (p: PathResult) => p.summary.p50Us],
  ['p90', (p: PathResult) => p.summary.p90Us],
  ['p99', (p: PathResult) => p.summary.p99Us],
  ['p99.9', (p: PathResult) => p.summary.p999Us],
] as const;

function distributionBlock(paths: readonly PathResult[], width: number, chalk: ChalkInstance): string[] {
  const shown = paths.filter((p) => p.kind !== 'noop' && p.ops > 0);
  if (shown.length === 0) return [];
  // The scale starts a decade below the fastest p50 so the fastest path still shows a bar.
  const lowUs = Math.min(...shown.map((p) => p.summary.p50Us)) / 10;
  const highUs = Math.max(...shown.map((p) => p.summary.p999Us));
  const labels = shown.map((p) => `${p.name} c=${runConcurrency(p)}`);
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const values = shown.flatMap((p) => BAR_PERCENTILES.map(([, of]) => formatMsFromUs(of(p))));
  const valueWidth = Math.max(...values.map((v) => v.length));
  const lines: string[] = [];
  shown.forEach((p, i) => {
    BAR_PERCENTILES.forEach(([name, of], k) => {
      const label = k === 0 ? labels[i]! : '';
      const value = formatMsFromUs(of(p)).padStart(valueWidth);
      const cells = bar(logShare(of(p), lowUs, highUs), width);
      const tint = name === 'p50' ? chalk.cyan : name === 'p99.9' ? chalk.magenta : chalk.blue;
      lines.push(`${label.padEnd(labelWidth)}  ${name.padEnd(5)} ${value} ${tint(cells)}`.trimEnd());
    });
  });
  return lines;
}
