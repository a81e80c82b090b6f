/**
 * Database adapter: a short read-only session with PostgreSQL spoken by perfbench itself over
 * node:net, for a command that runs a few catalog queries and ends (`index list`). Loading
 * node-postgres (pg, pg-protocol, pg-types, pgpass…) cost such a command about 40 ms, more than its
 * queries and the server's session start together (issue 13, item 7); this costs node:net.
 *
 * It speaks what such a session needs: the startup over TCP or a Unix socket, the password
 * exchanges (cleartext, MD5, SCRAM-SHA-256), and the extended query protocol with text parameters
 * and text results, decoded as node-postgres decodes them (pg-text-values.ts). What it does not
 * speak (TLS, Kerberos/GSSAPI/SSPI, a password it was not given, which pg would look up in
 * ~/.pgpass) it reports as LeanUnsupported before any query, and the caller opens a node-postgres
 * client instead. Failures to connect carry what connectionError classifies (a socket error's
 * code, or the server's SQLSTATE), so they read as the same one line as pg's.
 */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { ConnectionTarget } from './connection-target.js';
import type { ScramFinal, ScramFirst } from './scram.js';
import { textParameter, textParser, type TextParser } from './pg-text-values.js';
import { bindExecuteSync, COPY_FAIL_SYNC, cstring, errorFields, frontendMessage, parseAndDescribe, type ErrorFields } from './wire-protocol.js';

