/**
 * Targets: an HTTP/1.1 response reader for the load client's own connections (http-wire.ts): fed
 * the socket's chunks, split anywhere, it parses each response's head (status and headers) and
 * frames its body (Content-Length, chunked, or up to the connection's end), counting the body's
 * bytes as they pass instead of handing them on. Only a body the caller asks to keep (healthz, an
 * error's JSON) is copied, up to a bound. Node's own client builds an IncomingMessage stream, a
 * headers object and a Buffer per read for every answer; for a 122 kB report read only to count
 * it, that was most of perfbench's CPU per request, twice wrk's (issue 13, item 2). Pure: no socket.
 */

/** One response, read to its end. */
export interface HttpAnswer {
  status: number;
  /** Header values by lower-case name; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  /** Body bytes received (after de-chunking; as sent, not decoded). */
  bytes: number;
  /** The body's start as UTF-8, when the caller kept it (up to the kept bound), else ''. */
  body: string;
  /** False when the server will close the connection after this response. */
  keepAlive: boolean;
}

/** A response the reader cannot parse: the connection can no longer be read. */
export class HttpProtocolError extends Error {
  constructor(detail: string) {
    super(`malformed HTTP response: ${detail}`);
    this.name = 'HttpProtocolError';
  }
}

/** A head longer than this is refused: a server sending one is not an HTTP/1.1 server we can time. */
const MAX_HEAD_BYTES = 64 * 1024;

type BodyState =
  | 'head' // reading status line and headers
  | 'length' // Content-Length bytes
  | 'chunk-size' // a chunk's size line
  | 'chunk-data'
  | 'chunk-end' // the CRLF after a chunk's data
  | 'trailers' // lines after the last chunk, up to an empty one
  | 'until-close'; // no framing: the body ends with the connection

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const CR = 13;
const LF = 10;

export class HttpResponseReader {
  private state: BodyState = 'head';
  /** The head (or a chunked body's current line) read so far, as latin1. */
  private text = '';
  private remaining = 0;
  private answer: HttpAnswer | undefined;
  private kept: Buffer[] = [];
  private keptBytes = 0;
  private keepLimit = 0;

  /**
   * @param onAnswer called with each response once read to its end
   * @param keepBody asked once per response, after its head: how many body bytes to keep (0: none)
   */
  constructor(
    private readonly onAnswer: (answer: HttpAnswer) => void,
    private readonly keepBody: (status: number) => number,
  ) {}

  /** True between responses: nothing of the next one has arrived. */
  get idle(): boolean {
    return this.state === 'head' && this.text.length === 0;
  }

