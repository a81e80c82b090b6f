/**
 * Command: `perfbench report a.json [b.json …] --output report.html` — the HTML report of one or
 * more bench results (in the order given: a CI history reads oldest first), judged against a
 * baseline by the same gate as `bench --baseline`.
 */
import { COMMAND_SUMMARIES } from '../command-list.js';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { ExitCode, usageError } from '../errors.js';
import { BENCH_DEFAULTS, percentOption } from '../flags/bench-flags.js';
import type { CommandContext } from '../flags/context.js';
import { formatBytes } from '../report/format.js';
import { renderHtmlReport } from '../report/html-page.js';
import { checkOutputs, writeFileAtomically } from '../usecases/publish.js';
import { htmlReport, loadHtmlAssets } from '../usecases/report-html.js';
import { printable } from '../workload/identifiers.js';

interface ReportFlags {
  output?: string;
  baseline?: string;
  failIfSlower?: string;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('report')
    .description(COMMAND_SUMMARIES.report)
    .argument('<files...>', 'JSON results of `perfbench bench` or `perfbench merge`, oldest first')
    .option('--output <file>', 'write the page here (.html); without it the page goes to stdout')
    .option('--baseline <file>', 'judge every result against this one (default: the first file, when there are several)')
    .option('--fail-if-slower <pct>', `exit 3 when the last result is slower than the baseline by more than this (default threshold ${BENCH_DEFAULTS.failIfSlower}%, not failing)`)
    .addHelpText('after', `
The page has every script and style inline and makes no network request: open it from disk, a CI
artifact or a phone. Charts: latency by percentile (HdrHistogram's axis), speed-ups with their
intervals, throughput and p99 over time, latency against throughput when concurrency was swept;
with several results, each path side by side and a trend with the gate's verdicts. Plans as trees.

Exit codes: 0 ok, 2 usage error (a file missing, not a result, a bad flag), 3 the last result
regressed (with --fail-if-slower).

Examples:
  perfbench report result.json --output report.html
  perfbench report main.json pr.json --output compare.html --fail-if-slower 10%
  perfbench report runs/*.json --baseline main.json --output history.html`)
    .action((files: string[], flags: ReportFlags) => context.run(async (runtime) => {
      const thresholdPct = flags.failIfSlower === undefined ? BENCH_DEFAULTS.failIfSlower : percentOption(flags.failIfSlower, '--fail-if-slower');
      if (flags.output !== undefined) {
        const ext = extname(flags.output).toLowerCase();
        if (ext !== '.html' && ext !== '.htm') throw usageError(`--output ${printable(flags.output)}: report writes HTML`, 'name the file .html, e.g. --output report.html');
        await checkOutputs([{ path: flags.output, format: 'html' }]);
      } else if (process.stdout.isTTY) {
        throw usageError('report writes a whole HTML page', 'pass --output report.html, or redirect stdout to a file');
      }
      const [outcome, assets] = await Promise.all([
        htmlReport(files, { thresholdPct, ...(flags.baseline !== undefined ? { baseline: flags.baseline } : {}) }),
        loadHtmlAssets(),
      ]);
      const html = renderHtmlReport({ ...outcome.input, version: program.version() ?? '' }, assets);
      if (flags.output !== undefined) {
        await writeFileAtomically(flags.output, html);
        runtime.out.say(`wrote ${flags.output} (html, ${formatBytes(Buffer.byteLength(html))})`);
      } else {
        runtime.out.data(html);
      }
      if (outcome.gate?.tripped) {
        const regressed = outcome.gate.verdicts.filter((v) => v.verdict === 'regressed').map((v) => `${v.path} (concurrency ${v.concurrency})`);
        runtime.out.warn(`regressed against ${outcome.input.baselineLabel}: ${regressed.join(', ')}`);
        if (flags.failIfSlower !== undefined) return ExitCode.regression;
      }
      return ExitCode.ok;
    }));
}
