/**
 * Database adapter: the TCP socket node-postgres connects with (its `stream` option), reading into
 * one reused buffer (Node's `onread`) instead of a new Buffer per read pushed through the Readable
 * stream machinery. At pgbench's rates (one round trip every 50-60 µs at c=1) that machinery was a
 * measurable part of perfbench's client CPU per transaction (see bench:fidelity, scripts part).
 *
 * Two kinds of reader:
 * - pg's own parser keeps references to the chunks it is given, so it gets what it always got:
 *   a 'data' event with a Buffer of its own (a copy of the bytes read);
 * - a reader that lends itself (`borrowReads`, the wire channel) sees each read as a view of the
 *   reused buffer, valid only during its call: it counts rows and copies the few bytes it keeps.
 *
 * TLS connections keep a plain socket: pg wraps it with tls.connect, which reads the socket itself.
 * Only 'data' listeners see what a pgSocket reads: a reader that pulls through 'readable' / read()
 * (pg-copy-streams' copy-to, pipe) would get nothing, and none is used on these connections.
 */
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Every pgSocket of this thread reads into this one buffer: each read is used, or copied, within its
 * synchronous callback, so no socket's bytes are there when the next read (of any socket) comes.
 * One per socket would hold 64 kB per connection for its life (a --concurrency 1024 run's worth).
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

/** The sockets pgSocket made with a reused buffer (weak: nothing is kept alive by being here). */
const readsIntoReusedBuffer = new WeakSet<Duplex>();
/** A socket's borrowing reader, when one is set. */
const borrowers = new WeakMap<Duplex, (chunk: Buffer) => void>();

/** pg's `stream` option: a reading-into-one-buffer socket for a plain connection, a plain one for TLS. */
export function pgSocket(config?: { ssl?: unknown }): Duplex {
  if (config?.ssl) return new Socket();
  // Node's Socket constructor takes `onread` (lib/net.js) though @types/node lists it only for connect().
  const options: SocketConstructorOpts & { onread: OnReadOpts } = {
    onread: {
      buffer: readBuffer,
      callback: (bytes: number, buffer: Uint8Array) => {
        const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
        const borrower = borrowers.get(socket);
        if (borrower) borrower(chunk);
        else socket.emit('data', Buffer.from(chunk));
        return true;
      },
    },
  };
  const socket: Socket = new Socket(options);
  readsIntoReusedBuffer.add(socket);
  return socket;
}

/**
 * Hands every chunk `socket` reads to `reader` as a borrowed view (valid only during the call)
 * instead of a 'data' event. False, changing nothing, when the socket is not one of pgSocket's
 * reading into a reused buffer: the caller then listens to 'data' as usual.
 */
export function borrowReads(socket: Duplex, reader: (chunk: Buffer) => void): boolean {
  if (!readsIntoReusedBuffer.has(socket)) return false;
  borrowers.set(socket, reader);
  return true;
}
