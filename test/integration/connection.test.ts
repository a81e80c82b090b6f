import { describe, expect, it, vi } from 'vitest';
import { connectRedis } from '../../src/cache/redis.js';
import { loadConfig } from '../../src/config.js';
import { connectClient, openPool, type ConnectionTarget } from '../../src/db/connection.js';
import { LeanSession, type SqlSession } from '../../src/db/lean-session.js';
import { pgDriver } from '../../src/db/pg-driver.js';
import { memoryOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';
import { TEST_DATABASE_URL } from '../support/services.js';
import { useSilentServer } from '../support/silent-server.js';

const silent = useSilentServer();

const base = new URL(TEST_DATABASE_URL);
function target(overrides: Partial<ConnectionTarget> = {}): ConnectionTarget {
  return {
    host: base.hostname, port: Number(base.port || 5432), user: decodeURIComponent(base.username), password: undefined,
    database: base.pathname.slice(1), sslmode: 'disable', mode: 'external', ...overrides,
  };
}

describe('PostgreSQL connection failures, one line each', () => {
  it('times out against a silent server within the bound', async () => {
    const started = Date.now();
    const error = await connectClient(target({ port: silent.port, host: '127.0.0.1' }), 300).catch((e) => e);
    expect(error.line).toBe(`cannot connect to PostgreSQL at 127.0.0.1:${silent.port}: no answer within 300 ms — check the host, port and firewall, or raise --connect-timeout`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('names an unknown database', async () => {
    const error = await connectClient(target({ database: 'pbt_no_such_db' }), 2000).catch((e) => e);
    expect(error.line).toContain("database 'pbt_no_such_db' does not exist");
  });

  it('names an unknown role', async () => {
    const error = await openPool(target({ user: 'pbt_no_such_role' }), 2000, 2).catch((e) => e);
    expect(error.line).toContain("the server refused user 'pbt_no_such_role'");
  });

  it('explains TLS the server does not offer, or a certificate it cannot verify', async () => {
    const error = await connectClient(target({ sslmode: 'verify-full' }), 2000).catch((e) => e);
    expect(error.line).toMatch(/TLS failed/);
    expect(error.line).toContain('PGSSLMODE');
  });

  it('connects with the right settings', async () => {
    const client = await connectClient(target(), 2000);
    expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await client.end();
  });
});

describe("a command's catalog session (Runtime.catalog)", () => {
  const runtimeFor = (databaseUrl: string) =>
    new Runtime(loadConfig({ flags: { databaseUrl, connectTimeout: '2000' }, env: { REDIS_URL: 'memory://' }, cwd: '/nonexistent' }), memoryOutput());
  /** Whether the session of backend `pid` is still there, seen from a connection of the test's own. */
  async function sessionAlive(pid: number): Promise<boolean> {
    const admin = await connectClient(target(), 2000);
    try {
      return (await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0].n === 1;
    } finally {
      await admin.end();
    }
  }
  const backendPid = async (session: SqlSession) => (await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

  it('is one session, started by catalogAhead(): the lean one, node-postgres never loaded for it', async () => {
    const runtime = runtimeFor(TEST_DATABASE_URL);
    const connect = vi.spyOn(pgDriver.Client.prototype, 'connect');
    try {
      await runtime.catalogAhead();
      const session = await runtime.catalog();
      expect(session).toBeInstanceOf(LeanSession);
      expect(await runtime.catalog()).toBe(session);
      expect(connect).not.toHaveBeenCalled();
    } finally {
      connect.mockRestore();
      await runtime.close();
    }
  });

  it('is a node-postgres client when the target needs TLS, which the lean session does not speak', async () => {
    const runtime = runtimeFor(`${TEST_DATABASE_URL}?sslmode=require`);
    // This server offers no TLS: the failure is pg's, in its one line.
    const error = await runtime.catalog().catch((e) => e);
    expect(error.line).toMatch(/TLS failed/);
    await runtime.close();
  });

  it('reports a connection failure as the same one line node-postgres gets', async () => {
    const url = `postgres://nobody_${process.pid}@${base.hostname}:${base.port || 5432}/${base.pathname.slice(1)}`;
    const runtime = runtimeFor(url);
    await runtime.catalogAhead();
    const lean = await runtime.catalog().catch((e) => e);
    const pg = await connectClient({ ...target(), user: `nobody_${process.pid}` }, 2000).catch((e) => e);
    expect(lean.line).toMatch(/^cannot connect to PostgreSQL at .*: the server refused user 'nobody_\d+'|password authentication failed/);
    expect(lean.line).toBe(pg.line);
    await runtime.close();
  });

  it('close() does not wait for the server to end the session, which ends all the same', async () => {
    const runtime = runtimeFor(TEST_DATABASE_URL);
    await runtime.catalogAhead();
    const pid = await backendPid(await runtime.catalog());
    await runtime.close();
    await vi.waitFor(async () => expect(await sessionAlive(pid)).toBe(false), { timeout: 5000, interval: 20 });
  });

  it('is closed by close() when the command never took it', async () => {
    const runtime = runtimeFor(TEST_DATABASE_URL);
    const close = vi.spyOn(LeanSession.prototype, 'close');
    try {
      await runtime.catalogAhead();
      await runtime.close();
      expect(close).toHaveBeenCalledTimes(1);
    } finally {
      close.mockRestore();
    }
  });
});

describe('Redis connection failures', () => {
  it('times out against a silent server within the bound', async () => {
    const { redis } = loadConfig({ flags: {}, env: { REDIS_URL: `redis://127.0.0.1:${silent.port}` }, cwd: '/' });
    const error = await connectRedis(redis, 300).catch((e) => e);
    expect(error.line).toContain(`cannot connect to Redis at 127.0.0.1:${silent.port}: no answer within 300 ms`);
  });
});
