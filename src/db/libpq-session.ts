/**
 * Database adapter: one PostgreSQL connection through libpq (the `libpq` package, an optional
 * native dependency), for `bench --workload --driver libpq`. Its statements run **synchronously**:
 * the calling thread blocks in libpq's own poll() until the answer is in, as pgbench's client does,
 * with no event loop, promise or socket callback in the round trip. That is the point: on a small
 * machine the Node.js event loop's cost per round trip (an epoll wake-up, the read callback, the
 * write) is what keeps an async client at 0.3–0.9x pgbench's rate (bench:fidelity), and a blocked
 * thread does not pay it. The price is one connection per process: a session blocks everything else
 * its thread would do, so bench gives each client its own worker process (bench-threads.ts).
 *
 * Statements are named prepared statements bound as text (`-M prepared`); rows are counted, or kept
 * as text for the cache path. A server error becomes an Error with the SQLSTATE as `code`, as
 * node-postgres reports it, so failures are counted the same on both drivers.
 */
import { createRequire } from 'node:module';
import { firstLine, usageError } from '../errors.js';
import { connectionError, type ConnectionTarget } from './connection.js';

/** The part of the `libpq` package's PQ class this adapter uses (the package ships no types). */
interface NativeConnection {
  connect(conninfo: string, callback: (error?: Error) => void): void;
  prepare(name: string, text: string, nParams: number): void;
  execPrepared(name: string, values: string[]): void;
  exec(text: string): void;
  execParams(text: string, values: string[]): void;
  resultStatus(): string;
  resultErrorMessage(): string;
  resultErrorFields(): { sqlState?: string; messagePrimary?: string } | null;
  /** PQtransactionStatus: 0 idle, 1 active, 2 in a transaction, 3 in a failed one, 4 unknown (the connection is bad). */
  transactionStatus(): number;
  errorMessage(): string;
  ntuples(): number;
  nfields(): number;
  getvalue(row: number, column: number): string;
  getisnull(row: number, column: number): boolean;
  finish(): void;
  /** PQconsumeInput: reads what the server sent, without blocking; false when the connection is broken. */
  consumeInput(): boolean;
}

type NativeConstructor = new () => NativeConnection;
let native: NativeConstructor | undefined;

/** The `libpq` package, loaded on first use: only `--driver libpq` needs it, and it may be absent (it is optional). */
function loadLibpq(): NativeConstructor {
  if (native) return native;
  try {
    native = createRequire(import.meta.url)('libpq') as NativeConstructor;
  } catch (error) {
    throw usageError(
      `--driver libpq needs the optional native module 'libpq', which did not load (${firstLine((error as Error).message)})`,
      "install libpq's headers (apt install libpq-dev) and run npm install again, or drop --driver libpq",
    );
  }
  return native;
}

/** Checks, before anything connects, that the libpq driver can run here: a one-line usage error (exit 2) if the optional module did not build. */
export function requireLibpq(): void {
  loadLibpq();
}

/** What the sessions call themselves in pg_stat_activity (node-postgres' connections say `perfbench`). */
export const LIBPQ_APPLICATION_NAME = 'perfbench-libpq';

/**
 * A libpq connection string for `target`: key='value' pairs, quoted as libpq requires. It connects
 * as node-postgres does, so that the two drivers measure the same connection:
 * - sslmode `prefer` and `allow` connect in clear, as node-postgres (which has no TLS fallback)
 *   does; libpq itself would use TLS whenever the server offers it. (`verify-ca`/`verify-full`
 *   check the server's certificate against libpq's root certificate, ~/.postgresql/root.crt or
 *   PGSSLROOTCERT, where node-postgres uses Node.js's CA list.)
 * - notices and warnings are not sent (client_min_messages=error): node-postgres drops them, and
 *   libpq would print each one on stderr, under the benchmark's own output.
 */
export function conninfo(target: ConnectionTarget, connectTimeoutMs: number, applicationName = LIBPQ_APPLICATION_NAME): string {
  const pairs: Record<string, string | undefined> = {
    host: target.host,
    port: String(target.port),
    user: target.user,
    password: target.password,
    dbname: target.database,
    sslmode: target.sslmode === 'prefer' || target.sslmode === 'allow' ? 'disable' : target.sslmode,
    // libpq counts whole seconds, and 0 would mean "wait forever".
    connect_timeout: String(Math.max(1, Math.ceil(connectTimeoutMs / 1000))),
    application_name: applicationName,
    options: '-c client_min_messages=error',
  };
  return Object.entries(pairs)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${key}='${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
    .join(' ');
}

/** SQLSTATE 08006, connection_failure: what a libpq error without a server SQLSTATE means on an open connection. */
const CONNECTION_FAILURE = '08006';
/** PQtransactionStatus values. */
const TRANSACTION_OPEN = 2;
const TRANSACTION_FAILED = 3;
const TRANSACTION_UNKNOWN = 4;

/** A server error as node-postgres reports one: the message, and the SQLSTATE as `code`. */
class LibpqError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'LibpqError';
  }
}

