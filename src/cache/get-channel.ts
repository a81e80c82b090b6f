/**
 * Cache adapter: a GET-only RESP connection for the timed cache-hit paths, as lean as
 * redis-benchmark's: commands encoded once per key, one socket with the GETs pipelined in order,
 * and the socket reading into one reused buffer (Node's `onread`) instead of a new Buffer per read.
 * A GET that only needs the value's size (`cache-get`, what serve's fast route pays before it sends
 * the bytes) allocates nothing for the value: its bytes are counted as they pass. One that needs the
 * value gets it copied once into a Buffer of its own. Before, every read was a Buffer of its own (a
 * 121 kB report took two or three) that died at once but was freed only when V8 collected its
 * handle: a cache-get run's RSS reached 174 MB of mostly dead read buffers (issue 13, item 6).
 *
 * Why not ioredis here: for a 121 kB report its per-command work (a Command object and promise, a
 * command timer, the RESP decoder assembling the value with Buffer.concat) cost several times the
 * server's own time at one client, so the `cache` path timed the client library more than Redis
 * (p50 2.4x redis-benchmark's). The rest of perfbench keeps ioredis (serve, the near cache, fills).
 */
import net from 'node:net';
import tls from 'node:tls';

/** Where and how to connect: the same server, credentials and database as the tier's client. */
export interface GetChannelTarget {
  host: string;
  port: number;
  /** None when absent or empty (ioredis gives null). */
  username?: string | null;
  password?: string | null;
  db: number;
  tls: boolean;
}

/** A GET's answer: the value (null: no such key), or, for a GET that asked for the size only, its length in bytes. */
type Reply = Buffer | number | null | Error | string;

/**
 * RESP2 replies read incrementally from socket chunks, split anywhere: bulk strings (`$n` / `$-1`),
 * simple strings (`+OK`) and errors (`-ERR …`). Anything else is a protocol error for a GET channel.
 * A chunk is read during the call only (it may be a view of a reused buffer): a bulk value is copied
 * into a Buffer of its own when `keepValue()` says so as its length line arrives, else only counted.
 */
export class ReplyReader {
  private line = '';
  /** Bytes of the current bulk value still to come, then its CRLF; -1 while reading a line. */
  private remaining = -1;
  private crlf = 0;
  /** The current bulk value when it is kept, filled up to `length - remaining`. */
  private value: Buffer | undefined;
  private length = 0;

  constructor(private readonly onReply: (reply: Reply) => void, private readonly keepValue: () => boolean = () => true) {}

  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        this.value?.set(chunk.subarray(at, at + take), this.length - this.remaining);
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.crlf = 2;
        continue;
      }
      if (this.crlf > 0) {
        const skip = Math.min(this.crlf, chunk.length - at);
        this.crlf -= skip;
        at += skip;
        if (this.crlf === 0) this.finishBulk();
        continue;
      }
      const newline = chunk.indexOf(10, at);
      if (newline < 0) {
        this.line += chunk.toString('latin1', at);
        return;
      }
      this.line += chunk.toString('latin1', at, newline);
      at = newline + 1;
      this.readLine(this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line);
      this.line = '';
    }
  }

  private readLine(line: string): void {
    const type = line[0];
    if (type === '$') {
      const length = Number(line.slice(1));
      if (length === -1) return this.onReply(null);
      if (!Number.isInteger(length) || length < 0) return this.onReply(new Error(`Redis sent a bad bulk length: ${line.slice(0, 40)}`));
      this.value = this.keepValue() ? Buffer.allocUnsafe(length) : undefined;
      this.length = length;
      if (length === 0) this.crlf = 2;
      else this.remaining = length;
      return;
    }
    if (type === '+') return this.onReply(line.slice(1));
    if (type === '-') return this.onReply(new Error(line.slice(1)));
    this.onReply(new Error(`unexpected Redis reply to GET: ${line.slice(0, 40)}`));
  }

  private finishBulk(): void {
    const reply = this.value ?? this.length;
    this.value = undefined;
    this.onReply(reply);
  }
}

/** `*n $len arg …` for a command, as Redis reads it. */
export function encodeCommand(...args: string[]): Buffer {
  let text = `*${args.length}\r\n`;
  for (const arg of args) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return Buffer.from(text);
}

interface Waiter {
  resolve(reply: Buffer | number | null): void;
  reject(error: Error): void;
  /** The value itself (get) rather than its length (size). */
  keep: boolean;
}

/**
 * Every GET channel of this thread reads into this one buffer: each read is consumed (counted, or
 * copied into the value it belongs to) within its synchronous callback, so no socket's bytes are
 * still there when the next read (of any socket) comes.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * One connection that answers GETs. A lost connection fails the GETs in flight and those that follow
 * until a reconnect succeeds: one attempt at a time, the first at once, then after 50 ms, doubling up
 * to 1 s (a Redis restart mid-run costs a few failed operations a second, not a tight loop).
 */
export class GetChannel {
  private socket: net.Socket | undefined;
  private waiters: Waiter[] = [];
  private connecting: Promise<void> | undefined;
  private lost: Error | undefined;
  private retryAt = 0;
  private backoffMs = 0;
  private closed = false;

