/**
 * The wire channel of the timed DB paths (src/db/wire-channel.ts) against a real PostgreSQL: rows
 * counted off the socket match what node-postgres decodes, on a quoted, mixed-case table with
 * NULLs and multi-byte text; server errors arrive with their SQLSTATE and leave the connection
 * usable; pg's own queries and the channel's share one connection in any order; a terminated
 * backend fails the run in flight as "unavailable" (what the paths' reconnect logic keys on); and
 * a client the channel cannot serve falls back to pg's parser. All of it on both sockets pg may
 * connect with: its own plain one, and perfbench's pgSocket, which lends the channel its reads from
 * one reused buffer and hands pg copies (src/db/reader-socket.ts).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnavailable } from '../../src/db/availability.js';
import { runRaw, runRawParsed } from '../../src/db/bench-queries.js';
import { pgSocket } from '../../src/db/reader-socket.js';
import { wireChannel } from '../../src/db/wire-channel.js';
import { TEST_DATABASE_URL, uniqueTable } from '../support/services.js';

const table = `"${uniqueTable('Wire Ümlaut')}"`;
const select = `SELECT id, label, price, at FROM ${table} WHERE grp = $1 ORDER BY id`;
let admin: pg.Client;

async function connect(stream?: typeof pgSocket): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, application_name: 'perfbench-wire-test', ...(stream ? { stream } : {}) });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function withClientOn<T>(stream: typeof pgSocket | undefined, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(stream);
  try {
    return await body(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

beforeAll(async () => {
  admin = await connect();
  await admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY, grp text NOT NULL, label text, price numeric(10,2), at timestamptz)`);
  // 3,000 rows in 3 groups; every 7th label NULL, long multi-byte labels so rows span socket chunks.
  await admin.query(`INSERT INTO ${table} SELECT i, 'g' || (i % 3), CASE WHEN i % 7 = 0 THEN NULL ELSE repeat('é', i % 500) END, i / 100.0, now() FROM generate_series(1, 3000) i`);
});
afterAll(async () => {
  await admin?.query(`DROP TABLE IF EXISTS ${table}`);
  await admin?.end();
});

const SOCKETS = [
  { kind: "pg's own plain socket", stream: undefined },
  { kind: 'a pgSocket, reads lent from one reused buffer', stream: pgSocket },
];

describe.each(SOCKETS)('the wire channel, on $kind', ({ stream }) => {
  const withClient = <T>(body: (client: pg.Client) => Promise<T>): Promise<T> => withClientOn(stream, body);

  it('serves a pg.Client of the pinned pg, and counts exactly the rows pg decodes, prepared once per connection', async () => {
    await withClient(async (client) => {
      expect(wireChannel(client)).toBeDefined();
      for (const group of ['g0', 'g1', 'g2', 'g0', 'nothing']) {
        const decoded = await admin.query(select, [group]);
        expect(await runRaw(client, 'pbt_wire', select, [group])).toBe(decoded.rowCount);
        // pg's own parser on the same socket: about 500 kB of rows, over many reads, decoded alike.
        expect((await client.query(select, [group])).rows).toEqual(decoded.rows);
      }
      const prepared = await client.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'pbt_wire%'");
      expect(prepared.rows.map((row) => row.name)).toEqual([expect.stringMatching(/^pbt_wire_w_[0-9a-f]{12}$/)]);
    });
  });

  it('rejects with the server\'s error and SQLSTATE, then serves pg and the channel again on the same connection', async () => {
    await withClient(async (client) => {
      const missing = await runRaw(client, 'pbt_wire', 'SELECT * FROM "pbt no such table" WHERE a = $1', ['x']).catch((error: unknown) => error);
      expect(missing).toBeInstanceOf(pg.DatabaseError);
      expect(missing).toMatchObject({ code: '42P01', severity: 'ERROR', message: 'relation "pbt no such table" does not exist' });
      expect(isUnavailable(missing)).toBe(false);
      const division = await runRaw(client, 'pbt_wire', 'SELECT 1 / $1::int', ['0']).catch((error: unknown) => error);
      expect(division).toMatchObject({ code: '22012' });
      // The statement whose execution failed stays prepared; the next run of it works.
      expect(await runRaw(client, 'pbt_wire', 'SELECT 1 / $1::int', ['1'])).toBe(1);
      expect((await client.query('SELECT 42 AS answer')).rows).toEqual([{ answer: 42 }]);
      expect(await runRaw(client, 'pbt_wire', select, ['g1'])).toBe(1000);
    });
  });

  it('shares the connection with pg\'s own queries in any order', async () => {
    await withClient(async (client) => {
      // The first run goes over the wire; pg sends its query while that answer is still coming,
      // and gets its own answer, which follows ours on the socket; later runs wait, or go through pg while pg is busy
      // (pg prints a deprecation warning for its own queries queued behind each other here).
      const [a, b, c, d, e] = await Promise.all([
        runRaw(client, 'pbt_wire', select, ['g0']),
        client.query(`SELECT count(*)::int AS n FROM ${table}`),
        runRaw(client, 'pbt_wire', select, ['g2']),
        client.query(`SELECT label FROM ${table} WHERE id = 1`),
        runRaw(client, 'pbt_wire', select, ['nothing']),
      ]);
      expect([a, b.rows[0].n, c, d.rows[0].label, e]).toEqual([1000, 3000, 1000, 'é', 0]);
      expect(await runRaw(client, 'pbt_wire', select, ['g1'])).toBe(1000);
    });
  });

  it('runs callers of one connection one after the other, all over the wire', async () => {
    await withClient(async (client) => {
      const runs = [runRaw(client, 'pbt_wire', select, ['g0']), runRaw(client, 'pbt_wire', select, ['g1']), runRaw(client, 'pbt_wire', select, ['nothing'])];
      expect(await Promise.all(runs)).toEqual([1000, 1000, 0]);
      // Only the channel's statement: none of the three went through pg's parser.
      const names = await client.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'pbt_wire%'");
      expect(names.rows.map((row) => row.name)).toEqual([expect.stringMatching(/^pbt_wire_w_/)]);
    });
  });

  it('prepares a statement again after the session dropped it (DEALLOCATE ALL)', async () => {
    await withClient(async (client) => {
      expect(await runRaw(client, 'pbt_wire', select, ['g0'])).toBe(1000);
      await client.query('DEALLOCATE ALL');
      await expect(runRaw(client, 'pbt_wire', select, ['g0'])).rejects.toMatchObject({ code: '26000' });
      expect(await runRaw(client, 'pbt_wire', select, ['g0'])).toBe(1000);
    });
  });

  it('refuses COPY FROM STDIN with an error instead of hanging, and the connection goes on', async () => {
    await withClient(async (client) => {
      await client.query('CREATE TEMP TABLE pbt_wire_copy (a text)');
      const copy = await runRaw(client, 'pbt_wire', 'COPY pbt_wire_copy FROM STDIN', []).catch((error: unknown) => error);
      expect(copy).toMatchObject({ code: '57014', message: expect.stringContaining('perfbench sends no COPY data') });
      expect(await runRaw(client, 'pbt_wire', select, ['g2'])).toBe(1000);
      expect((await client.query('SELECT count(*)::int AS n FROM pbt_wire_copy')).rows[0].n).toBe(0);
    });
  });

  it('fails the run in flight as unavailable when the backend is terminated, and every later run too', async () => {
    await withClient(async (client) => {
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
      const running = runRaw(client, 'pbt_wire', 'SELECT pg_sleep($1::float8)', ['30']).catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const error = await running;
      expect(error).toMatchObject({ code: '57P01', severity: 'FATAL' });
      expect(isUnavailable(error)).toBe(true);
      await ended; // pg saw the socket close too: the paths' Connections mark the client lost on this event
      const later = await runRaw(client, 'pbt_wire', select, ['g0']).catch((e: unknown) => e);
      expect(isUnavailable(later)).toBe(true);
    });
  });

  it('falls back to pg\'s parser for a client it cannot serve, with the same count', async () => {
    await withClient(async (client) => {
      // A second reader on the socket: the channel cannot tell which one is pg's, so it stays out.
      const other = (): void => undefined;
      (client as unknown as { connection: { stream: NodeJS.EventEmitter } }).connection.stream.on('data', other);
      expect(wireChannel(client)).toBeUndefined();
      expect(await runRaw(client, 'pbt_wire', select, ['g1'])).toBe(1000);
      expect(await runRawParsed(client, 'pbt_wire', select, ['g1'])).toBe(1000);
      const prepared = await client.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'pbt_wire%'");
      expect(prepared.rows.map((row) => row.name)).toEqual([expect.stringMatching(/^pbt_wire_[0-9a-f]{12}$/)]);
    });
  });
});
