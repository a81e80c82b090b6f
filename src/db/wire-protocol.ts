/**
 * Database adapter: the few messages of PostgreSQL's wire protocol (v3, extended query) that the
 * timed DB paths speak themselves (wire-channel.ts): Parse, Describe, Bind, Execute, Sync and
 * CopyFail out; and a reader of the answers up to ReadyForQuery that counts the rows without
 * decoding them, as pgbench does (it never looks at a value). node-postgres' parser turns every
 * field of every DataRow into a JS string (5,000 strings per 1,000-row report) and allocates a
 * message object per row; that, not the database, was most of perfbench's client CPU per report.
 * The reader looks at 7 bytes of each DataRow (type, length, field count) and skips the rest,
 * across socket chunks without copying them. Pure: no socket, no driver.
 */

/** Message types the reader acts on (backend) and sends (frontend), by their ASCII byte. */
const BACKEND = {
  dataRow: 0x44, // 'D'
  rowDescription: 0x54, // 'T'
  commandComplete: 0x43, // 'C'
  errorResponse: 0x45, // 'E'
  readyForQuery: 0x5a, // 'Z'
  parseComplete: 0x31, // '1'
  copyInResponse: 0x47, // 'G'
  copyBothResponse: 0x57, // 'W'
} as const;

/** The fields of an ErrorResponse, keyed by their one-letter code (S severity, C SQLSTATE, M message…). */
export type ErrorFields = Record<string, string>;

/** What the server answered to one exchange (everything up to and including ReadyForQuery). */
export interface ExchangeAnswer {
  /** DataRow messages received. */
  rows: number;
  /** Their size on the wire, headers included. */
  rowBytes: number;
  /** The column count of the statement's RowDescription, when the exchange described it. */
  columns: number | undefined;
  /** The CommandComplete tag (`SELECT 1042`), when the statement completed. */
  commandTag: string | undefined;
  /** The first ErrorResponse. */
  error: ErrorFields | undefined;
  /** True when the server confirmed a Parse (ParseComplete). */
  parsed: boolean;
  /** A DataRow whose field count differed from `expectColumns` (the count it had), if any. */
  badRowWidth: number | undefined;
  /** The server asked for COPY data: the reader's owner must send `COPY_FAIL_SYNC`. */
  copyIn: boolean;
}

/**
 * Reads the answer to one exchange from socket chunks. `feed` returns undefined while the answer
 * goes on, and the bytes after ReadyForQuery (often empty) once it ends: they belong to whoever
 * reads the connection next. Of each message it keeps only what it needs: the first two bytes of a
 * DataRow or RowDescription (the field count), the whole of the few small control messages, and it
 * skips the rest of every other message, however many chunks it spans.
 */
export class AnswerReader {
  readonly answer: ExchangeAnswer = { rows: 0, rowBytes: 0, columns: undefined, commandTag: undefined, error: undefined, parsed: false, badRowWidth: undefined, copyIn: false };
  /** Bytes of the current message still to skip (it spans chunks). */
  private skip = 0;
  /** The start of a message whose needed part has not fully arrived (a few bytes, rarely more). */
  private carry: Buffer | undefined;

  /** The field count every DataRow must have: the statement's shape, when known. */
  private width: number | undefined;

  /** `expectColumns`: the statement's column count, described when it was prepared. */
  constructor(expectColumns?: number) {
    this.width = expectColumns;
  }

