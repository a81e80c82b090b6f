/** Server layer: binding the HTTP server, and draining it on close so in-flight requests are answered. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstLine } from '../errors.js';

/** Where a server listens. */
export interface BoundAddress {
  host: string;
  port: number;
  url: string;
}

/** Binds; resolves with the bound address (port 0 picks a free one). */
export function listen(server: Server, port: number, host: string, log: (line: string) => void): Promise<BoundAddress> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      // Errors after listening (EMFILE on accept under load) are logged, never a crash.
      server.on('error', (error) => log(`server error: ${firstLine(error.message)}`));
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({ host: address.address, port: address.port, url: `http://${shownHost}:${address.port}` });
    });
  });
}

/**
 * Stops accepting connections and waits for the open ones to finish; idle keep-alive connections
 * are closed as they appear, and any still busy after `drainTimeoutMs` are cut.
 */
export async function drain(server: Server, drainTimeoutMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A keep-alive connection becomes idle when its in-flight answer finishes: close those as they appear.
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const cut = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
  server.closeIdleConnections();
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}
