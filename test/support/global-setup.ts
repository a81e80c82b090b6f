import pg from 'pg';
import { Redis } from 'ioredis';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './services.js';

/**
 * Integration tests need the real PostgreSQL and Redis. When either is down the whole run fails
 * here with one clear line, instead of tests skipping or timing out one by one.
 */
export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(`integration tests need PostgreSQL at ${TEST_DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}: ${(error as Error).message} (CI starts it in .ci/run)`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`integration tests need Redis at ${TEST_REDIS_URL}: ${(error as Error).message} (CI starts it in .ci/run)`);
  } finally {
    redis.disconnect();
  }
}
