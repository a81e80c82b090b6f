import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (pure, no services, files in parallel) and `integration` (a real PostgreSQL
 * and Redis, which test/support/global-setup.ts settles before any worker starts: PERFBENCH_TEST_*,
 * else the machine's servers on the defaults, else an embedded PostgreSQL and a private
 * redis-server it starts; see README, Test servers). `npm test` runs both, unit first; `npm run
 * test:unit` runs only the unit project, so neither the global setup nor any server is needed for it.
 */
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
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // Integration files share one PostgreSQL and one Redis; running them one at a time keeps
          // their tables, indexes and keys from racing each other. They start after the unit
          // project has finished (a higher groupOrder), so timing-sensitive tests don't share the CPU.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
