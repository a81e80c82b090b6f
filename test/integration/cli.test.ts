import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { freeLoopbackPort } from '../../src/net.js';
import { cli } from '../support/cli.js';
import { TEST_DATABASE_URL, dropSeededTable, uniqueTable } from '../support/services.js';

const table = uniqueTable('cli');
afterAll(async () => {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await dropSeededTable(admin, table);
  await admin.end();
});

describe('perfbench CLI', () => {
  it('lists every command with examples and exit codes', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const word of ['seed', 'index', 'doctor', 'explain', 'bench', 'merge', 'serve', 'Examples:', 'Exit codes:', '3    a regression gate tripped']) {
      expect(help.stdout).toContain(word);
    }
    const version = await cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const seedHelp = await cli(['seed', '--help']);
    expect(seedHelp.code).toBe(0);
    expect(seedHelp.stdout).toContain('Example:');
  });

  it('exits 2 on bad usage, with one line and no stack', async () => {
    const unknown = await cli(['seed', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");

    const badNumber = await cli(['seed', '--rows', '-5', '--table', table]);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toBe("perfbench: --rows '-5' is not a whole number from 1 to 500,000,000\n");

    const badConfig = await cli(['doctor'], { DB_PORT: 'abc', DATABASE_URL: '', PERFBENCH_CONNECT_TIMEOUT_MS: 'x' });
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr.trim().split('\n')).toHaveLength(1);
    expect(badConfig.stderr).toContain("env DB_PORT 'abc' is not a port");
    expect(badConfig.stderr).toContain("env PERFBENCH_CONNECT_TIMEOUT_MS 'x'");
    expect(badConfig.stderr).not.toMatch(/\n\s+at /);
  });

  it('seeds, indexes, lists and drops through the commands', async () => {
    const seeded = await cli(['seed', '--table', table, '--rows', '3000', '--categories', '20']);
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toContain(`seeded ${table}: 3,000 rows`);
    const add = await cli(['index', 'add', '--table', table]);
    expect(add.code).toBe(0);
    expect(add.stdout).toContain(`created index ${table}_category_btree_pb`);
    const list = await cli(['index', 'list', '--table', table]);
    expect(list.stdout).toContain('perfbench');
    const drop = await cli(['index', 'drop', '--table', table]);
    expect(drop.stdout).toBe(`dropped ${table}_category_btree_pb from ${table}\n`);
    const dropAgain = await cli(['index', 'drop', '--table', table]);
    expect(dropAgain.code).toBe(0);
    expect(dropAgain.stdout).toContain('nothing to do');
    const missing = await cli(['index', 'list', '--table', 'pbt_no_such_table']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('table pbt_no_such_table does not exist');
    const bad = await cli(['index', 'add', '--table', table, '--method', 'gist']);
    expect(bad.code).toBe(2);
  });

  it('doctor reports what is configured, where it came from, and exits 1 when a server is unreachable', async () => {
    const healthy = await cli(['doctor', '--table', table, '--format', 'json']);
    expect(healthy.code).toBe(0);
    const report = JSON.parse(healthy.stdout);
    expect(report.postgres.ok).toBe(true);
    expect(report.redis.ok).toBe(true);
    expect(report.configuration.database.sources.host).toBe('env DATABASE_URL');
    expect(report.table.dataset.parameters.rows).toBe(3000);

    const port = await freeLoopbackPort();
    const down = await cli(['doctor', '--database-url', `postgres://root@127.0.0.1:${port}/test`]);
    expect(down.code).toBe(1);
    expect(down.stdout).toContain(`FAILED     cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused`);
    expect(down.stdout).toContain('host, port, user, database from flag --database-url');
  });

  it('a command that cannot reach PostgreSQL exits 1 with one line', async () => {
    const port = await freeLoopbackPort();
    const { code, stderr: err } = await cli(['seed', '--rows', '10'], { DATABASE_URL: `postgres://root@127.0.0.1:${port}/test` });
    expect(code).toBe(1);
    expect(err).toBe(`perfbench: cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused — is the server running? check DATABASE_URL / DB_HOST / DB_PORT (or --database-url)\n`);
  });

  it('never prints a password, in any form of configuration', async () => {
    const secret = 'S3cr3t-pw-4711';
    const url = new URL(TEST_DATABASE_URL);
    url.password = secret;
    const forms: Array<[string[], Record<string, string>]> = [
      [['doctor', '--format', 'json'], { DATABASE_URL: url.toString(), REDIS_URL: `redis://:${secret}@127.0.0.1:1` }],
      [['doctor'], { DATABASE_URL: '', DB_HOST: url.hostname, DB_PORT: url.port, DB_USER: 'root', DB_NAME: 'test', DB_PASSWORD: secret }],
      [['doctor'], { DATABASE_URL: '', PGHOST: url.hostname, PGUSER: 'root', PGDATABASE: 'test', PGPASSWORD: secret, REDIS_PASSWORD: secret, REDIS_HOST: '127.0.0.1', REDIS_URL: '' }],
      [['doctor', '--database-url', url.toString().replace('5432', '1')], {}],
    ];
    for (const [args, env] of forms) {
      const result = await cli(args, env);
      expect(result.stdout + result.stderr).not.toContain(secret);
      expect(result.stdout).toContain('***');
    }
  });

  it('starts fast through the launcher', () => {
    const result = spawnSync('./bin/perfbench', ['--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: perfbench');
  });
});
