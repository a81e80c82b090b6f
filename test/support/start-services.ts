/**
 * Settles the PostgreSQL and Redis the integration tests use (global-setup calls it once, in
 * vitest's main process, before any worker starts):
 *
 * - a URL set in PERFBENCH_TEST_DATABASE_URL / PERFBENCH_TEST_REDIS_URL is used as it is; when it
 *   does not answer, that is the one line the run ends with (the user asked for that server);
 * - otherwise the default URL is used when a server answers there and accepts it;
 * - otherwise the suite starts its own: the embedded PostgreSQL perfbench itself uses when nothing
 *   is configured (src/db/embedded-postgres.ts, in a cache directory of its own) and a private
 *   redis-server on a free loopback port (src/cache/embedded-redis.ts), and stops them at the end.
 *
 * The only thing that cannot be started is a redis-server that is not installed: that is the
 * one line then, with the apt command that installs it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { startEmbeddedRedis } from '../../src/cache/embedded-redis.js';
import { resolveCacheDir } from '../../src/config.js';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { configuredTestUrls, DEFAULT_TEST_DATABASE_URL, DEFAULT_TEST_REDIS_URL, printableUrl } from './service-urls.js';

const PROBE_TIMEOUT_MS = 5_000;

/** A failure that ends the run with this one line (no stack, no vitest report). */
export class ServiceSetupError extends Error {}

/** One settled service: its URL, how it was found, and how to let go of it. */
export interface Settled {
  url: string;
  /** 'configured' (PERFBENCH_TEST_*), 'default' (the machine's server) or 'started' (by this run). */
  origin: 'configured' | 'default' | 'started';
  /** A line telling what was started and why; empty when nothing was. */
  note: string;
  stop(): Promise<void>;
}

const nothing = async () => undefined;

/** Why a PostgreSQL URL is not usable, or undefined when it answers `SELECT 1`. */
export async function postgresProblem(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return oneLine(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why a Redis URL is not usable, or undefined when it answers PING. */
export async function redisProblem(url: string): Promise<string | undefined> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // ioredis rejects connect() with a bare "Connection is closed."; the cause comes as an 'error' event.
  let cause: unknown;
  redis.on('error', (error) => (cause ??= error));
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return oneLine(cause ?? error);
  } finally {
    redis.disconnect();
  }
}

export async function settlePostgres(log: (line: string) => void): Promise<Settled> {
  const configured = configuredTestUrls().databaseUrl;
  if (configured) {
    const problem = await postgresProblem(configured);
    if (problem) {
      throw new ServiceSetupError(`integration tests: no PostgreSQL at ${printableUrl(configured)} (PERFBENCH_TEST_DATABASE_URL): ${problem} — start it, or unset PERFBENCH_TEST_DATABASE_URL and the tests start their own`);
    }
    return { url: configured, origin: 'configured', note: '', stop: nothing };
  }
  const problem = await postgresProblem(DEFAULT_TEST_DATABASE_URL);
  if (!problem) return { url: DEFAULT_TEST_DATABASE_URL, origin: 'default', note: '', stop: nothing };

  const cacheDir = testCacheDir();
  let embedded;
  try {
    embedded = await startEmbeddedPostgres(cacheDir, PROBE_TIMEOUT_MS, (line) => log(`integration tests: ${line}`));
  } catch (error) {
    throw new ServiceSetupError(`integration tests: no PostgreSQL at ${DEFAULT_TEST_DATABASE_URL} (${problem}) and the embedded one did not start: ${oneLine(error)} — set PERFBENCH_TEST_DATABASE_URL to a server the tests may use`);
  }
  try {
    await trustLoopback(embedded.dataDir, embedded.target);
  } catch (error) {
    await embedded.release();
    throw new ServiceSetupError(`integration tests: the embedded PostgreSQL in ${cacheDir} started but its authentication could not be set up: ${oneLine(error)}`);
  }
  const url = `postgres://${embedded.target.user}@127.0.0.1:${embedded.target.port}/${embedded.target.database}`;
  return {
    url,
    origin: 'started',
    note: `integration tests: no PostgreSQL at ${DEFAULT_TEST_DATABASE_URL} (${problem}); using an embedded PostgreSQL ${embedded.version} at ${url} (data in ${embedded.dataDir}), stopped at the end`,
    stop: () => embedded.release(),
  };
}

