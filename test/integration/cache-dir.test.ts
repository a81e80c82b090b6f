/**
 * A bad PERFBENCH_CACHE_DIR (issue 15 item 9): read-only, a file, under a file, or not permitted.
 * Each ends with one line naming the variable and what to do, and exit 2, where it printed a stack
 * trace and "this is a bug" with exit 1. Through the CLI (main), with no database configured so
 * the embedded PostgreSQL is asked for; every case fails before a server is started.
 *
 * How each case is made real, as root (the tests run as root; root writes through mode bits):
 * - read-only: a tmpfs mounted read-only (EROFS); where mount is not permitted, an immutable
 *   directory (chattr +i: EPERM even for root); a normal user gets a mode-555 directory.
 * - not permitted: a directory of root's with mode 000. Root itself may write there, but the
 *   embedded server runs as `postgres` (PostgreSQL refuses root), which cannot enter it: exactly
 *   what failed later inside initdb. For a normal user the same directory refuses the user itself.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { cli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'perfbench-cache-dir-'));
const root = process.getuid?.() === 0;
const mounts: string[] = [];
const immutable: string[] = [];
const HINT = ' — set PERFBENCH_CACHE_DIR to a writable directory, or set DATABASE_URL to use a PostgreSQL server of your own';

/** No PostgreSQL configured anywhere: the command asks for the embedded one. */
const embeddedOnly = (cacheDir: string): Record<string, string> => ({
  PERFBENCH_CACHE_DIR: cacheDir, DATABASE_URL: '', REDIS_URL: 'memory://',
  PGHOST: '', PGPORT: '', PGUSER: '', PGDATABASE: '', DB_HOST: '', DB_PORT: '', DB_USER: '', DB_NAME: '',
});

function readOnlyDirectory(at: string): 'EROFS' | 'EPERM' | 'EACCES' {
  mkdirSync(at, { recursive: true });
  if (root && spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=16k', 'tmpfs', at]).status === 0) {
    mounts.push(at);
    return 'EROFS';
  }
  if (!root) {
    chmodSync(at, 0o555);
    return 'EACCES';
  }
  if (spawnSync('chattr', ['+i', at]).status === 0) {
    immutable.push(at);
    return 'EPERM';
  }
  throw new Error('cannot make a read-only directory as root here: neither mount nor chattr +i is permitted');
}

let readOnly = '';
let readOnlyKind = '';
beforeAll(() => {
  writeFileSync(join(dir, 'a-file'), 'not a directory\n');
  readOnly = join(dir, 'read-only');
  readOnlyKind = readOnlyDirectory(readOnly);
  mkdirSync(join(dir, 'locked'));
  chmodSync(join(dir, 'locked'), 0o000);
});

afterAll(() => {
  for (const at of immutable) spawnSync('chattr', ['-i', at]);
  for (const at of mounts) if (spawnSync('umount', [at]).status !== 0) spawnSync('umount', ['-l', at]);
  chmodSync(join(dir, 'locked'), 0o755);
  rmSync(dir, { recursive: true, force: true });
});

const notWritable = () => (readOnlyKind === 'EROFS' ? 'read-only file system' : 'permission denied');

describe('a bad PERFBENCH_CACHE_DIR: one line naming it, exit 2', () => {
  it.each<[string, () => string, () => string]>([
    ['a file', () => join(dir, 'a-file'), () => 'is a file, not a directory'],
    ['under a file', () => join(dir, 'a-file', 'cache', 'deeper'), () => `cannot be created: ${join(dir, 'a-file')} is a file`],
    ['read-only', () => readOnly, () => `is not writable (${notWritable()})`],
    ['under a read-only directory', () => join(readOnly, 'cache'), () => `cannot be created (${notWritable()})`],
    ['not permitted', () => join(dir, 'locked'), () => (root
      ? 'cannot be entered by the postgres user the embedded server runs as (a directory on its path is not searchable by others)'
      : 'is not writable (permission denied)')],
    ['under a directory that is not permitted', () => join(dir, 'locked', 'cache'), () => (root
      ? 'cannot be entered by the postgres user the embedded server runs as (a directory on its path is not searchable by others)'
      : 'cannot be created (permission denied)')],
  ])('%s', async (_, cacheDir, problem) => {
    const run = await cli(['index', 'list', '--table', 'pbt_cache_dir'], embeddedOnly(cacheDir()));
    expect(run.code, run.stderr).toBe(ExitCode.usage);
    expect(run.stderr).toBe(`perfbench: the cache directory ${cacheDir()} (PERFBENCH_CACHE_DIR) ${problem()}${HINT}\n`);
    expect(run.stdout).toBe('');
  });

  it('leaves nothing behind where it refused', () => {
    // The directory created inside the mode-000 one (root may) is removed once it proves unusable.
    chmodSync(join(dir, 'locked'), 0o755);
    try {
      expect(readdirSync(join(dir, 'locked'))).toEqual([]);
    } finally {
      chmodSync(join(dir, 'locked'), 0o000);
    }
    expect(existsSync(join(dir, 'a-file', 'cache'))).toBe(false);
  });
});
