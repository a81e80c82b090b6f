/**
 * pgbench for the tests and benches that run pgbench's own tables or scripts: the binary (on the
 * PATH, else the newest PostgreSQL's own: Debian keeps it in /usr/lib/postgresql/<major>/bin), and
 * `pgbench -i` into a database, remembering whether its tables were there before so the caller
 * can leave the database as it found it; and the script files a test writes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PGBENCH_TABLES = ['pgbench_accounts', 'pgbench_branches', 'pgbench_history', 'pgbench_tellers'] as const;

/** pgbench on the PATH, else the newest PostgreSQL's own. */
export function pgbenchBinary(): string {
  try {
    execFileSync('pgbench', ['--version'], { stdio: 'ignore' });
    return 'pgbench';
  } catch {
    const majors = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
    const found = majors.map((major) => `/usr/lib/postgresql/${major}/bin/pgbench`).find((path) => existsSync(path));
    if (!found) throw new Error('pgbench is not installed (it comes with the postgresql package)');
    return found;
  }
}

/** Whether public.pgbench_branches exists (pgbench's tables were made before). */
export async function hasPgbenchTables(client: pg.ClientBase): Promise<boolean> {
  return (await client.query("SELECT to_regclass('public.pgbench_branches') IS NOT NULL AS present")).rows[0].present === true;
}

/**
 * `pgbench -i -s <scale> -q` into the database; `steps` is pgbench's -I (e.g. 'dtg': tables and
 * data without primary keys). Quiet: its progress goes nowhere.
 */
export function pgbenchInit(databaseUrl: string, options: { scale?: number; steps?: string } = {}): void {
  const args = ['-i', '-s', String(options.scale ?? 1), '-q', ...(options.steps ? ['-I', options.steps] : []), databaseUrl];
  execFileSync(pgbenchBinary(), args, { stdio: 'ignore' });
}

/** pgbench's tables made afresh by `pgbench -i -s 1` for a test file; says whether they were there before (for restorePgbenchTables). */
export async function takePgbenchTables(client: pg.ClientBase, databaseUrl: string): Promise<boolean> {
  const hadThem = await hasPgbenchTables(client);
  pgbenchInit(databaseUrl);
  return hadThem;
}

/** Drops pgbench's four tables from public, where there. */
export async function dropPgbenchTables(client: pg.ClientBase): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${PGBENCH_TABLES.map((t) => `public.${t}`).join(', ')}`);
}

/** Leaves pgbench's tables as found: remade by pgbench -i (with primary keys) when they were there, else dropped. */
export async function restorePgbenchTables(client: pg.ClientBase, databaseUrl: string, hadThem: boolean): Promise<void> {
  if (hadThem) pgbenchInit(databaseUrl);
  else await dropPgbenchTables(client);
}

/** Writes pgbench scripts for a test file: `script(name, text)` saves one in a temporary directory of its own (named from `prefix`) and returns its path. */
export function scriptWriter(prefix: string): (name: string, text: string) => string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return (name, text) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
}