export async function settleRedis(): Promise<Settled> {
  const configured = configuredTestUrls().redisUrl;
  if (configured) {
    const problem = await redisProblem(configured);
    if (problem) {
      throw new ServiceSetupError(`integration tests: no Redis at ${printableUrl(configured)} (PERFBENCH_TEST_REDIS_URL): ${problem} — start it, or unset PERFBENCH_TEST_REDIS_URL and the tests start their own`);
    }
    return { url: configured, origin: 'configured', note: '', stop: nothing };
  }
  const problem = await redisProblem(DEFAULT_TEST_REDIS_URL);
  if (!problem) return { url: DEFAULT_TEST_REDIS_URL, origin: 'default', note: '', stop: nothing };

  let server;
  try {
    server = await startEmbeddedRedis();
  } catch (error) {
    throw new ServiceSetupError(`integration tests: no Redis at ${DEFAULT_TEST_REDIS_URL} (${problem}) and a private redis-server did not start: ${oneLine(error)} — set PERFBENCH_TEST_REDIS_URL to a Redis the tests may use`);
  }
  if (!server) {
    throw new ServiceSetupError(`integration tests: no Redis at ${DEFAULT_TEST_REDIS_URL} and no redis-server to start one — install it (sudo apt-get install -y redis-server), or set PERFBENCH_TEST_REDIS_URL`);
  }
  const url = `redis://${server.host}:${server.port}/0`;
  return {
    url,
    origin: 'started',
    note: `integration tests: no Redis at ${DEFAULT_TEST_REDIS_URL} (${problem}); using a private redis-server at ${url}, stopped at the end`,
    stop: () => server.stop(),
  };
}

/**
 * Where the suite's embedded PostgreSQL keeps its data: PERFBENCH_TEST_CACHE_DIR, else perfbench's
 * own cache directory with `-test` appended (as root /var/cache/perfbench-test, which the
 * `postgres` user the server runs as can enter). Kept apart from the user's embedded server, and
 * kept between runs so initdb happens once.
 */
export function testCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PERFBENCH_TEST_CACHE_DIR) return env.PERFBENCH_TEST_CACHE_DIR;
  return `${resolveCacheDir({ ...env, PERFBENCH_CACHE_DIR: '' })}-test`;
}

const HBA = `# perfbench's test cluster (test/support/start-services.ts): loopback is trusted, as on the
# machine's PostgreSQL the tests otherwise use; tests connect without a password and some
# (secrets.test.ts) rely on a wrong password being ignored. It listens on 127.0.0.1 only.
local all all trust
host all all 127.0.0.1/32 trust
host all all ::1/128 trust
`;

/**
 * The embedded server is set up with SCRAM and a random password (right for perfbench's users);
 * the test cluster trusts loopback instead, so the tests' URLs carry no password.
 */
async function trustLoopback(dataDir: string, target: { host: string; port: number; user: string; password: string | undefined; database: string }): Promise<void> {
  const hba = join(dataDir, 'pg_hba.conf');
  if (readFileSync(hba, 'utf8') === HBA) return;
  writeFileSync(hba, HBA);
  const client = new pg.Client({ ...target, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT pg_reload_conf()');
  } finally {
    await client.end().catch(() => undefined);
  }
  // The postmaster rereads pg_hba.conf on its signal, a moment later: wait until a password-less
  // connection is let in.
  const url = `postgres://${target.user}@127.0.0.1:${target.port}/${target.database}`;
  const deadline = Date.now() + PROBE_TIMEOUT_MS;
  for (;;) {
    const problem = await postgresProblem(url);
    if (!problem) return;
    if (Date.now() > deadline) throw new Error(`a connection without password is still refused: ${problem}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function oneLine(error: unknown): string {
  const message = (error as { line?: string }).line ?? (error as Error).message ?? String(error);
  return (message.split('\n')[0] ?? '').trim() || (error as NodeJS.ErrnoException).code || 'unknown error';
}
