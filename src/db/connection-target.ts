/**
 * Database adapter: where a connection goes, and what its failure says: one line, the same whichever
 * client failed (node-postgres, libpq, the lean session). No driver is loaded here.
 */
import type { DatabaseConfig, SslMode } from '../config.js';
import { firstLine, UserError } from '../errors.js';
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
