/**
 * Targets: the load client's transport for plain http:// servers: up to N keep-alive connections
 * of its own, one GET in flight on each, every socket reading into one reused buffer (Node's
 * `onread`) and its answers read by http-response-reader.ts, which counts body bytes without
 * keeping them. It does what wrk does per request: write a request made of a few strings, read
 * the answer, count it. https:// keeps Node's client (http-transport.ts).
 *
 * Keep-alive races: a server closes an idle connection when it likes (Node's default is after 5 s),
 * and a GET written just then is answered by the close, not a response. Such a GET, on a reused
 * connection with nothing of its answer read, is sent again once on a new connection, as browsers
 * do: a GET has no effect to repeat. Each such GET is counted (`resent`), and the run's report says
 * how many there were: their latency spans both sends, and a server that crashed at that moment
 * would otherwise go unnoticed.
 */
import net from 'node:net';
import { HttpProtocolError, HttpResponseReader, type HttpAnswer } from './http-response-reader.js';

/** The transport's options and interface (http-transport.ts re-exports them; they live here so neither file imports the other). */
export interface TransportOptions {
  /** Connections at most; give the run's concurrency so no request waits for one. */
  connections: number;
  /** A request with no byte of its answer for this long fails. */
  timeoutMs: number;
  /** The most of a body kept when it is asked for, or when the status is not 200. */
  keptBodyBytes: number;
}

export interface HttpTransport {
  /** GET `path` (after the base URL's own path): the answer, its body kept when `keepBody` (or not 200). */
  get(path: string, keepBody: boolean): Promise<HttpAnswer>;
  /**
   * GETs sent a second time after a keep-alive race, since the transport was made (whether or not
   * the second send was answered). Each is one request to the caller, whose latency spans both
   * sends; a count above zero says the server closed connections under load (keepAliveTimeout, a
   * proxy, a crash), which the run must not hide.
   */
  resent(): number;
  /** Closes the connections; requests still waiting fail. */
  destroy(): void;
}

/** What every request's path starts with: the base URL's own path, without its trailing slashes. */
export function pathPrefix(base: URL): string {
  return base.pathname.replace(/\/+$/, '');
}

/** The host to connect to: an IPv6 address without the brackets a URL writes it in. */
export function socketHostname(base: URL): string {
  return base.hostname.replace(/^\[|\]$/g, '');
}

/** Each socket's reads land here and are consumed within the read's callback (see reader-socket.ts). */
const READ_BUFFER_BYTES = 256 * 1024;

interface Request {
  path: string;
  keepBytes: number;
  resolve: (answer: HttpAnswer) => void;
  reject: (error: Error) => void;
  /** Sent once again after a keep-alive race (see the module's comment). */
  retried: boolean;
}

class Connection {
  readonly socket: net.Socket;
  readonly reader: HttpResponseReader;
  request: Request | undefined;
  /** A response has been read on this connection: a close before the next one may be a keep-alive race. */
  reused = false;
  /** Reads since the last timeout sweep, and how long it has been quiet while busy. */
  activity = 0;
  quietMs = 0;
  closed = false;
  /** Answered during the current read: it takes its next request once the read is consumed. */
  free = false;

  constructor(socket: net.Socket, reader: HttpResponseReader) {
    this.socket = socket;
    this.reader = reader;
  }
}