  private constructor(private readonly target: GetChannelTarget, private readonly connectTimeoutMs: number) {}

  /** Connects (AUTH and SELECT as configured) or throws the server's or the socket's error. */
  static async open(target: GetChannelTarget, connectTimeoutMs: number): Promise<GetChannel> {
    const channel = new GetChannel(target, connectTimeoutMs);
    await channel.connect();
    return channel;
  }

  /** A GET of one key, encoded once: keep it and pass it to `get` for every operation on that key. */
  static command(key: string): Buffer {
    return encodeCommand('GET', key);
  }

  /** `host:port` of this end of the connection (Redis's CLIENT LIST `addr`), while connected. */
  get localAddress(): string | undefined {
    const socket = this.socket;
    return socket?.localAddress && socket.localPort ? `${socket.localAddress}:${socket.localPort}` : undefined;
  }

  /** The value of the key whose `command` this is (a Buffer of its own), or null when the key does not exist. */
  get(command: Buffer): Promise<Buffer | null> {
    return this.send(command, true) as Promise<Buffer | null>;
  }

  /** The size in bytes of the value of the key whose `command` this is, read off the socket without keeping it; null when the key does not exist. */
  size(command: Buffer): Promise<number | null> {
    return this.send(command, false) as Promise<number | null>;
  }

  private send(command: Buffer, keep: boolean): Promise<Buffer | number | null> {
    const socket = this.socket;
    if (!socket) return Promise.reject(this.unavailable());
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject, keep });
      socket.write(command);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    this.socket?.destroy();
    this.socket = undefined;
    this.failAll(new Error('the GET channel was closed'));
  }

  /** Why a GET cannot be sent now; starts a reconnect when the backoff allows one. */
  private unavailable(): Error {
    if (this.closed) return new Error('the GET channel was closed');
    if (!this.connecting && performance.now() >= this.retryAt) {
      this.connecting = this.connect().catch(() => undefined);
    }
    return new Error(`${this.lost?.message ?? 'Redis GET channel not connected'} (reconnecting)`);
  }

  private connect(): Promise<void> {
    const { host, port, username, password, db } = this.target;
    const handshake: Buffer[] = [];
    if (password) handshake.push(username ? encodeCommand('AUTH', username, password) : encodeCommand('AUTH', password));
    if (db !== 0) handshake.push(encodeCommand('SELECT', String(db)));
    // Where the socket's bytes go: the handshake's replies, then (attach) the GETs'.
    let feed = (chunk: Buffer): void => {
      if (pendingOk > 0) reader.feed(chunk);
    };
    // TLS reads through its own stream (no onread there): its chunks are fed the same way.
    const socket = this.target.tls
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }).on('data', (chunk: Buffer) => feed(chunk))
      : net.connect({
        host, port,
        onread: {
          buffer: readBuffer,
          callback: (bytes, buffer) => {
            feed(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
            return true;
          },
        },
      });
    socket.setNoDelay(true);
    let pendingOk = handshake.length;
    let reader: ReplyReader;
    const attempt = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no answer from ${host}:${port} within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const ready = (): void => {
        clearTimeout(timer);
        socket.off('error', fail);
        feed = this.attach(socket);
        resolve();
      };
      reader = new ReplyReader((reply) => {
        if (reply instanceof Error) return fail(reply);
        if (reply !== 'OK') return fail(new Error(`unexpected reply to the connection handshake: ${String(reply)}`));
        if (--pendingOk === 0) ready();
      }, () => false);
      socket.once('error', fail);
      socket.once(this.target.tls ? 'secureConnect' : 'connect', () => {
        if (handshake.length === 0) return ready();
        socket.write(Buffer.concat(handshake));
      });
    });
    return attempt.then(
      () => {
        this.backoffMs = 0;
        this.lost = undefined;
        this.connecting = undefined;
      },
      (error: Error) => {
        this.lost = error;
        this.backoffMs = this.backoffMs === 0 ? 50 : Math.min(this.backoffMs * 2, 1000);
        this.retryAt = performance.now() + this.backoffMs;
        this.connecting = undefined;
        throw error;
      },
    );
  }

  /**
   * From now on the socket's bytes are GET replies, answered in the order the GETs were sent: returns
   * what to feed them to. A value is kept when the GET it answers (the first waiting) asked for it.
   */
  private attach(socket: net.Socket): (chunk: Buffer) => void {
    const reader = new ReplyReader((reply) => {
      const waiter = this.waiters.shift();
      if (!waiter) return;
      if (reply instanceof Error) waiter.reject(reply);
      else if (typeof reply === 'string') waiter.reject(new Error(`unexpected Redis reply to GET: ${reply}`));
      else waiter.resolve(reply);
    }, () => this.waiters[0]?.keep ?? false);
    const drop = (error?: Error): void => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.lost = new Error(`Redis GET channel lost its connection: ${error?.message ?? 'Redis closed it'}`);
      this.retryAt = 0;
      this.failAll(this.lost);
    };
    socket.on('error', drop);
    socket.on('close', () => drop());
    this.socket = socket;
    return (chunk) => reader.feed(chunk);
  }

  private failAll(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
