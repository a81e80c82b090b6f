import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderDoctor } from '../../src/report/doctor-text.js';
import { doctor } from '../../src/usecases/doctor.js';
import { seed } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { loadConfig } from '../../src/config.js';
import { tableIdentifier } from '../../src/workload/identifiers.js';
import { memoryOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';
import { usesOnlyItsOwnServers } from '../support/one-file-at-a-time.js';

// Embedded PostgreSQL servers in a cache directory of its own, memory:// for the cache: nothing shared, so no lock.
usesOnlyItsOwnServers();

// /var/tmp rather than a mkdtemp under a mode-700 parent: the embedded server runs as `postgres`.
const cacheDir = mkdtempSync('/var/tmp/perfbench-embedded-test-');
chmodSync(cacheDir, 0o755);

function embeddedRuntime(): Runtime {
  const config = loadConfig({ flags: {}, env: { PERFBENCH_CACHE_DIR: cacheDir, REDIS_URL: 'memory://' }, cwd: '/nonexistent' });
  return new Runtime(config, memoryOutput());
}

function serverRunning(): boolean {
  return existsSync(join(cacheDir, 'pg17-data', 'postmaster.pid'));
}

afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('embedded PostgreSQL', () => {
  it('initialises once, serves a seed, keeps the data across runs and stops with the last user', async () => {
    const first = embeddedRuntime();
    expect(first.config.database.mode).toBe('embedded');
    const result = await seed(first, seedOptions({ table: 'products', rows: '5000', categories: '10', distribution: 'uniform', seed: '3' }));
    expect(result.rows).toBe(5000);
    expect((first.out as ReturnType<typeof memoryOutput>).stderr).toContain('initialising the embedded PostgreSQL 17');
    const client = await first.client();
    expect((await client.query('SHOW server_version')).rows[0].server_version).toMatch(/^17\./);
    expect((await client.query('SELECT current_database() AS db')).rows[0].db).toBe('perfbench');
    expect(first.embedded?.started).toBe(true);

    // A second, concurrent run joins the same server instead of starting another.
    const second = embeddedRuntime();
    const target = await second.database();
    expect(target.port).toBe((await first.database()).port);
    expect(second.embedded?.started).toBe(false);
    await first.close();
    expect(serverRunning()).toBe(true); // still leased by the second run
    await second.close();
    expect(serverRunning()).toBe(false);
    expect(readdirSync(join(cacheDir, 'pg17-leases'))).toEqual([]);

    // The next run finds the seeded data without initialising again.
    const third = embeddedRuntime();
    const again = await seed(third, seedOptions({ table: 'products', rows: '5000', categories: '10', distribution: 'uniform', seed: '3' }));
    expect(again.unchanged).toBe(true);
    expect((third.out as ReturnType<typeof memoryOutput>).stderr).not.toContain('initialising');
    const report = await doctor(third, tableIdentifier('products'));
    expect(report.healthy).toBe(true);
    expect(renderDoctor(report)).toContain(`(embedded, data in ${join(cacheDir, 'pg17-data')})`);
    expect(renderDoctor(report)).toContain('in-process (no Redis) (in-process)');
    await third.close();
    expect(serverRunning()).toBe(false);
  });

  it('keeps its password out of every output', async () => {
    const runtime = embeddedRuntime();
    const report = await doctor(runtime, tableIdentifier('products'));
    await runtime.close();
    const { readFileSync } = await import('node:fs');
    const secret = readFileSync(join(cacheDir, 'pg17-data.secret'), 'utf8').trim();
    expect(secret.length).toBeGreaterThan(10);
    expect(JSON.stringify(report)).not.toContain(secret);
    expect(renderDoctor(report)).not.toContain(secret);
  });

  it('rejects a wrong password (the embedded server uses SCRAM) in one line without echoing it', async () => {
    const runtime = embeddedRuntime();
    const target = await runtime.database();
    const { connectClient } = await import('../../src/db/connection.js');
    const error = await connectClient({ ...target, password: 'not-the-password-42' }, 3000).catch((e) => e);
    await runtime.close();
    expect(error.line).toBe(`cannot connect to PostgreSQL at 127.0.0.1:${target.port}: password authentication failed for user 'postgres' — check DB_PASSWORD / PGPASSWORD or the password in DATABASE_URL`);
    expect(error.line).not.toContain('not-the-password-42');
  });
});

describe('embedded PostgreSQL binaries as root', () => {
  it.runIf(process.getuid?.() === 0)('copies binaries the postgres user cannot reach into the cache directory', async () => {
    const { cpSync, mkdtempSync: makeTemp } = await import('node:fs');
    const { ensureServiceUser, reachableBinaries, shippedBinaries } = await import('../../src/db/embedded-postgres.js');
    const shipped = await shippedBinaries();
    // A checkout under a mode-700 directory, as in a fresh `mktemp -d` clone.
    const hidden = makeTemp('/tmp/perfbench-hidden-');
    const native = join(hidden, 'native');
    cpSync(join(shipped.initdb, '..', '..'), native, { recursive: true, verbatimSymlinks: true });
    const unreachable = { ...shipped, initdb: join(native, 'bin', 'initdb'), pg_ctl: join(native, 'bin', 'pg_ctl') };
    const copyCache = mkdtempSync('/var/tmp/perfbench-copy-test-');
    chmodSync(copyCache, 0o755);
    try {
      const runAs = ensureServiceUser();
      expect(runAs.uid).toBeGreaterThan(0);
      const reachable = reachableBinaries(unreachable, copyCache, runAs);
      expect(reachable.initdb).toBe(join(copyCache, `pg-${shipped.version}`, 'bin', 'initdb'));
      // Reachable binaries are used where they are (the copy is reachable by construction; the
      // shipped ones may not be: CI clones under a mode-700 temporary directory).
      expect(reachableBinaries(reachable, copyCache, runAs)).toBe(reachable);
      // A second call reuses the copy.
      expect(reachableBinaries(unreachable, copyCache, runAs).initdb).toBe(reachable.initdb);
    } finally {
      rmSync(hidden, { recursive: true, force: true });
      rmSync(copyCache, { recursive: true, force: true });
    }
  });
});