export function wireTransport(base: URL, options: TransportOptions): HttpTransport {
  const hostname = socketHostname(base);
  const port = Number(base.port || 80);
  const prefix = pathPrefix(base);
  const requestTail = ` HTTP/1.1\r\nHost: ${base.host}\r\nAccept: */*\r\n\r\n`;
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const idle: Connection[] = [];
  const all = new Set<Connection>();
  const waiting: Request[] = [];
  let destroyed = false;
  let resent = 0;

  const sweepMs = Math.max(10, Math.min(1000, Math.floor(options.timeoutMs / 4)));
  const sweep = setInterval(() => {
    for (const connection of all) {
      if (!connection.request || connection.activity > 0) {
        connection.activity = 0;
        connection.quietMs = 0;
        continue;
      }
      connection.quietMs += sweepMs;
      if (connection.quietMs >= options.timeoutMs) fail(connection, new Error(`no response within ${options.timeoutMs} ms`), false);
    }
  }, sweepMs);
  sweep.unref();

  function open(): Connection {
    const socket = net.connect({
      host: hostname,
      port,
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (bytes: number, buffer: Uint8Array) => {
          connection.activity++;
          try {
            connection.reader.feed(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
          } catch (error) {
            fail(connection, error as Error, false);
          }
          // The next request goes out only now: bytes after an answer in the same read answer no
          // request of ours (an unsolicited or pipelined extra answer), and must not be taken for its.
          if (connection.free && !connection.closed) {
            connection.free = false;
            // Part of an answer after the one that freed it: an answer to no request (see above).
            if (!connection.reader.idle) fail(connection, new HttpProtocolError('bytes after an answer, before the next request'), false);
            else next(connection);
          }
          return true;
        },
      },
    });
    const reader: HttpResponseReader = new HttpResponseReader(
      (answer) => answered(connection, answer),
      (status) => {
        const request = connection.request;
        if (request === undefined || connection.closed) throw new HttpProtocolError(`an answer (${status}) to no request`);
        return status !== 200 || request.keepBytes > 0 ? options.keptBodyBytes : 0;
      },
    );
    const connection: Connection = new Connection(socket, reader);
    all.add(connection);
    socket.on('end', () => {
      try {
        connection.reader.end();
        fail(connection, new Error('socket hang up'), true);
      } catch (error) {
        fail(connection, error as Error, true);
      }
    });
    socket.on('error', (error) => fail(connection, error, true));
    socket.on('close', () => fail(connection, new Error('socket hang up'), true));
    return connection;
  }

  function send(connection: Connection, request: Request): void {
    connection.request = request;
    connection.activity = 1;
    connection.socket.ref();
    connection.socket.write(`GET ${prefix}${request.path}${requestTail}`, 'latin1');
  }

  function answered(connection: Connection, answer: HttpAnswer): void {
    const request = connection.request!;
    connection.request = undefined;
    connection.reused = true;
    // A keep-alive answer is read in a socket read, whose callback hands the connection on.
    if (!answer.keepAlive) retire(connection);
    else connection.free = true;
    request.resolve(answer);
  }

  /** The connection is free: the next waiting request takes it, or it waits in `idle`. */
  function next(connection: Connection): void {
    if (connection.closed) return;
    const request = waiting.shift();
    if (request) send(connection, request);
    else {
      // An idle connection does not keep the process alive (as Node's agent does with its free sockets).
      connection.socket.unref();
      idle.push(connection);
    }
  }

  function retire(connection: Connection): void {
    if (connection.closed) return;
    connection.closed = true;
    all.delete(connection);
    const at = idle.indexOf(connection);
    if (at >= 0) idle.splice(at, 1);
    connection.socket.destroy();
    // A request that waits for a connection gets a new one in this one's place.
    const request = waiting.shift();
    if (request) dispatch(request);
  }

  /**
   * The connection can no longer be used. Its request, if any, is sent again on a new connection
   * when this is a keep-alive race (a close on a reused connection before any byte of the answer),
   * else it fails with `error`.
   */
  function fail(connection: Connection, error: Error, byClose: boolean): void {
    if (connection.closed) return;
    const request = connection.request;
    const race = byClose && connection.reused && connection.reader.idle && request !== undefined && !request.retried;
    connection.request = undefined;
    retire(connection);
    if (!request) return;
    if (race && !destroyed) {
      request.retried = true;
      resent++;
      dispatch(request);
    } else request.reject(error);
  }

  function dispatch(request: Request): void {
    if (destroyed) {
      request.reject(new Error('the HTTP client was closed'));
      return;
    }
    const connection = idle.pop();
    if (connection) send(connection, request);
    else if (all.size < options.connections) send(open(), request);
    else waiting.push(request);
  }

  return {
    get(path, keepBody) {
      // Node's client refuses these too: they would end the request line or split a header.
      if (/[^\x21-\x7e]/.test(path)) return Promise.reject(new Error(`request path contains unescaped characters: ${JSON.stringify(path)}`));
      return new Promise<HttpAnswer>((resolve, reject) => {
        dispatch({ path, keepBytes: keepBody ? options.keptBodyBytes : 0, resolve, reject, retried: false });
      });
    },
    resent: () => resent,
    destroy() {
      destroyed = true;
      clearInterval(sweep);
      for (const request of waiting.splice(0)) request.reject(new Error('the HTTP client was closed'));
      for (const connection of [...all]) fail(connection, new Error('the HTTP client was closed'), false);
    },
  };
}
