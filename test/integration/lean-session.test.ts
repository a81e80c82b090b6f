/**
 * The lean session (src/db/lean-session.ts) against real PostgreSQL servers: the shared one, and a
 * private one whose pg_hba.conf asks for each password exchange. What it answers is checked against
 * node-postgres on the same server: the same rows (values decoded alike), the same errors, the
 * same one-line connection failures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { connectClient, connectionError, type ConnectionTarget } from '../../src/db/connection.js';
import { findTable } from '../../src/db/catalog.js';
import { listIndexes } from '../../src/db/indexes.js';
import { LeanUnsupported, openLeanSession, type SqlSession } from '../../src/db/lean-session.js';
import { describeError } from '../../src/errors.js';
import { memoryOutput } from '../../src/output.js';
import { Runtime } from '../../src/runtime.js';
import { catalogIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { TEST_DATABASE_URL } from '../support/services.js';
import { useSilentServer } from '../support/silent-server.js';

const base = new URL(TEST_DATABASE_URL);
function shared(overrides: Partial<ConnectionTarget> = {}): ConnectionTarget {
  return {
    host: base.hostname, port: Number(base.port || 5432), user: decodeURIComponent(base.username), password: undefined,
    database: base.pathname.slice(1), sslmode: 'disable', mode: 'external', ...overrides,
  };
}

/** Runs `body` with a lean session and a node-postgres client on the same target. */
async function both<T>(target: ConnectionTarget, body: (session: SqlSession) => Promise<T>): Promise<{ lean: T; pg: T }> {
  const lean = await openLeanSession(target, 5000);
  const client = await connectClient(target, 5000);
  try {
    return { lean: await body(lean), pg: await body(client) };
  } finally {
    lean.close();
    await client.end();
  }
}

