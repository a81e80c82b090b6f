import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` (pure, no services, files in parallel), then `README` (the README walk,
 * test/integration/readme-walk.test.ts) beside `integration` (the rest of test/integration). Those
 * two use a real PostgreSQL and Redis, which test/support/global-setup.ts settles once before any
 * worker starts: PERFBENCH_TEST_*, else the machine's servers on the defaults, else an embedded
 * PostgreSQL and a private redis-server it starts; see README, Test servers. `npm test` runs all
 * three; `npm run test:unit` runs only the unit project, so neither the global setup nor any server
 * is needed for it.
 */
const README_WALK = 'test/integration/readme-walk.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 90 },
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          fileParallelism: true,
          // vitest's default is one worker less than the cores: 1 on a 2-core machine, where the
          // main process (transforms, coverage) leaves the second core mostly idle. Two workers took
          // this project from 150 s to 115 s there (measured on a loaded machine).
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      // `README` and `integration` start after the unit project has finished (a higher groupOrder),
      // and run together: the walk (4-5 minutes, mostly waiting on the commands it runs, on its own
      // scratch database and its own redis-server) in one worker, the integration files in the
      // other two: one runs while the next is collected and waits for the lock (one-file-at-a-time.ts).
      // Projects of one groupOrder share one pool, hence the same maxWorkers in both.
      {
        extends: true,
        test: {
          // Named so that it sorts before `integration` (vitest queues a group's projects by name):
          // the walk takes its worker first instead of starting after the last integration file.
          name: 'README',
          include: [README_WALK],
          globalSetup: ['test/support/global-setup.ts'],
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [...configDefaults.exclude, README_WALK],
          globalSetup: ['test/support/global-setup.ts'],
          // Integration files share one PostgreSQL and one Redis, so they run one at a time, which
          // keeps their tables, indexes and keys from racing each other: each holds a lock for its
          // whole run (one-file-at-a-time.ts; fileParallelism: false would make the pool 1 for the
          // walk too). They share the CPU with the walk, the next file's collection and the few files
          // that start servers of their own and take no lock (usesOnlyItsOwnServers), never with unit tests.
          setupFiles: ['test/support/one-file-at-a-time.ts'],
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
