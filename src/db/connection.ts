/** Database adapter: connections and pools through node-postgres, with one-line connection errors. */
import type { Socket } from 'node:net';
import type pg from 'pg';
import type { SslMode } from '../config.js';
import { connectionError, type ConnectionTarget } from './connection-target.js';
import { pgDriver } from './pg-driver.js';
import { pgSocket } from './reader-socket.js';

// Their home is connection-target.ts (no driver in it: the lean session uses them too); importers find them here as before.
export { connectionError, type ConnectionTarget } from './connection-target.js';

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
