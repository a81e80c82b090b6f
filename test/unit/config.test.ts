import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDatabase, describeRedis, loadConfig, resolveCacheDir, type ConfigFlags } from '../../src/config.js';
import { usageLine } from '../support/usage.js';

function dirWithEnv(text?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pb-config-'));
  if (text !== undefined) writeFileSync(join(dir, '.env'), text);
  return dir;
}

function load(env: NodeJS.ProcessEnv, flags: ConfigFlags = {}, dotenv?: string) {
  return loadConfig({ flags, env, cwd: dirWithEnv(dotenv) });
}

describe('database configuration', () => {
  it('uses the embedded default when nothing is configured', () => {
    const config = load({});
    expect(config.database.mode).toBe('embedded');
    expect(config.database.database).toBe('perfbench');
    expect(config.database.sources.host).toBe('embedded default');
    expect(config.redis.mode).toBe('embedded');
  });

  it('reads DATABASE_URL with every part', () => {
    const { database } = load({ DATABASE_URL: 'postgresql://alice:s%40cret@db.example:6543/shop?sslmode=require' });
    expect(database).toMatchObject({ mode: 'external', host: 'db.example', port: 6543, user: 'alice', password: 's@cret', database: 'shop', sslmode: 'require' });
    expect(database.sources.port).toBe('env DATABASE_URL');
  });

  it('prefers DATABASE_URL over DB_* over PG* within one source', () => {
    const { database } = load({ DATABASE_URL: 'postgres://u@urlhost/urldb', DB_HOST: 'dbhost', DB_PORT: '7000', PGPORT: '8000', PGUSER: 'pguser', PGDATABASE: 'pgdb' });
    expect(database.host).toBe('urlhost');
    expect(database.port).toBe(7000);
    expect(database.user).toBe('u');
    expect(database.database).toBe('urldb');
  });

  it('falls back from DB_* to libpq PG* variables', () => {
    const { database } = load({ PGHOST: 'pg', PGPORT: '5433', PGUSER: 'pu', PGPASSWORD: 'pw', PGDATABASE: 'pd', PGSSLMODE: 'disable' });
    expect(database).toMatchObject({ host: 'pg', port: 5433, user: 'pu', password: 'pw', database: 'pd', sslmode: 'disable' });
  });

  it('orders flags > environment > .env, field by field', () => {
    const dotenv = 'DB_HOST=from-dotenv\nDB_PASSWORD=dotenv-pw\nDB_NAME=dotdb\n';
    const { database } = load({ DB_HOST: 'from-env' }, { databaseUrl: 'postgres://flaguser@from-flag:1111' }, dotenv);
    expect(database.host).toBe('from-flag');
    expect(database.port).toBe(1111);
    expect(database.user).toBe('flaguser');
    expect(database.password).toBe('dotenv-pw');
    expect(database.database).toBe('dotdb');
    expect(database.sources).toMatchObject({ host: 'flag --database-url', password: '.env DB_PASSWORD', database: '.env DB_NAME' });

    const withoutFlag = load({ DB_HOST: 'from-env' }, {}, dotenv).database;
    expect(withoutFlag.host).toBe('from-env');
    expect(withoutFlag.sources.host).toBe('env DB_HOST');
  });

  it('does not count a password alone as a configured database', () => {
    expect(load({ PGPASSWORD: 'x' }).database.mode).toBe('embedded');
  });

  it('reads an explicit --dotenv file and reports an unreadable one', () => {
    const dir = dirWithEnv();
    writeFileSync(join(dir, 'custom.env'), 'DB_HOST=custom\n');
    expect(loadConfig({ flags: { dotenv: 'custom.env' }, env: {}, cwd: dir }).database.host).toBe('custom');
    expect(usageLine(() => loadConfig({ flags: { dotenv: 'missing.env' }, env: {}, cwd: dir }))).toContain('--dotenv missing.env cannot be read (ENOENT)');
  });

  it('lists every problem at once', () => {
    const message = usageLine(() => load({ DB_PORT: 'abc', REDIS_URL: 'http://x', PGSSLMODE: 'sometimes', PERFBENCH_CONNECT_TIMEOUT_MS: '5' }));
    expect(message).toContain("env DB_PORT 'abc' is not a port (1-65535)");
    expect(message).toContain('env REDIS_URL must start with redis://, rediss:// or memory://');
    expect(message).toContain("'sometimes' is not an SSL mode");
    expect(message).toContain("env PERFBENCH_CONNECT_TIMEOUT_MS '5' is not a timeout");
    expect(message.split('\n')).toHaveLength(1);
  });

  it.each<[NodeJS.ProcessEnv, ConfigFlags, string]>([
    [{ DATABASE_URL: 'not a url' }, {}, 'env DATABASE_URL is not a URL'],
    [{ DATABASE_URL: 'mysql://h/db' }, {}, 'must start with postgres:// or postgresql://'],
    [{}, { databaseUrl: 'postgres://h:99999/db' }, 'flag --database-url is not a URL'],
    [{ DB_HOST: 'h', DB_PORT: '0' }, {}, "env DB_PORT '0' is not a port"],
  ])('rejects malformed and foreign URLs: env %j, flags %j', (env, flags, expected) => {
    expect(usageLine(() => load(env, flags))).toContain(expected);
  });

  it('freezes the result', () => {
    const config = load({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
  });
});

describe('redis configuration', () => {
  it('reads REDIS_URL including TLS, user, password and db', () => {
    const { redis } = load({ REDIS_URL: 'rediss://bob:p%3Ass@cache:6380/3' });
    expect(redis).toMatchObject({ mode: 'external', host: 'cache', port: 6380, username: 'bob', password: 'p:ss', db: 3, tls: true });
  });

  it('reads REDIS_HOST, REDIS_PORT and REDIS_PASSWORD', () => {
    const { redis } = load({ REDIS_HOST: 'r', REDIS_PORT: '7000', REDIS_PASSWORD: 'pw' });
    expect(redis).toMatchObject({ mode: 'external', host: 'r', port: 7000, password: 'pw', tls: false, db: 0 });
  });

  it('selects the in-process tier with memory://', () => {
    expect(load({}, { redisUrl: 'memory://' }).redis.mode).toBe('memory');
  });

  const dotenvMemory = 'REDIS_URL=memory://\n';
  it.each<[string, NodeJS.ProcessEnv, ConfigFlags, string | undefined, object]>([
    ['a flag over .env memory://', {}, { redisUrl: 'redis://cache:6380' }, dotenvMemory, { mode: 'external', host: 'cache', port: 6380 }],
    ['the environment over .env memory://', { REDIS_HOST: 'envhost' }, {}, dotenvMemory, { mode: 'external', host: 'envhost' }],
    ['a memory:// flag over the environment', { REDIS_HOST: 'envhost' }, { redisUrl: 'memory://' }, undefined, { mode: 'memory' }],
    ['.env memory:// alone, named as the source', {}, {}, dotenvMemory, { sources: { mode: '.env REDIS_URL' } }],
  ])('lets a higher source override memory:// and the other way round: %s', (_, env, flags, dotenv, expected) => {
    expect(load(env, flags, dotenv).redis).toMatchObject(expected);
  });

  it.each([
    ['redis://h/99', "'99' is not a Redis database number"],
    ['::', 'env REDIS_URL is not a URL'],
  ])('rejects a bad database number and a bad URL: %s', (url, expected) => {
    expect(usageLine(() => load({ REDIS_URL: url }))).toContain(expected);
  });
});

describe('connect timeout and cache dir', () => {
  it.each<[NodeJS.ProcessEnv, ConfigFlags, number]>([
    [{ PERFBENCH_CONNECT_TIMEOUT_MS: '2000' }, {}, 2000],
    [{ PERFBENCH_CONNECT_TIMEOUT_MS: '2000' }, { connectTimeout: '300' }, 300],
    [{}, {}, 5000],
  ])('takes the flag over the environment: env %j, flags %j -> %i ms', (env, flags, expected) => {
    expect(load(env, flags).connectTimeoutMs).toBe(expected);
  });

  it('honours PERFBENCH_CACHE_DIR and XDG_CACHE_HOME', () => {
    expect(resolveCacheDir({ PERFBENCH_CACHE_DIR: '/x/y' })).toBe('/x/y');
    const expected = process.getuid?.() === 0 ? '/var/cache/perfbench' : '/xdg/perfbench';
    expect(resolveCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe(expected);
  });
});

describe('printing configuration', () => {
  it('never shows a password', () => {
    const config = load({ DATABASE_URL: 'postgres://u:hunter2@h:5432/d', REDIS_URL: 'redis://:hunter3@r:6379/1' });
    expect(describeDatabase(config.database)).toBe('postgres://u:***@h:5432/d');
    expect(describeRedis(config.redis)).toBe('redis://:***@r:6379/1');
    expect(JSON.stringify([describeDatabase(config.database), describeRedis(config.redis)])).not.toMatch(/hunter/);
  });

  it.each<[string, () => string, string | RegExp]>([
    ['the embedded database', () => describeDatabase(load({}).database), 'embedded PostgreSQL'],
    ['the embedded Redis', () => describeRedis(load({}).redis), 'embedded redis-server'],
    ['the in-process tier', () => describeRedis(load({}, { redisUrl: 'memory://' }).redis), 'in-process'],
    ['an IPv6 host, bracketed', () => describeDatabase(load({ DB_HOST: '::1' }).database), /^postgres:\/\/[^@]+@\[::1\]:5432\//],
  ])('names the embedded and in-process modes: %s', (_, described, expected) => {
    expect(described()).toMatch(expected); // a string matches as a substring
  });
});
