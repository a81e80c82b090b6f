/** Database adapter: connections and pools through node-postgres, with one-line connection errors. */
import type { Socket } from 'node:net';
import type pg from 'pg';
import type { DatabaseConfig, SslMode } from '../config.js';
import { firstLine, UserError } from '../errors.js';
import { pgDriver } from './pg-driver.js';
import { pgSocket } from './reader-socket.js';
import { SQLSTATE } from './sqlstate.js';

/** Where to connect: a configured server, or the embedded one once it runs. */
export interface ConnectionTarget {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  sslmode: SslMode;
  /** 'external' or 'embedded', for messages: what to do differs. */
  mode: DatabaseConfig['mode'];
}

/** node-postgres options for a target. `prefer`/`allow` connect in clear: pg has no TLS fallback. */
export function clientOptions(target: ConnectionTarget, connectTimeoutMs: number, applicationName = 'perfbench'): pg.ClientConfig {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    ssl: sslOption(target.sslmode),
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: applicationName,
    stream: pgSocket,
  };
}

function sslOption(mode: SslMode): pg.ClientConfig['ssl'] {
  switch (mode) {
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      return false;
  }
}

/** Opens one client, translating every connection failure into a one-line UserError. */
export async function connectClient(target: ConnectionTarget, connectTimeoutMs: number): Promise<pg.Client> {
  const client = new pgDriver.Client(clientOptions(target, connectTimeoutMs));
  // A server that goes away later must not crash the process through an unhandled 'error' event;
  // the failing query reports it instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectionError(error, target, connectTimeoutMs);
  }
  return client;
}

/**
 * Ends a session that only read, without waiting for the server's side of the close. client.end()
 * sends Terminate and then waits for the backend to exit and close the socket: 15-22 ms on a local
 * server, all of it the backend's own shutdown, in which it releases what the session held. An idle
 * read-only session holds nothing another session could wait on, so once Terminate is on its way
 * the socket no longer keeps the process alive (the pending write still does). A session in a
 * transaction, or in a failed one, is waited for all the same: its locks go only with its backend.
 */
export function closeReadOnlyClient(client: pg.Client): Promise<void> {
  const idle = client.getTransactionStatus() === 'I';
  const ended = client.end().catch(() => undefined);
  if (!idle) return ended;
  // A TLS connection's stream is the TLSSocket pg wrapped around the socket: it has unref too.
  (client.connection.stream as Partial<Pick<Socket, 'unref'>>).unref?.();
  return Promise.resolve();
}

/** A pool whose first connection is checked eagerly, so a bad target fails before any work starts. */
export async function openPool(target: ConnectionTarget, connectTimeoutMs: number, max: number): Promise<pg.Pool> {
  const pool = new pgDriver.Pool({ ...clientOptions(target, connectTimeoutMs), max });
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw connectionError(error, target, connectTimeoutMs);
  }
  return pool;
}

/** Says which server, why it failed and what to do, in one line. */
export function connectionError(error: unknown, target: ConnectionTarget, connectTimeoutMs: number): UserError {
  const where = `PostgreSQL at ${target.host}:${target.port}`;
  const err = error as { code?: string; message?: string };
  const message = err.message ?? String(error);
  const code = err.code ?? '';
  const fixTarget = target.mode === 'embedded'
    ? 'run `perfbench doctor`; removing the embedded data directory it names starts afresh'
    : 'check DATABASE_URL / DB_HOST / DB_PORT (or --database-url)';
  if (code === 'ECONNREFUSED') {
    return new UserError(`cannot connect to ${where}: connection refused`, `is the server running? ${fixTarget}`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new UserError(`cannot connect to ${where}: unknown host '${target.host}'`, fixTarget);
  }
  if (code === 'ETIMEDOUT' || /timeout/i.test(message)) {
    return new UserError(
      `cannot connect to ${where}: no answer within ${connectTimeoutMs} ms`,
      `check the host, port and firewall, or raise --connect-timeout`,
    );
  }
  if (code === SQLSTATE.invalidPassword || /password/i.test(message) && /SASL|SCRAM|password must be/i.test(message)) {
    return new UserError(
      `cannot connect to ${where}: password authentication failed for user '${target.user}'`,
      'check DB_PASSWORD / PGPASSWORD or the password in DATABASE_URL',
    );
  }
  if (code === SQLSTATE.invalidAuthorizationSpecification) {
    return new UserError(
      `cannot connect to ${where}: the server refused user '${target.user}' (${firstLine(message)})`,
      'check the user name and the server\'s pg_hba.conf',
    );
  }
  if (code === SQLSTATE.invalidCatalogName) {
    return new UserError(
      `cannot connect to ${where}: database '${target.database}' does not exist`,
      `create it (createdb ${target.database}) or point DB_NAME / DATABASE_URL at an existing one`,
    );
  }
  if (/SSL|TLS|certificate/i.test(message) || code.startsWith('ERR_TLS') || code.includes('CERT')) {
    return new UserError(
      `cannot connect to ${where}: TLS failed (${firstLine(message)})`,
      'set PGSSLMODE (or ?sslmode= in DATABASE_URL) to what the server supports: disable, require or verify-full',
    );
  }
  if (code === 'ECONNRESET' || code === SQLSTATE.cannotConnectNow) {
    return new UserError(`cannot connect to ${where}: ${firstLine(message)}`, 'the server is starting or shutting down; try again');
  }
  return new UserError(`cannot connect to ${where}: ${firstLine(message)}`, fixTarget);
}
