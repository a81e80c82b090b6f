/**
 * Database adapter: Is PostgreSQL reachable right now? The serve mode answers 503 (retry later) rather than 500 when
 * it is not, and a small circuit breaker keeps a hanging database from costing every request a
 * connect timeout.
 */
import { firstLine } from '../errors.js';
import { inSqlStateClass, SQLSTATE, SQLSTATE_CLASS } from './sqlstate.js';

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  SQLSTATE.adminShutdown, SQLSTATE.crashShutdown, SQLSTATE.cannotConnectNow, SQLSTATE.tooManyConnections]);

/**
 * True when an error means "no usable connection to PostgreSQL" (503, retry later) rather than
 * "the query itself failed" (500): socket errors, SQLSTATE class 08 and the shutdown codes, and
 * node-postgres' own messages for a dropped or timed-out connection.
 */
export function isUnavailable(error: unknown): boolean {
  const err = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (UNAVAILABLE_CODES.has(code) || inSqlStateClass(code, SQLSTATE_CLASS.connectionException)) return true;
  const message = typeof err?.message === 'string' ? err.message : '';
  // "cannot connect to PostgreSQL at …": perfbench's own one-line connection error (connectClient), which the
  // slow route's reconnect raises; it carries no socket code.
  return /Connection terminated|timeout exceeded when trying to connect|Connection timeout|connection error|Client was closed|not queryable|database unavailable|cannot connect to PostgreSQL at /i.test(message);
}

/** Thrown while the breaker is open: the database failed moments ago, so do not wait on it again. */
export class DatabaseUnavailable extends Error {
  constructor(cause: unknown) {
    super(`database unavailable: ${firstLine((cause as Error)?.message ?? String(cause))}`, { cause });
    this.name = 'DatabaseUnavailable';
  }
}

/**
 * A minimal circuit breaker. After an "unavailable" failure, calls fail at once for `retryMs`, so a
 * database that hangs (a connect that only times out) costs one request the connect timeout, not
 * every request; after the window, requests try again, and the first success closes it.
 */
export class Breaker {
  private openUntilMs = 0;
  private lastError: unknown;
  up = true;

  constructor(private readonly retryMs: number, private readonly nowMs: () => number = () => performance.now(),
    private readonly onChange?: (up: boolean, error?: unknown) => void) {}

  /** Throws `DatabaseUnavailable` while open. */
  check(): void {
    if (this.openUntilMs > 0 && this.nowMs() < this.openUntilMs) throw new DatabaseUnavailable(this.lastError);
  }

  success(): void {
    this.openUntilMs = 0;
    if (!this.up) {
      this.up = true;
      this.onChange?.(true);
    }
  }

  /** Opens the breaker when `error` is an availability failure; other errors pass through untouched. */
  failure(error: unknown): void {
    if (!isUnavailable(error) || error instanceof DatabaseUnavailable) return;
    this.lastError = error;
    this.openUntilMs = this.nowMs() + this.retryMs;
    if (this.up) {
      this.up = false;
      this.onChange?.(false, error);
    }
  }
}

