import { loadConfig, type Config } from '../../src/config.js';
import { memoryOutput, type Output } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';

/**
 * The real services integration tests run against: the machine's PostgreSQL and Redis (CI starts
 * them; global-setup fails the run loudly when they are down). Override with PERFBENCH_TEST_*.
 */
export const TEST_DATABASE_URL = process.env.PERFBENCH_TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.PERFBENCH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

let counter = 0;
/** A table name no other test (or run) uses. */
export function uniqueTable(prefix: string): string {
  return `pbt_${prefix}_${process.pid}_${++counter}`;
}

export function testConfig(env: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({ flags: {}, env: { DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, ...env }, cwd: '/nonexistent' });
}

/** A Runtime on the real services whose output is collected in memory. */
export function testRuntime(env: NodeJS.ProcessEnv = {}, signal?: AbortSignal): Runtime & { out: Output & { stdout: string; stderr: string } } {
  return new Runtime(testConfig(env), memoryOutput(), signal) as Runtime & { out: Output & { stdout: string; stderr: string } };
}

/** Runs `body` with a runtime and always closes it. */
export async function withRuntime<T>(body: (runtime: ReturnType<typeof testRuntime>) => Promise<T>, env: NodeJS.ProcessEnv = {}): Promise<T> {
  const runtime = testRuntime(env);
  try {
    return await body(runtime);
  } finally {
    await runtime.close();
  }
}

/** The names of a table's indexes, sorted: what "the index state is as before" compares. */
export async function indexNamesOf(client: { query: (text: string, values: unknown[]) => Promise<{ rows: Array<{ indexname: string }> }> }, table: string): Promise<string[]> {
  const result = await client.query('SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY 1', [table]);
  return result.rows.map((row) => row.indexname);
}