describe('the lean session on the shared server, against node-postgres', () => {
  it('gives the same rows for every common type, NULLs, arrays, dates, JSON, text parameters and duplicate names', async () => {
    const query = `SELECT true AS b, false AS f, 7::int2 AS i2, -8::int4 AS i4, 9007199254740993::int8 AS i8, 'pg_class'::regclass::oid AS o,
        1.5::float4 AS f4, 2.25::float8 AS f8, 1.10::numeric AS n, 'x'::text AS t, 'nm'::name AS nm, 'c'::"char" AS ch,
        'pad'::char(5) AS bp, 'v'::varchar AS v, NULL::text AS nul, ARRAY['a', 'b c', NULL]::text[] AS ta, ARRAY['x', 'y']::name[] AS na,
        ARRAY[1, 2]::int4[] AS ia, '2026-12-02 10:00:00.123+02'::timestamptz AS ts, '2026-12-02'::date AS d, '{"k": [1, "ü"]}'::jsonb AS j,
        '1 day 02:00'::interval AS iv, 'ünï "€" ''q'''::text AS u, $1::text AS p1, $2::int AS p2, $3::text IS NULL AS p3, $4::bool AS p4,
        $5::numeric AS p5, 1 AS dup, 2 AS dup`;
    const values = ['quoted "name" ünï', 42, null, true, 12345678901234567890n];
    const { lean, pg } = await both(shared(), (session) => session.query(query, values));
    expect(lean.rows).toEqual(pg.rows);
    expect(lean.rowCount).toBe(1);
    expect(lean.rows[0]).toMatchObject({ b: true, i2: 7, i8: '9007199254740993', nul: null, p1: 'quoted "name" ünï', p2: 42, p3: true, dup: 2 });
    expect(lean.rows[0].ts).toBeInstanceOf(Date);
  });

  it('gives the same rows and row counts for many rows, none, and a statement that returns none', async () => {
    const { lean, pg } = await both(shared(), async (session) => [
      await session.query('SELECT g AS n, repeat($1, g % 7) AS s FROM generate_series(1, 2500) g', ['ab']),
      await session.query('SELECT 1 AS one WHERE false'),
      await session.query('SET LOCAL statement_timeout = 0'),
    ]);
    expect(lean.map((r) => r.rows)).toEqual(pg.map((r) => r.rows));
    expect(lean.map((r) => r.rowCount)).toEqual(pg.map((r) => r.rowCount));
    expect(lean[0]!.rows).toHaveLength(2500);
  });

  it('runs queries asked for at once one after another, each with its own answer', async () => {
    const lean = await openLeanSession(shared(), 5000);
    try {
      const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => lean.query<{ n: number }>('SELECT $1::int * 10 AS n', [n])));
      expect(answers.map((a) => a.rows[0]!.n)).toEqual([10, 20, 30, 40, 50]);
    } finally {
      lean.close();
    }
  });

  it("throws pg's error for a failing statement (code, severity, position, one line) and goes on", async () => {
    const { lean, pg } = await both(shared(), async (session) => {
      const error = await session.query('SELECT * FROM pbt_lean_no_such_table WHERE x = $1', ['a']).catch((e) => e);
      const after = await session.query('SELECT 1 AS one');
      return { error, after: after.rows };
    });
    for (const key of ['message', 'code', 'severity', 'position'] as const) expect(lean.error[key]).toBe(pg.error[key]);
    expect(describeError(lean.error).line).toBe(describeError(pg.error).line);
    expect(lean.after).toEqual([{ one: 1 }]);
  });

  it("throws the server's FATAL error when it ends the session mid-query, as pg does", async () => {
    const admin = await connectClient(shared(), 5000);
    try {
      const { lean, pg } = await both(shared(), async (session) => {
        const pid = (await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        const sleeping = session.query('SELECT pg_sleep(10)').catch((e) => e);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        return sleeping;
      });
      expect(lean.code).toBe('57P01');
      expect(describeError(lean).line).toBe(describeError(pg).line);
    } finally {
      await admin.end();
    }
  });

  it('fails a COPY FROM STDIN it has no data for, and goes on', async () => {
    const lean = await openLeanSession(shared(), 5000);
    try {
      await lean.query('CREATE TEMP TABLE pbt_lean_copy (n int)');
      const error = await lean.query('COPY pbt_lean_copy FROM STDIN').catch((e) => e);
      expect(error.code).toBe('57014');
      expect((await lean.query('SELECT count(*)::int AS n FROM pbt_lean_copy')).rows).toEqual([{ n: 0 }]);
    } finally {
      lean.close();
    }
  });

  it("reads a quoted, mixed-case table's indexes as the pg client does", async () => {
    const admin = await connectClient(shared(), 5000);
    const name = `Lean "Tbl" ${process.pid}`;
    const quoted = `"${name.replace(/"/g, '""')}"`;
    try {
      await admin.query(`CREATE TABLE ${quoted} ("Ünï col" text, n int PRIMARY KEY)`);
      await admin.query(`CREATE INDEX ON ${quoted} (lower("Ünï col")) WHERE n > 0`);
      await admin.query(`CREATE INDEX "idx ""q""" ON ${quoted} ("Ünï col", n)`);
      const table = tableIdentifier(quoted);
      const { lean, pg } = await both(shared(), async (session) => {
        const found = (await findTable(session, table))!;
        return { found, indexes: await listIndexes(session, found) };
      });
      expect(lean).toEqual(pg);
      expect(lean.found).toEqual({ ...catalogIdentifier('public', name), text: quoted });
      expect(lean.indexes.map((index) => index.columns)).toContainEqual(['Ünï col', 'n']);
    } finally {
      await admin.query(`DROP TABLE IF EXISTS ${quoted}`);
      await admin.end();
    }
  });
});

