/**
 * Targets: how the HTTP client (http.ts) gets one answer: a GET on a keep-alive connection, read
 * to its end. Plain http:// goes over perfbench's own connections (http-wire.ts), which count a
 * body without keeping it; https:// over Node's client and a keep-alive agent, which does TLS.
 */
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { HttpAnswer } from './http-response-reader.js';
import { pathPrefix, socketHostname, wireTransport, type HttpTransport, type TransportOptions } from './http-wire.js';

export type { HttpTransport, TransportOptions };

export function httpTransport(base: URL, options: TransportOptions): HttpTransport {
  if (base.protocol === 'http:') return wireTransport(base, options);
  if (base.protocol === 'https:') return nodeHttpsTransport(base, options);
  throw new Error(`unsupported URL scheme ${base.protocol} (use http:// or https://)`);
}

function nodeHttpsTransport(base: URL, options: TransportOptions): HttpTransport {
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: options.connections, maxFreeSockets: options.connections, scheduling: 'fifo' });
  const prefix = pathPrefix(base);
  const common = { agent, protocol: base.protocol, hostname: socketHostname(base), port: base.port || 443, timeout: options.timeoutMs };
  return {
    get: (path, keepBody) => new Promise<HttpAnswer>((resolve, reject) => {
      const req = httpsRequest({ ...common, path: prefix + path, method: 'GET' }, (res) => {
        const status = res.statusCode ?? 0;
        const keep = keepBody || status !== 200 ? options.keptBodyBytes : 0;
        const kept: Buffer[] = [];
        let keptBytes = 0;
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (keptBytes < keep) {
            kept.push(chunk.subarray(0, keep - keptBytes));
            keptBytes += kept.at(-1)!.length;
          }
        });
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          resolve({ status, headers, bytes, body: Buffer.concat(kept).toString('utf8'), keepAlive: res.headers.connection !== 'close' });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no response within ${options.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    }),
    // Node's client sends a request once: a keep-alive race fails it (ECONNRESET, socket hang up).
    resent: () => 0,
    destroy: () => agent.destroy(),
  };
}