  /** Reads `chunk` within this call (it may be a view of a reused buffer). Throws HttpProtocolError. */
  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      switch (this.state) {
        case 'head':
          at = this.readHead(chunk, at);
          break;
        case 'length':
        case 'chunk-data': {
          const take = Math.min(this.remaining, chunk.length - at);
          this.body(chunk, at, at + take);
          this.remaining -= take;
          at += take;
          if (this.remaining === 0) {
            if (this.state === 'length') this.finish();
            else this.state = 'chunk-end';
          }
          break;
        }
        case 'until-close':
          this.body(chunk, at, chunk.length);
          at = chunk.length;
          break;
        default:
          at = this.readChunkLine(chunk, at);
      }
    }
  }

  /** The connection ended: completes a body framed by the end; throws if a response was cut short. */
  end(): void {
    if (this.state === 'until-close') {
      this.finish();
      return;
    }
    if (!this.idle) throw new HttpProtocolError('the connection closed in the middle of a response');
  }

  private readHead(chunk: Buffer, at: number): number {
    const before = this.text.length;
    // Look for the head's end in the bytes, and convert only the head: converting the body bytes
    // that follow it in the same read (up to 64 kB of a report) cost ten times the rest of the parse.
    let end = -1; // just past the head's CRLFCRLF, in the chunk
    if (before > 0) {
      // The head's end may straddle reads: the last 3 characters kept and the first 3 bytes here.
      const carried = Math.min(3, before);
      const k = (this.text.slice(-carried) + chunk.toString('latin1', at, Math.min(chunk.length, at + 3))).indexOf('\r\n\r\n');
      if (k >= 0) end = at + k + 4 - carried;
    }
    if (end < 0) {
      const k = chunk.indexOf(HEAD_END, at);
      if (k >= 0) end = k + 4;
    }
    if (end < 0 || before + (end - at) > MAX_HEAD_BYTES + 4) {
      if (before + (chunk.length - at) > MAX_HEAD_BYTES) throw new HttpProtocolError(`a head over ${MAX_HEAD_BYTES} bytes`);
      this.text += chunk.toString('latin1', at);
      return chunk.length;
    }
    const head = (this.text + chunk.toString('latin1', at, end)).slice(0, -4);
    this.text = '';
    this.startBody(head);
    return end;
  }

  private startBody(head: string): void {
    const lines = head.split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]!);
    if (!statusLine) throw new HttpProtocolError(`status line ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    const status = Number(statusLine[2]);
    // No prototype: a header named `constructor` or `__proto__` is a header like any other.
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new HttpProtocolError(`header line ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    // 1xx answers (100 Continue, 103 Early Hints) come before the real one, which follows.
    if (status >= 100 && status < 200) {
      if (status === 101) throw new HttpProtocolError('101 Switching Protocols to a GET');
      return;
    }
    const connection = headers.connection?.toLowerCase() ?? '';
    const keepAlive = statusLine[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    this.answer = { status, headers, bytes: 0, body: '', keepAlive };
    this.keepLimit = this.keepBody(status);
    const transferEncoding = headers['transfer-encoding'];
    if (status === 204 || status === 304) this.finish();
    else if (transferEncoding !== undefined && /\bchunked\s*$/i.test(transferEncoding)) this.state = 'chunk-size';
    else if (headers['content-length'] !== undefined) {
      const length = /^\d+$/.test(headers['content-length']) ? Number(headers['content-length']) : NaN;
      if (!Number.isSafeInteger(length)) throw new HttpProtocolError(`Content-Length ${JSON.stringify(headers['content-length'])}`);
      this.remaining = length;
      this.state = 'length';
      if (length === 0) this.finish();
    } else {
      this.answer.keepAlive = false;
      this.state = 'until-close';
    }
  }

  /** A chunked body's size line, the CRLF after its data, or a trailer line. */
  private readChunkLine(chunk: Buffer, at: number): number {
    if (this.state === 'chunk-end') {
      // Expect CRLF; it may come split. Anything else is a framing error.
      const byte = chunk[at]!;
      if (this.text.length === 0 && byte === CR) this.text = '\r';
      else if (this.text === '\r' && byte === LF) {
        this.text = '';
        this.state = 'chunk-size';
      } else throw new HttpProtocolError('no CRLF after a chunk');
      return at + 1;
    }
    const newline = chunk.indexOf(LF, at);
    const end = newline < 0 ? chunk.length : newline;
    this.text += chunk.toString('latin1', at, end);
    if (this.text.length > MAX_HEAD_BYTES) throw new HttpProtocolError('a chunk line too long');
    if (newline < 0) return end;
    const line = this.text.endsWith('\r') ? this.text.slice(0, -1) : this.text;
    this.text = '';
    if (this.state === 'trailers') {
      if (line === '') this.finish();
    } else {
      const size = /^[0-9a-fA-F]+/.exec(line);
      if (!size || size[0].length > 12) throw new HttpProtocolError(`chunk size ${JSON.stringify(line.slice(0, 40))}`);
      this.remaining = parseInt(size[0], 16);
      this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
    }
    return newline + 1;
  }

  private body(chunk: Buffer, from: number, to: number): void {
    this.answer!.bytes += to - from;
    if (this.keptBytes < this.keepLimit) {
      const end = Math.min(to, from + this.keepLimit - this.keptBytes);
      this.kept.push(Buffer.from(chunk.subarray(from, end)));
      this.keptBytes += end - from;
    }
  }

  private finish(): void {
    const answer = this.answer!;
    if (this.kept.length > 0) {
      answer.body = Buffer.concat(this.kept).toString('utf8');
      this.kept = [];
      this.keptBytes = 0;
    }
    this.answer = undefined;
    this.state = 'head';
    this.onAnswer(answer);
  }
}