describe('the lean session: connection failures read as the same one line as pg', () => {
  const silent = useSilentServer();

  const lines = async (target: ConnectionTarget, timeoutMs = 2000) => {
    const lean = await openLeanSession(target, timeoutMs).then(() => 'connected', (error) => connectionError(error, target, timeoutMs).line);
    const pg = await connectClient(target, timeoutMs).then(async (client) => {
      await client.end();
      return 'connected';
    }, (error) => error.line);
    return { lean, pg };
  };

  it('a silent server: no answer within the bound', async () => {
    const started = Date.now();
    const { lean, pg } = await lines(shared({ host: '127.0.0.1', port: silent.port }), 300);
    expect(lean).toBe(pg);
    expect(lean).toContain('no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a refused port, an unknown database, an unknown role', async () => {
    for (const target of [shared({ host: '127.0.0.1', port: 1 }), shared({ database: 'pbt_lean_no_such_db' }), shared({ user: `pbt_lean_nobody_${process.pid}` })]) {
      const { lean, pg } = await lines(target);
      expect(lean).toBe(pg);
      expect(lean).toMatch(/^cannot connect to PostgreSQL at /);
    }
  });

  it('says LeanUnsupported, with nothing opened, for a target that needs TLS', async () => {
    await expect(openLeanSession(shared({ sslmode: 'require' }), 2000)).rejects.toBeInstanceOf(LeanUnsupported);
    await expect(openLeanSession(shared({ sslmode: 'verify-full' }), 2000)).rejects.toBeInstanceOf(LeanUnsupported);
  });
});

describe('the lean session on a server that asks for passwords (a private PostgreSQL)', () => {
  let server: PrivatePostgres;
  const roles = { scram: 'pbt_scram', md5: 'pbt_md5', clear: 'pbt_clear', scramOnMd5Line: 'pbt_scram_md5_line' } as const;
  // A no-break space, a ligature and a combining mark: SCRAM derives its key from the SASLprep'd text.
  const password = 'pa\u0308ss\u00A0word \uFB01 with spaces: & "quotes"';

  beforeAll(async () => {
    server = await PrivatePostgres.start();
    const admin = await connectClient(privateTarget('postgres'), 10_000);
    try {
      await admin.query(`SET password_encryption = 'scram-sha-256'`);
      for (const role of [roles.scram, roles.clear, roles.scramOnMd5Line]) await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
      await admin.query(`SET password_encryption = 'md5'`);
      await admin.query(`CREATE ROLE ${roles.md5} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
    } finally {
      await admin.end();
    }
    await server.authenticate([
      'local all postgres trust',
      'host all postgres 127.0.0.1/32 trust',
      `host all ${roles.scram} 127.0.0.1/32 scram-sha-256`,
      `local all ${roles.scram} scram-sha-256`,
      `host all ${roles.md5} 127.0.0.1/32 md5`,
      // md5 on the line, a SCRAM secret stored: the server runs SCRAM (PostgreSQL's documented upgrade path).
      `host all ${roles.scramOnMd5Line} 127.0.0.1/32 md5`,
      `host all ${roles.clear} 127.0.0.1/32 password`,
    ]);
  }, 120_000);
  afterAll(() => server?.stop());

  function privateTarget(user: string, secret?: string, host = '127.0.0.1'): ConnectionTarget {
    return { host, port: server.port, user, password: secret, database: 'postgres', sslmode: 'prefer', mode: 'external' };
  }

  it.each(Object.values(roles))('authenticates %s over TCP with its password, and queries', async (role) => {
    const session = await openLeanSession(privateTarget(role, password), 5000);
    try {
      expect((await session.query<{ user: string }>('SELECT current_user AS user')).rows).toEqual([{ user: role }]);
    } finally {
      session.close();
    }
  });

  it('authenticates over the Unix socket when the host is its directory', async () => {
    const session = await openLeanSession(privateTarget(roles.scram, password, server.socketDir), 5000);
    try {
      expect((await session.query<{ over: string | null }>('SELECT inet_client_addr()::text AS over')).rows).toEqual([{ over: null }]);
    } finally {
      session.close();
    }
  });

  it.each(Object.values(roles))('refuses a wrong password for %s in the same one line as pg', async (role) => {
    const target = privateTarget(role, 'wrong');
    const lean = await openLeanSession(target, 5000).then(() => 'connected', (error) => connectionError(error, target, 5000).line);
    const pg = await connectClient(target, 5000).then(() => 'connected', (error) => error.line);
    expect(lean).toBe(pg);
    expect(lean).toContain(`password authentication failed for user '${role}'`);
  });

  it('without a password, leaves it to node-postgres (which would read ~/.pgpass): the runtime falls back', async () => {
    await expect(openLeanSession(privateTarget(roles.scram), 5000)).rejects.toBeInstanceOf(LeanUnsupported);
    const url = `postgres://${roles.scram}@127.0.0.1:${server.port}/postgres`;
    const runtime = new Runtime(loadConfig({ flags: { databaseUrl: url, connectTimeout: '5000' }, env: { REDIS_URL: 'memory://', HOME: '/nonexistent' }, cwd: '/nonexistent' }), memoryOutput());
    try {
      const error = await runtime.catalog().catch((e) => e);
      expect(error.line).toContain(`password authentication failed for user '${roles.scram}'`);
    } finally {
      await runtime.close();
    }
  });
});