export class LibpqSession {
  /** The statements prepared on this connection: text -> name (named here: hashing the text per call would cost more than the call's own JS). */
  private readonly prepared = new Map<string, string>();
  private closed = false;

  private constructor(private readonly connection: NativeConnection) {}

  /** Connects (off the thread: libpq's connect runs in the thread pool); a failure is the one-line error node-postgres' would be (connectionError). */
  static connect(target: ConnectionTarget, connectTimeoutMs: number): Promise<LibpqSession> {
    const Native = loadLibpq();
    const connection = new Native();
    return new Promise((resolve, reject) => {
      connection.connect(conninfo(target, connectTimeoutMs), (error) => {
        if (!error) return resolve(new LibpqSession(connection));
        connection.finish();
        reject(connectionError(error, target, connectTimeoutMs));
      });
    });
  }

  /**
   * Runs `text` as a named prepared statement (prepared on its first use on this connection) with
   * `values` bound as text, blocking this thread until the answer is in. Returns the number of rows.
   */
  run(text: string, values: readonly string[]): number {
    const c = this.connection;
    c.execPrepared(this.preparedName(text, values.length), values as string[]);
    // A result with rows succeeded (a failed one has none): resultStatus, which allocates its
    // string on every call, is read only for a result without rows.
    const rows = c.ntuples();
    if (rows === 0) this.check();
    return rows;
  }

  /** The same, with the rows kept as arrays of text (NULL as null): what the cache path stores. */
  rows(text: string, values: readonly string[]): Array<Array<string | null>> {
    this.execute(text, values);
    const c = this.connection;
    const rows: Array<Array<string | null>> = [];
    for (let r = 0, n = c.ntuples(), m = c.nfields(); r < n; r++) {
      const row: Array<string | null> = [];
      for (let f = 0; f < m; f++) row.push(c.getisnull(r, f) ? null : c.getvalue(r, f));
      rows.push(row);
    }
    return rows;
  }

  /** A statement with no parameters and no rows wanted (a SET, a ROLLBACK). */
  command(text: string): void {
    this.connection.exec(text);
    this.check();
  }

  /**
   * Whether the connection still stands, asked between runs: libpq reads what is waiting on the
   * socket (a server that ended the session sent its FATAL and closed it) without blocking.
   */
  alive(): boolean {
    if (this.closed) return false;
    const c = this.connection;
    // Twice: a server that ends a session sends its FATAL and then closes; one read buffers the
    // message, the next meets the closed socket and says so.
    return c.consumeInput() && c.consumeInput();
  }

  /** Whether a transaction is open on the session (a failed one too): only then is there anything to roll back. */
  inTransaction(): boolean {
    const status = this.connection.transactionStatus();
    return status === TRANSACTION_OPEN || status === TRANSACTION_FAILED;
  }

  /** The first column of the first row of `text` run with `values` (EXPLAIN's plan), or undefined. */
  value(text: string, values: readonly string[]): string | undefined {
    this.connection.execParams(text, [...values]);
    this.check();
    return this.connection.ntuples() > 0 ? this.connection.getvalue(0, 0) : undefined;
  }

  /** Closes the connection (a Promise, as Connections ends a pg client; libpq's finish is immediate). */
  end(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.connection.finish();
    }
    return Promise.resolve();
  }

  private execute(text: string, values: readonly string[]): void {
    this.connection.execPrepared(this.preparedName(text, values.length), values as string[]);
    this.check();
  }

  /** The name `text` is prepared under on this connection, preparing it on its first use. */
  private preparedName(text: string, parameterCount: number): string {
    let name = this.prepared.get(text);
    if (name === undefined) {
      name = `perfbench_wl_${this.prepared.size + 1}`;
      this.connection.prepare(name, text, parameterCount);
      this.check();
      this.prepared.set(text, name);
    }
    return name;
  }

  /**
   * Throws the last command's error, if it failed: the server's message and SQLSTATE, as node-postgres
   * reports them. A failure that leaves the connection unusable is 08006 connection_failure whatever
   * its SQLSTATE (a FATAL 57P01 at a server's shutdown, 57P05 idle_session_timeout) or without one
   * (libpq's own, such as "server closed the connection unexpectedly"), so the pool replaces the
   * session at once, as it replaces a node-postgres connection that ended.
   */
  private check(): void {
    const c = this.connection;
    const status = c.resultStatus();
    if (status !== 'PGRES_FATAL_ERROR' && status !== 'PGRES_BAD_RESPONSE') return;
    if (this.closed) throw new LibpqError('the libpq session is closed', CONNECTION_FAILURE);
    const fields = c.resultErrorFields();
    const message = fields?.messagePrimary ?? firstLine(c.resultErrorMessage() || c.errorMessage() || 'the command failed');
    const lost = fields?.sqlState === undefined || c.transactionStatus() === TRANSACTION_UNKNOWN;
    throw new LibpqError(message, lost ? CONNECTION_FAILURE : fields!.sqlState!);
  }
}