  /** Consumes one chunk. Throws on bytes that cannot be a message (the connection is then unusable). */
  feed(chunk: Buffer): Buffer | undefined {
    let buffer = chunk;
    let offset = 0;
    if (this.skip > 0) {
      if (this.skip >= buffer.length) {
        this.skip -= buffer.length;
        return undefined;
      }
      offset = this.skip;
      this.skip = 0;
    }
    if (this.carry) {
      buffer = Buffer.concat([this.carry, buffer.subarray(offset)]);
      offset = 0;
      this.carry = undefined;
    }
    const end = buffer.length;
    const answer = this.answer;
    while (end - offset >= 5) {
      const type = buffer[offset]!;
      const length = ((buffer[offset + 1]! << 24) | (buffer[offset + 2]! << 16) | (buffer[offset + 3]! << 8) | buffer[offset + 4]!) >>> 0;
      const total = 1 + length;
      if (type === BACKEND.dataRow && length >= 6) {
        // The hot path, once per row: count it, check its width, skip its values.
        if (end - offset < 7) break;
        answer.rows++;
        answer.rowBytes += total;
        const fields = (buffer[offset + 5]! << 8) | buffer[offset + 6]!;
        if (this.width !== undefined && fields !== this.width) answer.badRowWidth ??= fields;
      } else {
        if (length < (type === BACKEND.dataRow ? 6 : 4)) throw new Error(`PostgreSQL protocol error: message '${String.fromCharCode(type)}' with length ${length}`);
        const need = 5 + neededBody(type, length - 4);
        if (end - offset < need) break;
        if (this.message(type, buffer, offset + 5, offset + need)) return buffer.subarray(offset + total);
      }
      if (end - offset < total) {
        this.skip = total - (end - offset);
        return undefined;
      }
      offset += total;
    }
    // Copied: a view would keep the whole socket chunk alive for a few bytes.
    if (offset < end) this.carry = Buffer.from(buffer.subarray(offset));
    return undefined;
  }

  /** Handles one message from the part of its body that `neededBody` asked for; true at ReadyForQuery. */
  private message(type: number, buffer: Buffer, start: number, end: number): boolean {
    const answer = this.answer;
    switch (type) {
      case BACKEND.rowDescription:
        answer.columns = buffer.readUInt16BE(start);
        // This exchange's own Describe precedes its rows: they are checked against it.
        this.width ??= answer.columns;
        return false;
      case BACKEND.commandComplete:
        answer.commandTag = cstring(buffer, start, end);
        return false;
      case BACKEND.errorResponse:
        answer.error ??= errorFields(buffer, start, end);
        return false;
      case BACKEND.parseComplete:
        answer.parsed = true;
        return false;
      case BACKEND.copyInResponse:
      case BACKEND.copyBothResponse:
        answer.copyIn = true;
        return false;
      case BACKEND.readyForQuery:
        return true;
      default:
        // BindComplete, ParameterDescription, NoData, EmptyQueryResponse, NoticeResponse,
        // ParameterStatus, CopyOutResponse/CopyData/CopyDone, NotificationResponse: nothing to keep.
        return false;
    }
  }
}

/** How many bytes of a message's body (`bodyLength` long) the reader needs to see at once. */
function neededBody(type: number, bodyLength: number): number {
  switch (type) {
    case BACKEND.rowDescription:
      return Math.min(2, bodyLength);
    case BACKEND.commandComplete:
    case BACKEND.errorResponse:
    case BACKEND.readyForQuery:
      return bodyLength;
    default:
      return 0;
  }
}

/** The NUL-terminated text at `start`, read no further than `end`. */
export function cstring(buffer: Buffer, start: number, end: number): string {
  const nul = buffer.indexOf(0, start);
  return buffer.toString('utf8', start, nul < 0 || nul > end ? end : nul);
}

/** An ErrorResponse body: (one-byte code, NUL-terminated text)* then a NUL. */
export function errorFields(buffer: Buffer, start: number, end: number): ErrorFields {
  const fields: ErrorFields = {};
  let at = start;
  while (at < end && buffer[at] !== 0) {
    const code = String.fromCharCode(buffer[at]!);
    const nul = buffer.indexOf(0, at + 1);
    const stop = nul < 0 || nul > end ? end : nul;
    fields[code] = buffer.toString('utf8', at + 1, stop);
    at = stop + 1;
  }
  return fields;
}