/** What the lean session and a node-postgres client both offer the catalog queries. */
export interface SqlSession {
  query<R = any>(text: string, values?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

/** The target needs something only node-postgres speaks (the reason says what): open a pg client instead. */
export class LeanUnsupported extends Error {
  constructor(reason: string) {
    super(`the lean session does not speak ${reason}`);
    this.name = 'LeanUnsupported';
  }
}

/** The sslmodes node-postgres connects in clear with (connection.ts: it has no TLS fallback). */
const CLEAR_SSLMODES: ReadonlySet<string> = new Set(['disable', 'allow', 'prefer']);
const PROTOCOL_3_0 = 196608;
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);

/** Authentication requests (the int32 after 'R'), by the protocol's numbers. */
const AUTH = { ok: 0, cleartext: 3, md5: 5, sasl: 10, saslContinue: 11, saslFinal: 12 } as const;

interface Message {
  type: number;
  body: Buffer;
}

/** A result column: its name, and how to read its values (from its type OID). */
interface Column {
  name: string;
  parse: TextParser;
}

/**
 * Opens a session on `target`, authenticated and ready for queries, within `timeoutMs`. Throws
 * LeanUnsupported (nothing is left open) when the target needs node-postgres.
 */
export async function openLeanSession(target: ConnectionTarget, timeoutMs: number, applicationName = 'perfbench'): Promise<LeanSession> {
  if (!CLEAR_SSLMODES.has(target.sslmode)) throw new LeanUnsupported(`TLS (sslmode=${target.sslmode})`);
  // A host that is a directory is where the server's Unix socket lives, as for libpq and pg.
  const socket = target.host.startsWith('/')
    ? connect({ path: join(target.host, `.s.PGSQL.${target.port}`) })
    : connect({ host: target.host, port: target.port });
  socket.setNoDelay(true);
  const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`connection timeout after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
  const inbox = new Inbox(socket);
  try {
    socket.write(startupMessage(target.user, target.database, applicationName));
    const pid = await authenticate(socket, inbox, target);
    return new LeanSession(socket, inbox, pid);
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** An open lean session. Queries run one at a time, in the order they were asked for. */
export class LeanSession implements SqlSession {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly socket: Socket, private readonly inbox: Inbox, readonly processID: number | undefined) {}

  query<R = any>(text: string, values: readonly unknown[] = []): Promise<{ rows: R[]; rowCount: number | null }> {
    const run = this.queue.then(() => this.exchange<R>(text, values));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Sends Terminate and lets go: the session only read, so nothing waits on its backend, which
   * ends on its own (as closeReadOnlyClient does for a pg client). The write still keeps the process
   * alive until it is out.
   */
  close(): void {
    if (this.socket.destroyed) return;
    this.socket.end(TERMINATE);
    this.socket.unref();
  }

  private async exchange<R>(text: string, values: readonly unknown[]): Promise<{ rows: R[]; rowCount: number | null }> {
    const parameters = values.map(textParameter);
    this.socket.write(Buffer.concat([parseAndDescribe('', text), bindExecuteSync('', parameters)]));
    let columns: Column[] = [];
    const rows: R[] = [];
    let rowCount: number | null = null;
    let error: ErrorFields | undefined;
    for (;;) {
      let message: Message;
      try {
        message = await this.inbox.next();
      } catch (failure) {
        // A FATAL error (the backend terminated, the server shutting down) comes without a
        // ReadyForQuery, the connection closed behind it: the server's words are the error.
        throw error ? databaseError(error) : failure;
      }
      const { type, body } = message;
      switch (String.fromCharCode(type)) {
        case 'T':
          columns = rowDescription(body);
          break;
        case 'D':
          if (!error) rows.push(dataRow(body, columns) as R);
          break;
        case 'C':
          rowCount = commandRowCount(cstring(body, 0, body.length));
          break;
        case 'E':
          error ??= errorFields(body, 0, body.length);
          break;
        case 'G':
          // COPY FROM STDIN: the session sends no data; failing the COPY ends the exchange, as pg does.
          this.socket.write(COPY_FAIL_SYNC);
          break;
        case 'Z':
          if (error) throw databaseError(error);
          return { rows, rowCount };
        default:
          // ParseComplete, ParameterDescription, NoData, BindComplete, EmptyQueryResponse, notices,
          // ParameterStatus: nothing a catalog query's caller reads.
          break;
      }
    }
  }
}

/**
 * StartupMessage: protocol 3.0, then name/value pairs, those node-postgres sends (PGOPTIONS
 * included; not PGCLIENTENCODING, which pg reads only for libpq: both read text as UTF-8).
 */
function startupMessage(user: string, database: string, applicationName: string): Buffer {
  const pairs: Array<[string, string]> = [['user', user], ['database', database], ['application_name', applicationName]];
  if (process.env.PGOPTIONS) pairs.push(['options', process.env.PGOPTIONS]);
  const text = `${pairs.map(([name, value]) => `${name}\0${value}\0`).join('')}\0`;
  const body = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(8 + body.length);
  out.writeInt32BE(out.length, 0);
  out.writeInt32BE(PROTOCOL_3_0, 4);
  body.copy(out, 8);
  return out;
}

/** Answers the server's authentication requests until ReadyForQuery; returns the backend's pid. */
async function authenticate(socket: Socket, inbox: Inbox, target: ConnectionTarget): Promise<number | undefined> {
  let pid: number | undefined;
  let scram: { first: ScramFirst; final?: ScramFinal; verified: boolean; module: typeof import('./scram.js') } | undefined;
  const password = (): string => {
    if (target.password === undefined) throw new LeanUnsupported('password lookup (~/.pgpass)');
    return target.password;
  };
  for (;;) {
    const { type, body } = await inbox.next();
    switch (String.fromCharCode(type)) {
      case 'R': {
        const request = body.readInt32BE(0);
        if (request === AUTH.ok) {
          // Not before the server proved it knows the password too (SASLFinal), once SCRAM began.
          if (scram && !scram.verified) throw new Error('SCRAM: the server ended the exchange without its signature');
        } else if (request === AUTH.cleartext) socket.write(passwordMessage(`${password()}\0`));
        else if (request === AUTH.md5) socket.write(passwordMessage(`${await md5Answer(target.user, password(), body.subarray(4, 8))}\0`));
        else if (request === AUTH.sasl) {
          const mechanisms = body.toString('utf8', 4).split('\0');
          const module = await import('./scram.js');
          if (!mechanisms.includes(module.SCRAM_MECHANISM)) throw new LeanUnsupported(`SASL ${mechanisms.filter(Boolean).join(', ')}`);
          // Asked before the exchange starts: without a password, pg (which reads ~/.pgpass) takes over.
          password();
          scram = { first: module.scramClientFirst(), module, verified: false };
          socket.write(saslInitialResponse(module.SCRAM_MECHANISM, scram.first.message));
        } else if (request === AUTH.saslContinue || request === AUTH.saslFinal) {
          if (!scram || (request === AUTH.saslFinal) !== (scram.final !== undefined)) throw new Error(`SCRAM: authentication request ${request} out of order`);
          if (request === AUTH.saslContinue) {
            scram.final = scram.module.scramClientFinal(scram.first, body.toString('utf8', 4), password());
            socket.write(passwordMessage(scram.final.message));
          } else {
            scram.module.scramVerifyServer(scram.final!, body.toString('utf8', 4));
            scram.verified = true;
          }
        } else throw new LeanUnsupported(`authentication request ${request}`);
        break;
      }
      case 'K':
        pid = body.readInt32BE(0);
        break;
      case 'E':
        throw databaseError(errorFields(body, 0, body.length));
      case 'Z':
        return pid;
      default:
        // ParameterStatus, notices, NegotiateProtocolVersion: nothing to act on.
        break;
    }
  }
}

/** `md5` + md5(md5(password + user) + salt), in hex: PostgreSQL's MD5 answer. */
async function md5Answer(user: string, password: string, salt: Buffer): Promise<string> {
  const { createHash } = await import('node:crypto');
  const inner = createHash('md5').update(password + user).digest('hex');
  return `md5${createHash('md5').update(Buffer.concat([Buffer.from(inner), salt])).digest('hex')}`;
}

/** PasswordMessage ('p'): also the carrier of SASLResponse. */
function passwordMessage(text: string): Buffer {
  return frontendMessage(0x70, Buffer.from(text, 'utf8'));
}

/** SASLInitialResponse ('p' too): the mechanism's name, then the client-first message with its length. */
function saslInitialResponse(mechanism: string, message: string): Buffer {
  const data = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeInt32BE(data.length);
  return frontendMessage(0x70, Buffer.concat([Buffer.from(`${mechanism}\0`, 'utf8'), length, data]));
}

/** RowDescription: each column's name and, from its type OID, how to read its values. */
function rowDescription(body: Buffer): Column[] {
  const count = body.readUInt16BE(0);
  const columns: Column[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    const nul = body.indexOf(0, at);
    const name = body.toString('utf8', at, nul);
    at = nul + 1;
    // table OID (4), column number (2), then the type OID (4); type size, modifier, format follow (8).
    const oid = body.readUInt32BE(at + 6);
    at += 18;
    columns.push({ name, parse: textParser(oid) });
  }
  return columns;
}

/** DataRow: an object keyed by column name (a later column of the same name wins, as in pg). */
function dataRow(body: Buffer, columns: readonly Column[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  const count = body.readUInt16BE(0);
  let at = 2;
  for (let i = 0; i < count; i++) {
    const length = body.readInt32BE(at);
    at += 4;
    const column = columns[i]!;
    if (length < 0) row[column.name] = null;
    else {
      row[column.name] = column.parse(body.toString('utf8', at, at + length));
      at += length;
    }
  }
  return row;
}

/** The row count of a CommandComplete tag (`SELECT 3`, `INSERT 0 1`), null when it has none (as pg's rowCount). */
function commandRowCount(tag: string): number | null {
  const last = tag.slice(tag.lastIndexOf(' ') + 1);
  return /^\d+$/.test(last) ? Number(last) : null;
}

/** An ErrorResponse as the error node-postgres throws (DatabaseError): message, code, severity and the rest. */
function databaseError(fields: ErrorFields): Error {
  return Object.assign(new Error(fields.M ?? 'PostgreSQL error'), {
    name: 'DatabaseError',
    severity: fields.S,
    code: fields.C,
    detail: fields.D,
    hint: fields.H,
    position: fields.P,
    schema: fields.s,
    table: fields.t,
    column: fields.c,
    constraint: fields.n,
  });
}

/** The server's messages, whole, in order; a socket error or close fails the wait for the next one. */
class Inbox {
  private pending: Buffer = Buffer.alloc(0);
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      this.wake?.();
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' })));
  }

  async next(): Promise<Message> {
    for (;;) {
      const message = this.take();
      if (message) return message;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  private take(): Message | undefined {
    if (this.pending.length < 5) return undefined;
    const length = this.pending.readInt32BE(1);
    if (length < 4) {
      this.failure ??= new Error(`PostgreSQL protocol error: message '${String.fromCharCode(this.pending[0]!)}' with length ${length}`);
      return undefined;
    }
    if (this.pending.length < 1 + length) return undefined;
    const message = { type: this.pending[0]!, body: this.pending.subarray(5, 1 + length) };
    this.pending = this.pending.subarray(1 + length);
    return message;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }
}
