/**
 * Fixtures for the serve integration tests: a seeded table of the file's own, pools on the test
 * PostgreSQL (TEST_DATABASE_URL from support/services.ts, so PERFBENCH_TEST_* keeps runs apart), a
 * private redis-server that can be stopped and restarted, a TCP proxy in front of PostgreSQL that
 * can be cut (the "PostgreSQL down" fault without touching the machine's server), and small HTTP
 * helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request, type Agent } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { builtinReportWorkload } from '../../src/db/report.js';
import type { Workload } from '../../src/workload/workload.js';
import { freeLoopbackPort } from '../../src/net.js';
import { cli } from '../support/cli.js';
import { TEST_DATABASE_URL, dropSeededTable, uniqueTable } from '../support/services.js';

/** This test file's own table (each file loads this module afresh), so parallel runs never share one. */
export const TABLE = uniqueTable('serve');
export const CATEGORIES = 20;
export const WORKLOAD: Workload = builtinReportWorkload({ table: tableIdentifier(TABLE), column: columnIdentifier('category') });

/**
 * Seeds TABLE (20,000 rows, 20 categories: ~1,000 rows per report) through the CLI from src/, in
 * process: bin/perfbench would run dist/, which may be older than the source under test.
 */
export async function seedTable(): Promise<void> {
  const result = await cli(['seed', '--table', TABLE, '--rows', '20000', '--categories', String(CATEGORIES), '--reset']);
  if (result.code !== 0) throw new Error(`seeding ${TABLE} failed (exit ${result.code}): ${result.stderr.trim()}`);
}

/** Drops TABLE and its dataset record, so a run leaves the database as it found it. */
export async function dropTable(): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await dropSeededTable(admin, TABLE);
  } finally {
    await admin.end();
  }
}

/** A namespace no other run uses, so cache keys never collide. */
export function uniqueNamespace(label: string): string {
  return `test-${label}-${randomUUID()}`;
}

/** A pool whose report queries (the named prepared statement) are counted and can be held at a gate. */
export function countingPool(connectionString = TEST_DATABASE_URL, max = 5): pg.Pool & { reportQueries: number; gate?: Promise<void> } {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 2_000 }) as pg.Pool & { reportQueries: number; gate?: Promise<void> };
  pool.on('error', () => undefined);
  pool.reportQueries = 0;
  const original = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args: unknown[]) => {
    const config = args[0] as { name?: string } | string;
    if (typeof config === 'object' && config.name?.startsWith('perfbench_report_')) {
      pool.reportQueries++;
      if (pool.gate) await pool.gate;
    }
    return original(...args);
  };
  return pool;
}

/** A connectSlow factory that counts connections and can hold each query at a gate. */
export function slowFactory(connectionString = TEST_DATABASE_URL, applicationName = `perfbench-test-slow-${randomUUID().slice(0, 8)}`) {
  const state = { connects: 0, applicationName, gate: undefined as Promise<void> | undefined, clients: [] as pg.Client[] };
  const connect = async (): Promise<pg.Client> => {
    state.connects++;
    const client = new pg.Client({ connectionString, application_name: applicationName, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    await client.connect();
    const original = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args: unknown[]) => {
      if (state.gate) await state.gate;
      return original(...args);
    };
    state.clients.push(client);
    return client;
  };
  return { state, connect };
}

/** A gate: `wait` until `open()`. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP request (a fresh connection unless an agent is given), body read fully. */
export function fetchRaw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; agent?: Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export function json(reply: Reply): Record<string, unknown> {
  return JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
}

/** Sends raw bytes on a new connection and returns everything the server sent until it closed. */
export function rawExchange(port: number, payload: string | Buffer, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close while we still write; what it answered is what counts.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(error);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(payload);
  });
}

/** Polls `check` every 100 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/** A private redis-server on a fixed free port that a test may stop and start again. */
export class TestRedis {
  private child: ChildProcess | undefined;
  /** `extraArgs`: more redis-server options, e.g. `['--enable-debug-command', 'yes']`. */
  private constructor(readonly port: number, private readonly extraArgs: readonly string[] = []) {}

  /** A free port for a redis-server that is not running yet (`start()` starts it there). */
  static async reserve(): Promise<TestRedis> {
    return new TestRedis(await freeLoopbackPort());
  }

  static async start(extraArgs: readonly string[] = []): Promise<TestRedis> {
    const redis = new TestRedis(await freeLoopbackPort(), extraArgs);
    await redis.start();
    return redis;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.extraArgs], { stdio: 'ignore' });
    this.child = child;
    await eventually('redis-server to answer PING', async () => {
      const probe = new Redis({ port: this.port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG' ? true : undefined;
      } finally {
        probe.disconnect();
      }
    }, 10_000);
  }

  /** A connected client of the test's own (commands fail at once, not queued, while the server is down); the caller disconnects it. */
  async client(): Promise<Redis> {
    const client = new Redis({ host: '127.0.0.1', port: this.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    return client;
  }

  /** Stops the server and waits until it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * A TCP proxy in front of the real PostgreSQL. `down()` cuts every connection and refuses new ones,
 * as a stopped server does; `up()` listens again on the same port.
 */
export class PgProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private constructor(readonly port: number, private readonly targetHost: string, private readonly targetPort: number) {}

  /** A proxy in front of the test database (TEST_DATABASE_URL's host and port). */
  static async start(): Promise<PgProxy> {
    const target = new URL(TEST_DATABASE_URL);
    const proxy = new PgProxy(await freeLoopbackPort(), target.hostname || '127.0.0.1', Number(target.port || 5432));
    await proxy.up();
    return proxy;
  }

  get url(): string {
    const url = new URL(TEST_DATABASE_URL);
    url.host = `127.0.0.1:${this.port}`;
    return url.toString();
  }

  up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}