/** The answer's row count against the server's own, from the CommandComplete tag (`SELECT 1042`, `UPDATE 3`). */
export function rowCountMismatch(answer: ExchangeAnswer): string | undefined {
  const tag = answer.commandTag;
  if (tag === undefined) return undefined;
  const count = /(\d+)$/.exec(tag);
  // A tag without a count (CREATE TABLE, BEGIN) reports no rows; a write without RETURNING counts
  // rows it changed, not rows sent, so only a SELECT, or a tag of a statement that did send rows, is compared.
  if (!count || (!tag.startsWith('SELECT ') && answer.rows === 0)) return undefined;
  return Number(count[1]) === answer.rows ? undefined : `the server reported ${tag} but sent ${answer.rows} rows`;
}

// ---- frontend messages -------------------------------------------------------------------------

/** A frontend message: its type byte, its length (itself included), its body. */
export function frontendMessage(type: number, body: Buffer): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out[0] = type;
  out.writeUInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

/** Execute the unnamed portal with no row limit, then Sync: the constant tail of every exchange. */
export const EXECUTE_SYNC: Buffer = Buffer.from([0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0x53, 0, 0, 0, 4]);

/** CopyFail then Sync: ends a COPY FROM STDIN the paths never feed (the server answers with an error). */
export const COPY_FAIL_SYNC: Buffer = Buffer.concat([
  frontendMessage(0x66, Buffer.from('perfbench sends no COPY data\0', 'utf8')), // 'f'
  Buffer.from([0x53, 0, 0, 0, 4]),
]);

/** Parse `name` from `text` (parameter types left to the server), then Describe it (its RowDescription). */
export function parseAndDescribe(name: string, text: string): Buffer {
  const nameBytes = Buffer.byteLength(name);
  const textBytes = Buffer.byteLength(text);
  const parseLength = 4 + nameBytes + 1 + textBytes + 1 + 2;
  const describeLength = 4 + 1 + nameBytes + 1;
  const out = Buffer.alloc(1 + parseLength + 1 + describeLength);
  let at = 0;
  out[at++] = 0x50; // 'P'
  at = out.writeUInt32BE(parseLength, at);
  at += out.write(name, at, 'utf8') + 1;
  at += out.write(text, at, 'utf8') + 1;
  at = out.writeUInt16BE(0, at);
  out[at++] = 0x44; // 'D'
  at = out.writeUInt32BE(describeLength, at);
  out[at++] = 0x53; // 'S': a statement
  out.write(name, at, 'utf8');
  return out;
}

/**
 * Bind the prepared statement `name` to `values` (text format, null for NULL) into the unnamed
 * portal, results in text (as pgbench -M prepared asks), followed by `tail` (EXECUTE_SYNC), in one
 * buffer: one write per operation.
 */
export function bindExecuteSync(name: string, values: readonly (string | null)[], tail: Buffer = EXECUTE_SYNC): Buffer {
  const nameBytes = Buffer.byteLength(name);
  let length = 4 + 1 + nameBytes + 1 + 2 + 2 + 2;
  const sizes = values.map((value) => (value === null ? -1 : Buffer.byteLength(value)));
  for (const size of sizes) length += 4 + Math.max(0, size);
  const out = Buffer.allocUnsafe(1 + length + tail.length);
  let at = 0;
  out[at++] = 0x42; // 'B'
  at = out.writeUInt32BE(length, at);
  out[at++] = 0; // the unnamed portal
  at += out.write(name, at, 'utf8');
  out[at++] = 0;
  at = out.writeUInt16BE(0, at); // no parameter format codes: all text
  at = out.writeUInt16BE(values.length, at);
  for (const [i, value] of values.entries()) {
    at = out.writeInt32BE(sizes[i]!, at);
    if (value !== null) at += out.write(value, at, 'utf8');
  }
  at = out.writeUInt16BE(0, at); // no result format codes: all text
  tail.copy(out, at);
  return out;
}
