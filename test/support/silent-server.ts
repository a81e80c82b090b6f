/**
 * A TCP server on loopback that accepts connections and never says a word: the shape of a
 * firewalled or hung peer, for connection timeouts. Registers its own beforeAll/afterAll.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

/** Its port, once the suite's beforeAll has run. */
export function useSilentServer(): { readonly port: number } {
  let server: Server;
  const sockets = new Set<Socket>();
  const handle = { port: 0 };
  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    handle.port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return handle;
}
