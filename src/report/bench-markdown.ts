/**
 * Reporter (pure): GitHub-flavoured Markdown of a bench result, for `$GITHUB_STEP_SUMMARY` and
 * pull-request comments: the percentile table, the speed-ups and the environment.
 */
import { foldTrials, runConcurrency, type BenchResult, type Comparison } from '../measure/result.js';
import { formatInt } from './format.js';
import {
  describeMethod, formatEstimate, formatMsFromUs, formatRate, latencyCell, latencyKind, loopLagLines, overheadLine,
  datasetLine, pathWarnings, runLine, SERVER_HEAD, serverMean,
} from './bench-format.js';
import { cacheSplitLines } from './bench-cache-split.js';
import { hasWorkload, STATEMENT_HEAD, statementRows, workloadLines } from './bench-workload.js';
import { generatorsLine } from './bench-generators.js';

/** Escapes what would break a table cell or start Markdown formatting. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/([*_`<>[\]])/g, '\\$1');
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function renderBenchMarkdown(result: BenchResult, comparisons: readonly Comparison[]): string {
  const paths = foldTrials(result.paths);
  const open = paths.some((p) => p.mode === 'open');
  const out: string[] = ['## perfbench bench', '', `${cell(runLine(result))}`, ''];
  const dataset = datasetLine(result);
  if (dataset) out.push(cell(dataset), '');
  const generators = generatorsLine(result);
  if (generators) out.push(cell(generators), '');
  out.push(`> ${latencyKind(result)}`, '');
  if (result.options.trials > 1) out.push(`Each row adds the histograms of ${result.options.trials} trials.`, '');

  const server = paths.some((p) => p.serverTiming);
  const head = ['Path', 'Concurrency', 'Ops', 'Errors', 'ops/s', 'Mean (ms)', ...(server ? [SERVER_HEAD] : []), 'p50 (ms)', 'p90 (ms)', 'p99 (ms)', 'p99.9 (ms)', 'Max (ms)'];
  if (open) head.push('p99 uncorr. (ms)', 'Lag mean / max (ms)');
  out.push(row(head), row(head.map((_, i) => (i === 0 ? ':---' : '---:'))));
  for (const p of paths) {
    const s = p.summary;
    const cells = [
      `\`${p.name}\``, String(runConcurrency(p)), formatInt(p.ops), formatInt(p.errors), formatRate(p.throughputOpsPerSec),
      latencyCell(p, s.meanUs), ...(server ? [serverMean(p)] : []), `**${latencyCell(p, s.p50Us)}**`, latencyCell(p, s.p90Us), `**${latencyCell(p, s.p99Us)}**`,
      latencyCell(p, s.p999Us), latencyCell(p, s.maxUs),
    ];
    if (open) {
      cells.push(
        p.uncorrected ? latencyCell(p, p.uncorrected.summary.p99Us) : '',
        p.scheduleLag ? `${formatMsFromUs(p.scheduleLag.meanUs)} / ${formatMsFromUs(p.scheduleLag.maxUs)}` : '',
      );
    }
    out.push(row(cells));
  }

  if (comparisons.length) {
    out.push('', '### Speed-up', '', 'Baseline latency divided by path latency (2.00x = twice as fast); interval in brackets.', '');
    out.push(row(['Path', 'vs', 'Concurrency', 'p50', 'p99', 'Interval']), row([':---', ':---', '---:', '---:', '---:', ':---']));
    for (const c of comparisons) {
      out.push(row([`\`${c.path}\``, `\`${c.baseline}\``, String(c.concurrency), formatEstimate(c.p50), formatEstimate(c.p99), cell(describeMethod(c))]));
    }
  }

  if (hasWorkload(paths)) {
    out.push('', '### Statements', '', "Like `pgbench -r`, from each statement's own histogram (successful executions).", '');
    out.push(row(STATEMENT_HEAD), row(STATEMENT_HEAD.map((_, i) => (i === 0 || i === 2 || i === 3 ? ':---' : '---:'))));
    for (const r of statementRows(paths)) out.push(row(r.map((c, i) => (i === 0 || i === 3 ? `\`${c}\`` : cell(c)))));
    out.push('');
    for (const line of workloadLines(paths)) out.push(`- ${cell(line)}`);
  }

  const notes = [overheadLine(paths), ...cacheSplitLines(paths), ...loopLagLines(paths)].filter((l): l is string => l !== undefined);
  const warnings = pathWarnings(result, paths);
  if (notes.length || warnings.length) out.push('');
  for (const n of notes) out.push(`- ${cell(n)}`);
  for (const w of warnings) out.push(`- :warning: ${cell(w)}`);

  const env = Object.entries(result.environment).filter(([, v]) => v !== undefined);
  if (env.length) {
    out.push('', '<details><summary>Environment</summary>', '', row(['Key', 'Value']), row([':---', ':---']));
    for (const [key, value] of env) out.push(row([cell(key), cell(typeof value === 'string' ? value : JSON.stringify(value))]));
    out.push('', '</details>');
  }
  return out.join('\n') + '\n';
}
