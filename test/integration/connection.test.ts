import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/cache/redis.js';
import { loadConfig } from '../../src/config.js';
import { connectClient, openPool, type ConnectionTarget } from '../../src/db/connection.js';
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

describe('Redis connection failures', () => {
  it('times out against a silent server within the bound', async () => {
    const { redis } = loadConfig({ flags: {}, env: { REDIS_URL: `redis://127.0.0.1:${silentPort}` }, cwd: '/' });
    const error = await connectRedis(redis, 300).catch((e) => e);
    expect(error.line).toContain(`cannot connect to Redis at 127.0.0.1:${silentPort}: no answer within 300 ms`);
  });
});
