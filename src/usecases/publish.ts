/**
 * Where a bench (or merge) result goes: the chosen format on stdout, every --output file in the
 * format its extension names, and the Markdown report appended to $GITHUB_STEP_SUMMARY when set.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import type { ChalkInstance } from 'chalk';
import type { Comparison } from '../measure/compare.js';
import type { GateReport } from '../measure/gate.js';
import type { BenchResult } from '../measure/result.js';
import { UserError } from '../errors.js';
import { renderChecksMarkdown, renderChecksText } from '../report/bench-checks.js';
import { renderBenchCsv } from '../report/bench-csv.js';
import { renderGateMarkdown } from '../report/bench-gate.js';
import { renderBenchJson } from '../report/bench-json.js';
import { renderBenchMarkdown } from '../report/bench-markdown.js';
import { renderBenchTable } from '../report/bench-table.js';
import type { Runtime } from '../runtime.js';
import type { BenchFormat, OutputFile } from '../flags/bench-flags.js';

export interface Rendered {
  result: BenchResult;
  comparisons: readonly Comparison[];
  gate?: GateReport;
}

/** The report in one format. Markdown carries the gate's verdicts; JSON is the result contract alone. */
export function renderReport(format: BenchFormat, report: Rendered, chalk?: ChalkInstance): string {
  const { result, comparisons, gate } = report;
  switch (format) {
    case 'json':
      return renderBenchJson(result, comparisons);
    case 'csv':
      return renderBenchCsv(result);
    case 'markdown': {
      const checks = renderChecksMarkdown(result);
      return renderBenchMarkdown(result, comparisons) + (checks ? `\n${checks}` : '') + (gate ? `\n${renderGateMarkdown(gate)}` : '');
    }
    case 'table': {
      const checks = renderChecksText(result);
      return renderBenchTable(result, comparisons, chalk ? { chalk } : {}) + (checks ? `\n${chalk ? chalk.dim(checks) : checks}` : '');
    }
  }
}

/** Prints the chosen format, writes the --output files and the step summary. */
export async function publish(runtime: Runtime, format: BenchFormat, outputs: readonly OutputFile[], report: Rendered,
  env: NodeJS.ProcessEnv = process.env): Promise<void> {
  runtime.out.data(renderReport(format, report, runtime.out.color));
  for (const output of outputs) {
    try {
      await writeFile(output.path, renderReport(output.format, report));
    } catch (error) {
      throw new UserError(`cannot write --output ${output.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        'check that the directory exists and is writable');
    }
    runtime.out.say(`wrote ${output.path} (${output.format})`);
  }
  const summary = env.GITHUB_STEP_SUMMARY;
  if (summary) {
    try {
      await appendFile(summary, `${renderReport('markdown', report)}\n`);
    } catch (error) {
      runtime.out.warn(`cannot append to $GITHUB_STEP_SUMMARY (${summary}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
}
