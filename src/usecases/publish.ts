/**
 * Use case: publish a result. Where a bench (or merge) result goes: the chosen format on stdout, every --output file in the
 * format its extension names, and the Markdown report appended to $GITHUB_STEP_SUMMARY when set.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { renderReport, type BenchFormat, type Rendered } from '../report/bench-report.js';
import type { Runtime } from '../runtime.js';

/** A file to write, and the format its extension asks for. */
export interface OutputFile {
  path: string;
  format: BenchFormat;
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
