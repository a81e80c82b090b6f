/**
 * Database adapter: a prepared statement run over a node-postgres connection's own socket, its
 * answer read by wire-protocol.ts instead of pg's parser: rows counted, never decoded (the timed
 * DB paths' route; see bench-queries.ts runRaw for why).
 *
 * node-postgres still opens the connection (TLS, every authentication method, the session
 * settings the paths apply), and still runs every other statement on it (EXPLAIN, SET). The
 * channel only takes the socket's bytes while one of its own exchanges is answered: it sits in
 * front of pg's parser and hands it everything else, including whatever follows its
 * ReadyForQuery. An exchange starts only while pg has nothing in flight, so the two never read
 * each other's answers; when pg is busy, `run` says so and the caller goes through pg.
 *
 * This reaches into pg's internals (client.connection.stream, the parser's one 'data' listener,
 * the client's idle state), which the exact pg version in package.json is known to have.
 * `wireChannel` returns undefined when a client does not look like that, and callers fall back
 * to pg's own parser (test/integration/wire-channel.test.ts fails if the pinned pg stops fitting).
 */
import type { Duplex } from 'node:stream';
import type pg from 'pg';
import { pgDriver } from './pg-driver.js';
import { borrowReads } from './reader-socket.js';
import { statementName } from './report.js';
import { AnswerReader, COPY_FAIL_SYNC, EXECUTE_SYNC, bindExecuteSync, parseAndDescribe, rowCountMismatch, type ErrorFields } from './wire-protocol.js';

/** What one run brought back: rows counted and their bytes on the wire. */
export interface WireResult {
  rows: number;
  bytes: number;
}

/** The parts of a pg.Client the channel reads (pg 8: private, stable across 8.x so far). */
interface PgClientInternals {
  connection?: { stream?: Duplex };
  _connected?: boolean;
  _ending?: boolean;
  _queryable?: boolean;
  readyForQuery?: boolean;
  _activeQuery?: unknown;
  _queryQueue?: unknown[];
  pipeline?: boolean;
}

/** A statement prepared (or to prepare) on this connection. */
interface Statement {
  name: string;
  prepared: boolean;
  /** The column count of its RowDescription, learnt when it was prepared. */
  columns: number | undefined;
}

interface Exchange {
  reader: AnswerReader;
  statement: Statement;
  copyFailSent: boolean;
  resolve(result: WireResult): void;
  reject(error: Error): void;
}

const channels = new WeakMap<object, WireChannel | null>();

/** The channel of `client` (made on first use), or undefined when its internals are not what the channel needs. */
export function wireChannel(client: pg.ClientBase): WireChannel | undefined {
  let channel = channels.get(client);
  if (channel === undefined) {
    channel = WireChannel.attach(client) ?? null;
    channels.set(client, channel);
  }
  return channel ?? undefined;
}

export class WireChannel {
  private readonly statements = new Map<string, Statement>();
  private current: Exchange | undefined;
  /** Callers waiting for the exchange in flight (the paths never share a connection, so this is rare). */
  private readonly waiting: Array<() => void> = [];
  /** Why the socket is gone, once it is. */
  private lost: Error | undefined;

  /** Puts a channel in front of pg's parser on `client`'s socket, or undefined when it cannot. */
  static attach(client: pg.ClientBase): WireChannel | undefined {
    const internals = client as unknown as PgClientInternals;
    const stream = internals.connection?.stream;
    if (!stream || typeof stream.listeners !== 'function' || typeof stream.write !== 'function') return undefined;
    if (internals._connected !== true || stream.destroyed) return undefined;
    const parsers = stream.listeners('data');
    if (parsers.length !== 1) return undefined;
    return new WireChannel(internals, stream, parsers[0] as (chunk: Buffer) => void);
  }

  /** Hands bytes that are not the channel's to pg's parser, which keeps them: a copy when the socket lends its reads. */
  private readonly handOn: (chunk: Buffer) => void;

  private constructor(private readonly client: PgClientInternals, private readonly stream: Duplex, pgParser: (chunk: Buffer) => void) {
    // Swapped in one synchronous step: no chunk can arrive in between.
    stream.removeListener('data', pgParser);
    // A pgSocket lends each read (reader-socket.ts): the rows are counted in place, and only what
    // goes on to pg, or the few bytes the reader carries over, is copied.
    this.handOn = borrowReads(stream, (chunk) => this.receive(chunk)) ? (chunk) => pgParser(Buffer.from(chunk)) : pgParser;
    // Also when borrowing, where no 'data' comes (pgSocket emits none while a borrower is set): had
    // Node ignored the socket's onread, the reads would arrive here instead of never.
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('error', (error: Error) => this.fail(error));
    stream.on('close', () => this.fail(new Error('Connection terminated unexpectedly')));
  }

