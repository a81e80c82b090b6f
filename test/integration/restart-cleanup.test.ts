/**
 * Issue 15, item 3: a PostgreSQL restart in the middle of a bench, on a private server (never the
 * shared one). The run's cleanup used to reuse its dead connection ("cleanup failed: Client has
 * encountered a connection error") and leave the run's index behind. It now drops it on a fresh
 * connection; and when the server is still down at the end, the next run removes it and says so.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { bench } from '../../src/usecases/bench.js';
import { seed } from '../../src/usecases/dataset.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { indexNamesOf, testRuntime, withRuntime } from '../support/services.js';
import { usesOnlyItsOwnServers } from '../support/one-file-at-a-time.js';

// A private PostgreSQL (restarted mid-run), memory:// for the cache: nothing shared, so no lock.
usesOnlyItsOwnServers();

let server: PrivatePostgres;
const table = 'products_restart';
const env = (): NodeJS.ProcessEnv => ({ DATABASE_URL: server.url(), REDIS_URL: 'memory://' });

/** A short-lived connection: the server restarts under these tests. */
async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<T>> {
  const client = new pg.Client({ connectionString: server.url(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query<T>(text, values);
  } finally {
    await client.end();
  }
}

const indexNames = async () => {
  const client = new pg.Client({ connectionString: server.url() });
  await client.connect();
  try {
    return await indexNamesOf(client, table);
  } finally {
    await client.end();
  }
};

beforeAll(async () => {
  server = await PrivatePostgres.start();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '20000', categories: '40', distribution: 'uniform', seed: '8' })), env());
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describe('PostgreSQL restarted in the middle of bench', () => {
  it('the run\'s index is dropped at the end on a fresh connection, and the lost lock is reported', async () => {
    const before = await indexNames();
    const runtime = testRuntime(env());
    let restarted: Promise<void> | undefined;
    try {
      const options = benchOptions({ table, paths: 'index', duration: '1500ms', warmup: '0', trials: '2' });
      const outcome = await bench(runtime, options, {
        onProgress: (event) => {
          if (event.target === 'index' && event.trial === 1 && event.phase === 'measure' && !restarted) restarted = server.restart();
        },
      });
      await restarted;
      expect(restarted).toBeDefined();
      // The figures say the run failed (the paths lost their connections); that is item 4's business.
      expect(outcome.result.paths.some((path) => path.errors > 0)).toBe(true);
    } finally {
      await runtime.close();
    }
    expect(runtime.out.stderr).not.toContain('cleanup failed');
    expect(runtime.out.stderr).not.toMatch(/\n\s+at /);
    expect(runtime.out.stderr).toContain(`the run lock on ${table} was lost during the run (its PostgreSQL connection ended, e.g. a server restart)`);
    expect(await indexNames()).toEqual(before);
    expect((await query('SELECT count(*)::int AS n FROM perfbench_index_intents')).rows[0]!.n).toBe(0);
  });

  it('still down at the end: cleanup says what is left and who removes it; the next bench removes it and says so', async () => {
    const before = await indexNames();
    const runtime = testRuntime(env());
    let stopped: Promise<void> | undefined;
    try {
      const options = benchOptions({ table, paths: 'index', duration: '1s', warmup: '0', trials: '1' });
      await bench(runtime, options, {
        onProgress: (event) => {
          if (event.target === 'index' && event.phase === 'measure' && !stopped) stopped = server.stopServer();
        },
      });
      await stopped;
    } finally {
      await runtime.close();
    }
    expect(runtime.out.stderr).toMatch(new RegExp(`cleanup failed: could not drop index ${table}_category_btree_pb, made for the run \\(cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${server.port}: connection refused\\); ` +
      `the next perfbench bench on ${table}, or \`perfbench index drop --table ${table}\`, removes it`));
    // The cleanup did not reuse a dead connection (the paths' own failures are item 4's business).
    expect(runtime.out.stderr).not.toContain('cleanup failed: Client has encountered a connection error');

    await server.startServer();
    expect(await indexNames()).toContain(`${table}_category_btree_pb`);
    const next = testRuntime(env());
    try {
      const outcome = await bench(next, benchOptions({ table, paths: 'index', duration: '300ms', warmup: '0', trials: '1' }));
      expect(outcome.result.paths[0]!.errors).toBe(0);
    } finally {
      await next.close();
    }
    expect(next.out.stderr).toMatch(new RegExp(`^removed index ${table}_category_btree_pb on ${table}: a perfbench bench made it for its run and ended without dropping it ` +
      `\\(bench, pid ${process.pid} on host ${hostname()}, since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)$`, 'm'));
    expect(await indexNames()).toEqual(before);
    expect(ExitCode.ok).toBe(0);
  });
});
