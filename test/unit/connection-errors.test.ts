import { describe, expect, it } from 'vitest';
import { connectionError, type ConnectionTarget } from '../../src/db/connection.js';
import { redisError } from '../../src/cache/redis.js';
import { loadConfig } from '../../src/config.js';

const target: ConnectionTarget = { host: 'db', port: 5432, user: 'app', password: 'hunter2', database: 'shop', sslmode: 'prefer', mode: 'external' };

describe('PostgreSQL connection errors', () => {
  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'cannot connect to PostgreSQL at db:5432: connection refused'],
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db' }, "unknown host 'db'"],
    [{ message: 'Connection terminated due to connection timeout' }, 'no answer within 1000 ms'],
    [{ code: '28P01', message: 'password authentication failed for user "app"' }, "password authentication failed for user 'app'"],
    [{ message: 'SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string' }, 'password authentication failed'],
    [{ code: '28000', message: 'role "app" does not exist' }, "the server refused user 'app' (role \"app\" does not exist)"],
    [{ code: '3D000', message: 'database "shop" does not exist' }, "database 'shop' does not exist"],
    [{ message: 'The server does not support SSL connections' }, 'TLS failed (The server does not support SSL connections)'],
    [{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }, 'TLS failed'],
    [{ code: '57P03', message: 'the database system is starting up' }, 'the server is starting or shutting down'],
    [{ message: 'something odd\nsecond line' }, 'cannot connect to PostgreSQL at db:5432: something odd'],
  ])('explains %j in one line', (error, expected) => {
    const line = connectionError(error, target, 1000).line;
    expect(line).toContain(expected);
    expect(line).not.toContain('\n');
    expect(line).not.toContain('hunter2');
  });

  it('points embedded users at doctor', () => {
    expect(connectionError({ code: 'ECONNREFUSED' }, { ...target, mode: 'embedded' }, 1000).line).toContain('perfbench doctor');
  });
});

describe('Redis connection errors', () => {
  const { redis } = loadConfig({ flags: {}, env: { REDIS_URL: 'redis://:hunter3@cache:6380' }, cwd: '/' });
  it.each([
    [{ code: 'ECONNREFUSED' }, 'cannot connect to Redis at cache:6380: connection refused'],
    [{ code: 'ENOTFOUND' }, "unknown host 'cache'"],
    [{ code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' }, 'no answer within 500 ms'],
    [{ message: 'WRONGPASS invalid username-password pair' }, 'authentication failed'],
    [{ message: 'write EPROTO wrong version number' }, 'TLS failed'],
    [{ message: 'weird' }, 'cannot connect to Redis at cache:6380: weird'],
  ])('explains %j', (error, expected) => {
    const line = redisError(error, redis, 500).line;
    expect(line).toContain(expected);
    expect(line).not.toContain('hunter3');
  });
});
