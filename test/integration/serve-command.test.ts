/**
 * The `serve` command as the CLI runs it: a Runtime on the real PostgreSQL and Redis, stopped by its
 * abort signal (what Ctrl-C and SIGTERM trigger) while a request is in flight.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { UserError } from '../../src/errors.js';
import { memoryOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';
import { register } from '../../src/commands/serve.js';
import { serve, startServe, } from '../../src/usecases/report-server.js';
import type { ServeSummary } from '../../src/report/serve-text.js';
import { serveOptions } from '../../src/flags/serve-flags.js';
import { Command } from 'commander';
import { TABLE, dropTable, eventually, fetchRaw, seedTable, type Reply } from './serve-helpers.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/services.js';

const runtimes: Runtime[] = [];

beforeAll(async () => {
  await seedTable();
});

afterEach(async () => {
  while (runtimes.length > 0) await runtimes.pop()!.close();
});

afterAll(async () => {
  // The command writes real keys (namespace: dataset version, table, column): remove this table's.
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys = await redis.keys(`perfbench:report:v1:*:${TABLE}:category:*`);
    if (keys.length > 0) await redis.unlink(...keys);
  } finally {
    redis.disconnect();
  }
  await dropTable();
});

function runtime(controller = new AbortController()) {
  const out = memoryOutput();
  const config = loadConfig({ flags: { databaseUrl: TEST_DATABASE_URL, redisUrl: TEST_REDIS_URL }, env: {}, cwd: '/nonexistent' });
  const rt = new Runtime(config, out, controller.signal);
  runtimes.push(rt);
  return { rt, out, controller };
}

const flags = (extra: Partial<Record<string, string>> = {}) => ({ port: '0', host: '127.0.0.1', table: TABLE, column: 'category', ttl: '300', pool: '4', ...extra });

describe('perfbench serve', () => {
  it('prints the URL and curl lines, serves, and drains in-flight requests when stopped', async () => {
    const { rt, out, controller } = runtime();
    const serving = serve(rt, serveOptions(flags()));
    const url = await eventually('the listening line', async () => /listening on (http:\/\/\S+)/.exec(out.stderr)?.[1]);
    expect(out.stderr).toContain(`curl -i '${url}/report/fast?category=cat-00'`);
    expect(out.stderr).not.toContain('warning');

    // A lock held by another session keeps the report queries waiting inside PostgreSQL.
    const locker = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await locker.connect();
    let summary: ServeSummary;
    let replies: Reply[];
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${TABLE} IN ACCESS EXCLUSIVE MODE`);
      const inFlight = Array.from({ length: 5 }, (_, i) => fetchRaw(`${url}/report/slow?category=cat-1${i}`));
      await eventually('5 requests in flight', async () => ((await fetchRaw(`${url}/metrics`)).body.toString().includes('perfbench_slow_queue_depth 5') ? true : undefined));
      let stopped = false;
      controller.abort();
      const serving2 = serving.then((summary) => {
        stopped = true;
        return summary;
      });
      await eventually('draining to start', async () => (/draining/.test(out.stderr) ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(stopped).toBe(false);
      await locker.query('COMMIT');
      summary = await serving2;
      replies = await Promise.all(inFlight);
    } finally {
      await locker.end();
    }
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200, 200]);
    expect(summary.slow).toBe(5);
    expect(out.stderr).toMatch(/draining in-flight requests…\nstopped: \d+ requests \(5 slow, 0 fast/);
    expect(out.stdout).toBe('');
    await expect(fetchRaw(`${url}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('warns about a non-loopback host', async () => {
    const { rt, out, controller } = runtime();
    const serving = serve(rt, serveOptions(flags({ host: '0.0.0.0' })));
    await eventually('the listening line', async () => (/listening on/.test(out.stderr) ? true : undefined));
    controller.abort();
    await serving;
    expect(out.stderr).toMatch(/warning: --host 0\.0\.0\.0 is not a loopback address/);
  });

  it('fails with one line for a missing table, a busy port and bad flags', async () => {
    const { rt } = runtime();
    await expect(startServe(rt, serveOptions(flags({ table: 'serve_no_such_table' })))).rejects.toThrow(/table serve_no_such_table does not exist/);

    const first = await startServe(rt, serveOptions(flags()));
    const busy = startServe(rt, serveOptions(flags({ port: String(first.port) })));
    await expect(busy).rejects.toBeInstanceOf(UserError);
    await expect(busy).rejects.toThrow(/port is in use/);

    expect(() => serveOptions(flags({ port: '70000' }))).toThrow(/--port '70000' is not a whole number from 0 to 65,535/);
    expect(() => serveOptions(flags({ ttl: '0' }))).toThrow(/--ttl/);
    expect(() => serveOptions(flags({ pool: 'many' }))).toThrow(/--pool/);
    expect(() => serveOptions(flags({ table: 'x;drop' }))).toThrow(/not a valid table name/);
  });

  it('is wired to commander: flags, defaults and help, and exits 0 after Ctrl-C', async () => {
    const { rt, out, controller } = runtime();
    const program = new Command('perfbench').exitOverride();
    let code: number | void = undefined;
    register(program, { run: async (action) => {
      code = await action(rt);
    } });
    const help = program.commands.find((command) => command.name() === 'serve')!.helpInformation();
    for (const flag of ['--port <n>', '--host <address>', '--table <name>', '--column <name>', '--ttl <seconds>', '--pool <n>']) expect(help).toContain(flag);
    const parsed = program.parseAsync(['node', 'perfbench', 'serve', '--port', '0', '--table', TABLE, '--ttl', '60', '--pool', '2']);
    const url = await eventually('the listening line', async () => /listening on (http:\/\/\S+)/.exec(out.stderr)?.[1]);
    expect(out.stderr).toContain(`(table ${TABLE}, column category, pool 2, cache redis`);
    expect(out.stderr).toContain('ttl 60 s)');
    expect((await fetchRaw(`${url}/report/fast?category=cat-00`)).status).toBe(200);
    controller.abort();
    await parsed;
    expect(code).toBe(0);
    expect(out.stderr).toMatch(/stopped: 1 request \(0 slow, 1 fast: (1 hit, 0 misses|0 hits, 1 miss), 0 bypasses\)/);
  });
});
