import type { TestProject } from 'vitest/node';
import { leftBehind, takeInventory, type Inventory } from './leftovers.js';
import { configuredTestUrls, printableUrl } from './service-urls.js';
import { ServiceSetupError, settlePostgres, settleRedis, type Settled } from './start-services.js';

/**
 * The global setup of the projects that use the services (`integration` and `README`), run in
 * vitest's main process before any worker:
 *
 * 1. settles PostgreSQL and Redis (start-services.ts: PERFBENCH_TEST_* if set, else the machine's
 *    servers on the defaults, else an embedded PostgreSQL and a private redis-server it starts) and
 *    provides their URLs to the workers (services.ts injects them);
 * 2. takes an inventory of both, so that teardown can name whatever the tests left behind;
 * 3. at teardown, fails the run when a test left a table, schema, dataset record or key, and stops
 *    the servers it started.
 *
 * When a service cannot be had, the run ends here with one line on stderr and exit code 1: vitest
 * would otherwise go on to report "No test files found", a 0% coverage table and this file's
 * stack. What is printed before that line is vitest's own banner (and npm's, through `npm test`).
 *
 * vitest runs a project's global setup once per project, each project loading this file anew, so
 * the work is shared through globalThis (one main process): the first project to call settles the
 * services and takes the inventory, the others are handed the same URLs, and only the last teardown
 * (vitest runs them one after another, after every project's last test) checks for leftovers and
 * stops the servers. One inventory before any test and one check after the last covers every
 * project's tests, whichever ran when.
 */
interface Shared {
  settled: Promise<{ urls: { databaseUrl: string; redisUrl: string }; teardown: () => Promise<void> }>;
  users: number;
}
const SHARED = Symbol.for('perfbench.test.services');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const holder = globalThis as { [SHARED]?: Shared };
  const shared = (holder[SHARED] ??= { settled: settleServices(), users: 0 });
  shared.users += 1;
  const { urls, teardown } = await shared.settled;
  project.provide('perfbenchTestServices', urls);
  // vitest's main process: one per run, so the integration files of two runs do not wait for each other.
  project.provide('perfbenchFileLock', process.pid);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete holder[SHARED];
    await teardown();
  };
}

async function settleServices(): Promise<Awaited<Shared['settled']>> {
  const started: Settled[] = [];
  const stopAll = async () => {
    for (const service of started.splice(0).reverse()) await service.stop().catch(() => undefined);
  };
  let before: Inventory;
  let urls: { databaseUrl: string; redisUrl: string };
  try {
    // A configured PostgreSQL is only probed, so it goes first: a dead one is reported before
    // anything is started. Otherwise Redis goes first: a missing redis-server is found before an
    // embedded PostgreSQL is started for nothing.
    const settleDatabase = async () => {
      const postgres = await settlePostgres((line) => process.stderr.write(`${line}\n`));
      started.push(postgres);
      return postgres;
    };
    const settleCache = async () => {
      const redis = await settleRedis();
      started.push(redis);
      return redis;
    };
    let postgres: Settled;
    let redis: Settled;
    if (configuredTestUrls().databaseUrl) {
      postgres = await settleDatabase();
      redis = await settleCache();
    } else {
      redis = await settleCache();
      postgres = await settleDatabase();
    }
    for (const service of [postgres, redis]) if (service.note) process.stderr.write(`${service.note}\n`);
    urls = { databaseUrl: postgres.url, redisUrl: redis.url };
    before = await takeInventory(urls.databaseUrl, urls.redisUrl);
  } catch (error) {
    await stopAll();
    if (!(error instanceof ServiceSetupError)) throw error;
    process.stderr.write(`${error.message}\n`);
    // Straight out: anything vitest does after a failed global setup is noise around this line.
    process.exit(1);
  }

  const teardown = async () => {
    try {
      const after = await takeInventory(urls.databaseUrl, urls.redisUrl);
      const left = leftBehind(before, after);
      if (left.length > 0) {
        // Written out and flagged with the exit code rather than thrown: vitest reports an error
        // thrown from teardown as "error during close" and still exits 0.
        process.stderr.write(`\nFAIL  the integration tests left these behind in ${printableUrl(urls.databaseUrl)} and ${printableUrl(urls.redisUrl)}; the test that created them must remove them:\n  ${left.join('\n  ')}\n\n`);
        process.exitCode = 1;
      }
    } finally {
      await stopAll();
    }
  };
  return { urls, teardown };
}
