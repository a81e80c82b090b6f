import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectRedis } from '../../src/cache/redis.js';
import { loadConfig } from '../../src/config.js';
import { connectClient, openPool, type ConnectionTarget } from '../../src/db/connection.js';
import { pgDriver } from '../../src/db/pg-driver.js';
import { memoryOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';
import { TEST_DATABASE_URL } from '../support/services.js';

/** A server that accepts connections and never says a word: the shape of a firewalled or hung peer. */
let silent: Server;
let silentPort = 0;
const sockets = new Set<Socket>();
beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as { port: number }).port;
});
afterAll(() => {
  for (const socket of sockets) socket.destroy();
  return new Promise<void>((resolve) => silent.close(() => resolve()));
});

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
    const error = await connectClient(target({ port: silentPort, host: '127.0.0.1' }), 300).catch((e) => e);
    expect(error.line).toBe(`cannot connect to PostgreSQL at 127.0.0.1:${silentPort}: no answer within 300 ms — check the host, port and firewall, or raise --connect-timeout`);
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

describe('a client connected ahead (Runtime.connectAhead)', () => {
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
  const backendPid = async (client: { query: (text: string) => Promise<{ rows: Array<{ pid: number }> }> }) =>
    (await client.query('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

  it('is the client the next client() call returns, and the one after that is a new one', async () => {
    const runtime = runtimeFor(TEST_DATABASE_URL);
    await runtime.connectAhead({ readOnly: false });
    const first = await runtime.client();
    const second = await runtime.client();
    expect(first).not.toBe(second);
    const pid = await backendPid(first);
    await runtime.close();
    // Not read-only: close() returns once the server has ended the session.
    expect(await sessionAlive(pid)).toBe(false);
  });

  it('is ended by close() when the command never took it', async () => {
    const runtime = runtimeFor(TEST_DATABASE_URL);
    const end = vi.spyOn(pgDriver.Client.prototype, 'end');
    try {
      await runtime.connectAhead({ readOnly: false });
      await runtime.close();
      expect(end).toHaveBeenCalledTimes(1);
    } finally {
      end.mockRestore();
    }
  });

  it('reports a connection failure as the same one line, at client()', async () => {
    const runtime = runtimeFor(`postgres://nobody_${process.pid}@${base.hostname}:${base.port || 5432}/${base.pathname.slice(1)}`);
    await runtime.connectAhead({ readOnly: true });
    const error = await runtime.client().catch((e) => e);
    expect(error.line).toMatch(/^cannot connect to PostgreSQL at .*: the server refused user 'nobody_\d+'|password authentication failed/);
    await runtime.close();
  });

  it('read-only: close() does not wait for the server to end the session, which ends all the same', async () => {
    const runtime = runtimeFor(TEST_DATABASE_URL);
    await runtime.connectAhead({ readOnly: true });
    const pid = await backendPid(await runtime.client());
    await runtime.close();
    await vi.waitFor(async () => expect(await sessionAlive(pid)).toBe(false), { timeout: 5000, interval: 20 });
  });
});

describe('Redis connection failures', () => {
  it('times out against a silent server within the bound', async () => {
    const { redis } = loadConfig({ flags: {}, env: { REDIS_URL: `redis://127.0.0.1:${silentPort}` }, cwd: '/' });
    const error = await connectRedis(redis, 300).catch((e) => e);
    expect(error.line).toContain(`cannot connect to Redis at 127.0.0.1:${silentPort}: no answer within 300 ms`);
  });
});
