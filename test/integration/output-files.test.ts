/**
 * `--output` files (issue 15 item 8): written to a temporary file beside the target and renamed
 * over it, so a full disk never truncates an existing baseline; every path checked before the run
 * (exit 2, one line); when one of several outputs fails, the others are still written and the run
 * fails with exit 1 naming the one that failed.
 *
 * The full disk is real: a 64 kB tmpfs filled to the last page (root can mount one). Where mount is
 * not permitted, RLIMIT_FSIZE (`ulimit -f`) of the child running the CLI stands in for it: writes
 * past the limit fail with EFBIG the way a full disk fails with ENOSPC. Either way the write that
 * fails is the new report, bigger than the old baseline: an in-place overwrite would truncate the
 * baseline and then stop half-way, which is what the byte-for-byte comparison catches.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { cli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'perfbench-output-'));
/** A valid result to merge: the reporters' golden bench result. */
const RESULT = resolve('test/golden/bench.json');
/** The baseline already on disk: valid JSON, smaller than the report that replaces it. */
const OLD_BASELINE = `${JSON.stringify({ kind: 'perfbench.bench', note: 'the baseline CI compares with' })}\n`;
const mounts: string[] = [];
const immutable: string[] = [];

function mountTmpfs(at: string, options: string): boolean {
  mkdirSync(at, { recursive: true });
  if (process.getuid?.() !== 0) return false;
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { encoding: 'utf8' });
  if (mounted.status !== 0) return false;
  mounts.push(at);
  return true;
}

/** Fills the file system under `at` to the last byte. */
function fill(at: string): void {
  const block = Buffer.alloc(1024, 120);
  for (let i = 0; ; i++) {
    try {
      writeFileSync(join(at, `filler-${i}`), block);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw error;
    }
  }
}

/**
 * A directory no one may write to, as root too (root writes through any mode bits): a read-only
 * tmpfs; where mount is not permitted, an immutable directory (chattr +i); a normal user gets mode 555.
 */
function readOnlyDirectory(at: string): void {
  mkdirSync(at, { recursive: true });
  if (mountTmpfs(at, 'ro,size=16k')) return;
  if (process.getuid?.() !== 0) return chmodSync(at, 0o555);
  if (spawnSync('chattr', ['+i', at]).status === 0) return void immutable.push(at);
  throw new Error('cannot make a read-only directory as root here: neither mount nor chattr +i is permitted');
}

afterAll(() => {
  for (const at of immutable) spawnSync('chattr', ['-i', at]);
  for (const at of mounts) if (spawnSync('umount', [at]).status !== 0) spawnSync('umount', ['-l', at]);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI from source in a child process, optionally under a file-size limit (in 1 kB blocks). */
function perfbench(args: string[], fileSizeLimitKb?: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const node = `${JSON.stringify(process.execPath)} --import tsx test/support/perfbench-src.ts ${args.map((a) => JSON.stringify(a)).join(' ')}`;
  const command = fileSizeLimitKb === undefined ? `exec ${node}` : `ulimit -f ${fileSizeLimitKb}; exec ${node}`;
  const child = spawn('bash', ['-c', command], { env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })));
}

describe('--output on a full disk', () => {
  it('keeps the old baseline whole, still writes the other output, and exits 1 naming the one that failed', async () => {
    const disk = join(dir, 'full');
    const onTmpfs = mountTmpfs(disk, 'size=64k,mode=755');
    const baseline = join(disk, 'baseline.json');
    writeFileSync(baseline, OLD_BASELINE);
    if (onTmpfs) fill(disk);
    const elsewhere = join(dir, 'summary.csv');

    // The failing output comes first: a publish that stopped at the first failure would not write the second.
    const run = await perfbench(['merge', RESULT, '--format', 'csv', '--output', baseline, '--output', elsewhere], onTmpfs ? undefined : 2);
    const code = onTmpfs ? 'ENOSPC' : 'EFBIG';
    expect(run.code, run.stderr).toBe(ExitCode.failure);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`perfbench: cannot write --output ${baseline} (${code}) — the other output was written; an existing file there is left as it was — free space or fix the permissions and run again`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(lines).toContain(`wrote ${elsewhere} (csv)`);
    expect(readFileSync(baseline, 'utf8')).toBe(OLD_BASELINE);
    expect(readFileSync(elsewhere, 'utf8')).toMatch(/^path,kind,/);
    // No temporary file is left behind.
    expect(readdirSync(disk).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('--output paths are checked before the run (exit 2, one line)', () => {
  it.each([
    ['a directory that does not exist', () => join(dir, 'no-such-dir', 'r.json'), /^perfbench: --output .*no-such-dir\/r\.json: the directory .*no-such-dir does not exist — create it, or choose another --output path$/],
    ['a directory under a file', () => {
      writeFileSync(join(dir, 'plain-file'), '');
      return join(dir, 'plain-file', 'r.json');
    }, /: the directory .*plain-file is not a directory — create it/],
    ['a directory itself', () => {
      mkdirSync(join(dir, 'taken.json'), { recursive: true });
      return join(dir, 'taken.json');
    }, /^perfbench: --output .*taken\.json is a directory — name a file, e\.g\. result\.json$/],
  ])('bench refuses %s before it touches the database', async (_, path, message) => {
    // A table that does not exist: had the run started, that would have been the error.
    const run = await cli(['bench', '--table', 'pbt_no_such_table', '--output', path()]);
    expect(run.code, run.stderr).toBe(ExitCode.usage);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr.trimEnd()).toMatch(message);
  });

  it('refuses a directory on a read-only file system', async () => {
    const readOnly = join(dir, 'read-only');
    readOnlyDirectory(readOnly);
    const run = await cli(['bench', '--table', 'pbt_no_such_table', '--output', join(readOnly, 'r.json')]);
    expect(run.code, run.stderr).toBe(ExitCode.usage);
    expect(run.stderr.trimEnd()).toMatch(/^perfbench: --output .*read-only\/r\.json: the directory .*read-only (is on a read-only file system|is not writable) — create it, or choose another --output path$/);
  });

  it('merge checks them before it reads its inputs', async () => {
    const run = await cli(['merge', join(dir, 'missing-input.json'), '--output', join(dir, 'nowhere', 'm.json')]);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toMatch(/^perfbench: --output .*nowhere\/m\.json: the directory .*nowhere does not exist/);
  });
});

describe('--output replaces a file whole', () => {
  it('renames over the old file, keeping its mode, and writes through a symbolic link to its target', async () => {
    const target = join(dir, 'kept.json');
    writeFileSync(target, OLD_BASELINE);
    chmodSync(target, 0o640);
    const link = join(dir, 'link.json');
    symlinkSync(target, link);
    const run = await cli(['merge', RESULT, '--format', 'csv', '--output', target]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(JSON.parse(readFileSync(target, 'utf8'))).toMatchObject({ kind: 'perfbench.bench' });
    expect(statSync(target).mode & 0o777).toBe(0o640);

    const viaLink = await cli(['merge', RESULT, '--format', 'csv', '--output', link]);
    expect(viaLink.code, viaLink.stderr).toBe(ExitCode.ok);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(target)).toBe(true);
  });
});
