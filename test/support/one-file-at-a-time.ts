/**
 * A setup file of the integration project: each integration file runs alone, whatever vitest's pool
 * size. The files share one PostgreSQL and one Redis (tables, indexes, keys, timings), so each one
 * first takes a PostgreSQL advisory lock, on a connection of its own, and holds it until its last
 * hook has run (or its process ends, which releases it too).
 *
 * Why not vitest's fileParallelism: false: that makes the pool 1 for the whole group, and the README
 * walk (the `README` project), which keeps to its own scratch database and its own redis-server,
 * runs in the same group so that its 4-5 minutes, mostly spent waiting on the commands it runs,
 * overlap the integration files instead of adding to them. The lock's key is the vitest run's
 * (global-setup provides it), so two runs on one machine do not wait for each other's files.
 *
 * The lock is taken in the first beforeAll, after the file has been collected (imported, its
 * describe blocks run), not at import: collecting touches no service, and the pool has a worker
 * more than the walk and one running file (vitest.config.ts), so the next file is collected while
 * the current one runs instead of after it (1-3 s a file, with coverage). The wait is bounded by
 * LOCK_WAIT_MS rather than the hook timeout: it is another file's whole run.
 *
 * A file that uses none of the shared services, only servers it starts itself (and memory:// for
 * the cache), says so with usesOnlyItsOwnServers(): it takes no lock and runs beside the file that
 * holds it, as the walk does.
 */
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { TEST_DATABASE_URL } from './services.js';

/** Longer than any one integration file takes, even on a loaded machine: only a hung file reaches it. */
const LOCK_WAIT_MS = 20 * 60_000;

const holder = new pg.Client({ connectionString: TEST_DATABASE_URL, application_name: 'perfbench-test-file-lock' });
holder.on('error', () => undefined);

let sharesTheServices = true;
/**
 * Called at the top level of a test file (it runs as the file is collected, before the beforeAll
 * below) that touches neither the test PostgreSQL nor the test Redis: the file runs without the lock.
 */
export function usesOnlyItsOwnServers(): void {
  sharesTheServices = false;
}

// Registered before the file's own hooks, so it runs before all of them.
beforeAll(async () => {
  if (!sharesTheServices) return;
  await holder.connect();
  // Polled, never waited for in pg_advisory_lock: a statement waiting there keeps its snapshot, and a
  // CREATE INDEX CONCURRENTLY in the running file waits for every older snapshot of the database, so
  // the two would wait for each other for ever (seen: bench-workload-concurrently, crash-ownership).
  // Between tries this connection is idle, with no snapshot, and holds nothing up.
  const key = inject('perfbenchFileLock');
  while (!(await holder.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key])).rows[0]!.locked) {
    await new Promise((done) => setTimeout(done, 200));
  }
}, LOCK_WAIT_MS);

// Registered before the file's own hooks, so it runs after all of them (vitest runs after-hooks in reverse).
afterAll(async () => {
  await holder.end().catch(() => undefined);
});
