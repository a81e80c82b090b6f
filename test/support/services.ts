import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { memoryOutput, type Output } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';
import { configuredTestUrls, DEFAULT_TEST_DATABASE_URL, DEFAULT_TEST_REDIS_URL, type TestServiceUrls } from './service-urls.js';

/**
 * The real services integration tests run against. global-setup settles them before any worker
 * starts (PERFBENCH_TEST_* when set; else the machine's servers on the defaults when they answer;
 * else an embedded PostgreSQL and a private redis-server it started) and provides the URLs; a
 * worker of a project without that setup (unit) falls back to the environment and the defaults.
 */
function settled(): Partial<TestServiceUrls> {
  try {
    return inject('perfbenchTestServices') ?? {};
  } catch {
    return {}; // not inside a vitest worker
  }
}
const provided = settled();
const configured = configuredTestUrls();
export const TEST_DATABASE_URL = provided.databaseUrl ?? configured.databaseUrl ?? DEFAULT_TEST_DATABASE_URL;
export const TEST_REDIS_URL = provided.redisUrl ?? configured.redisUrl ?? DEFAULT_TEST_REDIS_URL;

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

/**
 * Drops a table a test seeded and deletes its perfbench_datasets record, which DROP TABLE leaves
 * behind: the test database outlives the run, and a record whose table is gone would pile up.
 * `recordedAs`: the names to delete records under, when that is not the name dropped (a quoted
 * name may have been recorded bare, quoted or schema-qualified). `ignoreRecordError`: a failed
 * delete is ignored, for files whose tests may end before any seed created perfbench_datasets.
 */
export async function dropSeededTable(
  admin: { query: (text: string, values?: unknown[]) => Promise<unknown> },
  table: string,
  { recordedAs = [table], ignoreRecordError = false }: { recordedAs?: readonly string[]; ignoreRecordError?: boolean } = {},
): Promise<void> {
  await admin.query(`DROP TABLE IF EXISTS ${table}`);
  const deleted = admin.query('DELETE FROM perfbench_datasets WHERE table_name = ANY($1)', [recordedAs]);
  await (ignoreRecordError ? deleted.catch(() => undefined) : deleted);
}

/** The names of a table's indexes, sorted: what "the index state is as before" compares. */
export async function indexNamesOf(client: { query: (text: string, values: unknown[]) => Promise<{ rows: Array<{ indexname: string }> }> }, table: string): Promise<string[]> {
  const result = await client.query('SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY 1', [table]);
  return result.rows.map((row) => row.indexname);
}
