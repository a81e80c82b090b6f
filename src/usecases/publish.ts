/**
 * Use case: publish a result. Where a bench (or merge) result goes: the chosen format on stdout, every --output file in the
 * format its extension names, and the Markdown report appended to $GITHUB_STEP_SUMMARY when set.
 *
 * An --output file is written beside its target under a temporary name, flushed, and renamed over it: a full disk or a
 * crash leaves the old file (often the baseline CI compares with) whole, never truncated. The paths are checked before
 * the run (`checkOutputs`), so a typo costs seconds, not minutes of measuring.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, appendFile, chmod, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError, usageError } from '../errors.js';
import { dataColors } from '../output.js';
import { printable } from '../workload/identifiers.js';
import { renderReport, type BenchFormat, type Rendered } from '../report/bench-report.js';
import type { Runtime } from '../runtime.js';
import { loadHtmlAssets } from './report-html.js';

/** A file to write, and the format its extension asks for. */
export interface OutputFile {
  path: string;
  format: BenchFormat;
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/** Why an errno keeps a directory from taking a file, in words. */
function directoryProblem(code: string): string {
  switch (code) {
    case 'ENOENT': return 'does not exist';
    case 'ENOTDIR': return 'is not a directory';
    case 'EROFS': return 'is on a read-only file system';
    case 'EACCES':
    case 'EPERM': return 'is not writable';
    default: return `cannot be used (${code})`;
  }
}

/**
 * Checks every --output path before a run: the file is not a directory, and its directory exists and is writable.
 * Throws one usage error (exit 2) naming the first path that cannot be written.
 */
export async function checkOutputs(outputs: readonly OutputFile[]): Promise<void> {
  for (const output of outputs) {
    const shown = printable(output.path, 200);
    const target = await writeTarget(output.path);
    const found = await stat(target).catch(() => undefined);
    if (found?.isDirectory()) throw usageError(`--output ${shown} is a directory`, 'name a file, e.g. result.json');
    const directory = dirname(target);
    try {
      const dir = await stat(directory);
      if (!dir.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      await access(directory, constants.W_OK | constants.X_OK);
    } catch (error) {
      throw usageError(`--output ${shown}: the directory ${printable(directory, 200)} ${directoryProblem(errorCode(error))}`,
        'create it, or choose another --output path');
    }
  }
}

/** The file a write lands on: a symbolic link is followed, so the rename replaces its target, not the link. */
async function writeTarget(path: string): Promise<string> {
  return realpath(path).catch(() => resolve(path));
}

/**
 * Writes `text` to `path` through a temporary file in the same directory, renamed over it once flushed. A path that
 * exists and is not a regular file (a FIFO, /dev/stdout) is written in place: renaming over it would replace it.
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const target = await writeTarget(path);
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isFile()) {
    const handle = await open(target, 'w');
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    return;
  }
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', existing ? existing.mode & 0o7777 : 0o666);
  try {
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // open's mode is filtered by the umask; the replaced file's own mode is kept as it was.
    if (existing) await chmod(temporary, existing.mode & 0o7777);
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/**
 * Prints the chosen format, writes the --output files and the step summary. A file that cannot be written does not stop
 * the others: each is tried, then one error (exit 1) names those that failed.
 */
export async function publish(runtime: Runtime, format: BenchFormat, outputs: readonly OutputFile[], report: Rendered,
  env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // The HTML page inlines the chart library; it is read from the installed package only when asked for.
  if (format === 'html' || outputs.some((o) => o.format === 'html')) report = { ...report, htmlAssets: await loadHtmlAssets() };
  // Only the table is coloured: the other formats need no chalk loaded.
  runtime.out.data(renderReport(format, report, format === 'table' ? await dataColors(runtime.out) : undefined));
  const failed: string[] = [];
  for (const output of outputs) {
    try {
      await writeFileAtomically(output.path, renderReport(output.format, report));
    } catch (error) {
      failed.push(`${printable(output.path, 200)} (${errorCode(error)})`);
      continue;
    }
    runtime.out.say(`wrote ${output.path} (${output.format})`);
  }
  const summary = env.GITHUB_STEP_SUMMARY;
  if (summary) {
    try {
      await appendFile(summary, `${renderReport('markdown', report)}\n`);
    } catch (error) {
      runtime.out.warn(`cannot append to $GITHUB_STEP_SUMMARY (${summary}): ${errorCode(error)}`);
    }
  }
  if (failed.length > 0) {
    const others = outputs.length - failed.length;
    throw new UserError(`cannot write --output ${failed.join(', ')}`,
      `${others > 0 ? `the other ${others === 1 ? 'output was' : `${others} outputs were`} written; ` : ''}an existing file there is left as it was — free space or fix the permissions and run again`);
  }
}
