/**
 * Where the integration tests find PostgreSQL and Redis, before anything is started. Kept free of
 * vitest imports: global-setup (vitest's main process) and vitest.config.ts read it too.
 *
 * - PERFBENCH_TEST_DATABASE_URL / PERFBENCH_TEST_REDIS_URL, when set, are used as they are: a dead
 *   server there ends the run with one line.
 * - Otherwise the defaults below are tried; when nothing usable answers there, global-setup starts
 *   an embedded PostgreSQL and a private redis-server and hands their URLs to the test workers
 *   (services.ts reads them).
 */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://root@127.0.0.1:5432/test';
export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379/0';

export interface TestServiceUrls {
  databaseUrl: string;
  redisUrl: string;
}

declare module 'vitest' {
  /** What global-setup hands the test workers (vitest `provide`/`inject`): the URLs it settled on. */
  export interface ProvidedContext {
    perfbenchTestServices: TestServiceUrls;
    /** The advisory lock key that keeps the integration files one at a time (one-file-at-a-time.ts): this run's own. */
    perfbenchFileLock: number;
  }
}

/** The URLs configured through the environment, if any. */
export function configuredTestUrls(env: NodeJS.ProcessEnv = process.env): Partial<TestServiceUrls> {
  return {
    databaseUrl: env.PERFBENCH_TEST_DATABASE_URL || undefined,
    redisUrl: env.PERFBENCH_TEST_REDIS_URL || undefined,
  };
}

/** A URL as it may be printed: the password replaced by ***. */
export function printableUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}
