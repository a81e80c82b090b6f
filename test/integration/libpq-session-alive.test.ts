/**
 * A libpq session the server ends while it sits idle (between runs: an administrator's
 * pg_terminate_backend, idle_session_timeout) is seen as gone before the next run and replaced,
 * instead of being found by the run's first operation, which would count a failure (08006) the run
 * did not cause. Real PostgreSQL, real libpq.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibpqSession } from '../../src/db/libpq-session.js';
import { Connections } from '../../src/targets/path.js';
import { TEST_DATABASE_URL, withRuntime } from '../support/services.js';

let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
});

afterAll(async () => {
  await admin.end();
});

const backendPid = (session: LibpqSession): number => Number(session.value('SELECT pg_backend_pid()', []));

/** Ends backend `pid` as an administrator would, and waits until it is gone. */
async function terminate(pid: number): Promise<void> {
  await admin.query('SELECT pg_terminate_backend($1, 5000)', [pid]);
  for (let i = 0; i < 100; i++) {
    if ((await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`backend ${pid} did not end`);
}

describe('a libpq session ended while idle', () => {
  it('says it is gone (alive() false), while a live one says it stands and stays usable', async () => {
    await withRuntime(async (runtime) => {
      const target = await runtime.database();
      const [live, doomed] = [await LibpqSession.connect(target, 5000), await LibpqSession.connect(target, 5000)];
      try {
        await terminate(backendPid(doomed));
        expect(live.alive()).toBe(true);
        expect(doomed.alive()).toBe(false);
        expect(live.run('SELECT $1::int + 1 AS "Next"', ['41'])).toBe(1);
        expect(live.alive()).toBe(true);
      } finally {
        await Promise.all([live.end(), doomed.end()]);
      }
      expect(live.alive()).toBe(false);
    });
  });

  it('is replaced by the pool before the next run, so that run\'s first operation meets a live session', async () => {
    await withRuntime(async (runtime) => {
      const target = await runtime.database();
      const connections = new Connections(() => LibpqSession.connect(target, 5000));
      try {
        await connections.ensure(1);
        const victim = backendPid(connections.any()!);
        await terminate(victim);
        await connections.ensure(1);
        const after: number[] = [];
        expect(connections.useNow((session, into: number[]) => void into.push(backendPid(session)), after)).toBe(true);
        expect(after).toHaveLength(1);
        expect(after[0]).not.toBe(victim);
        // Replaced before any operation failed: no outage to report.
        expect(connections.takeOutages()).toEqual([]);
      } finally {
        await connections.close();
      }
    });
  });
});