  /**
   * Runs `text` with `values` as a named prepared statement (prepared and described on this
   * connection's first run of it, as `<prefix>_w_<hash of the text>`: the `_w` keeps it apart from
   * the statements pg prepares on the same connection). Resolves with the rows counted once the server's CommandComplete
   * confirms their number and every row had the statement's column count; rejects with the
   * server's error (a pg DatabaseError with its SQLSTATE `code`) once the connection is ready
   * again, or with the socket's error when the connection is lost. Resolves undefined, sending
   * nothing, when pg has a query of its own in flight: run it through pg then.
   */
  run(prefix: string, text: string, values: readonly (string | null)[]): Promise<WireResult | undefined> {
    // One exchange at a time per connection: a second caller waits for the one in flight, then looks again.
    if (this.current) return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.run(prefix, text, values));
    if (this.lost) return Promise.reject(this.lost);
    if (!this.pgIdle()) return Promise.resolve(undefined);
    let statement = this.statements.get(text);
    if (!statement) {
      statement = { name: statementName(`${prefix}_w`, text), prepared: false, columns: undefined };
      this.statements.set(text, statement);
    }
    const bind = bindExecuteSync(statement.name, values, EXECUTE_SYNC);
    const message = statement.prepared ? bind : Buffer.concat([parseAndDescribe(statement.name, text), bind]);
    const promise = new Promise<WireResult>((resolve, reject) => {
      this.current = { reader: new AnswerReader(statement.columns), statement, copyFailSent: false, resolve, reject };
    });
    this.stream.write(message);
    return promise;
  }

  /** True when pg has nothing in flight on the connection, so the next answer on the socket is ours. */
  private pgIdle(): boolean {
    const c = this.client;
    return c._connected === true && c._queryable !== false && c._ending !== true && c.readyForQuery === true
      && !c._activeQuery && (c._queryQueue?.length ?? 0) === 0 && c.pipeline !== true;
  }

  private receive(chunk: Buffer): void {
    const exchange = this.current;
    if (!exchange) {
      this.handOn(chunk);
      return;
    }
    let rest: Buffer | undefined;
    try {
      rest = exchange.reader.feed(chunk);
    } catch (error) {
      // Bytes that are not a message: nothing after them can be trusted.
      this.stream.destroy(error as Error);
      return;
    }
    if (exchange.reader.answer.copyIn && !exchange.copyFailSent) {
      exchange.copyFailSent = true;
      this.stream.write(COPY_FAIL_SYNC);
    }
    if (rest === undefined) return;
    this.current = undefined;
    this.settle(exchange);
    if (rest.length > 0) this.handOn(rest);
    this.wakeWaiting();
  }

  private settle(exchange: Exchange): void {
    const { answer } = exchange.reader;
    const { statement } = exchange;
    if (answer.parsed) {
      statement.prepared = true;
      statement.columns = answer.columns;
    }
    if (answer.error) {
      // 26000: the statement is gone (a DEALLOCATE or DISCARD ran on the session): prepare it anew next time.
      if (answer.error.C === '26000') statement.prepared = false;
      exchange.reject(databaseError(answer.error));
    } else if (answer.badRowWidth !== undefined) {
      exchange.reject(new Error(`PostgreSQL sent a row of ${answer.badRowWidth} columns for a statement that returns ${statement.columns}`));
    } else {
      const mismatch = rowCountMismatch(answer);
      if (mismatch) exchange.reject(new Error(`PostgreSQL answer out of step: ${mismatch}`));
      else exchange.resolve({ rows: answer.rows, bytes: answer.rowBytes });
    }
  }

  /**
   * Every waiting caller looks again, in the order they came: the first starts its exchange and the
   * others wait again behind it, or each goes through pg (pg busy) or fails (connection lost).
   * Waking only the first would strand the rest when it needs no exchange.
   */
  private wakeWaiting(): void {
    for (const next of this.waiting.splice(0)) next();
  }

  /** The socket failed or closed: the exchange in flight fails with the server's last word (FATAL…) or the socket's. */
  private fail(error: Error): void {
    this.lost ??= error;
    const exchange = this.current;
    if (!exchange) return;
    this.current = undefined;
    const said = exchange.reader.answer.error;
    exchange.reject(said ? databaseError(said) : this.lost);
    this.wakeWaiting();
  }
}

/** An ErrorResponse as node-postgres reports it (pg.DatabaseError, the same fields), so callers see one kind of error. */
function databaseError(fields: ErrorFields): pg.DatabaseError {
  const error = new pgDriver.DatabaseError(fields.M ?? 'PostgreSQL error', 0, 'error');
  Object.assign(error, {
    severity: fields.S, code: fields.C, detail: fields.D, hint: fields.H, position: fields.P,
    internalPosition: fields.p, internalQuery: fields.q, where: fields.W, schema: fields.s, table: fields.t,
    column: fields.c, dataType: fields.d, constraint: fields.n, file: fields.F, line: fields.L, routine: fields.R,
  });
  return error;
}
