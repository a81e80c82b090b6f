/**
 * Database adapter: node-postgres, loaded for the commands that talk to PostgreSQL without paying
 * for its Cloudflare probe. On load, pg asks whether it runs in a Cloudflare Worker; on Node 20
 * (no `navigator`) it does so by constructing a `Response`, which makes Node load its whole fetch
 * implementation (undici) — about a third of what loading pg costs, and a sizeable part of the
 * start-up of `perfbench index list`. With `Response` hidden for that one synchronous require the
 * probe answers "not Cloudflare" at once, as it does on Node 21+; the global is restored before
 * anything else runs.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';

function loadDriver(): typeof pg {
  const require = createRequire(import.meta.url);
  const response = Object.getOwnPropertyDescriptor(globalThis, 'Response');
  if (!response?.configurable) return require('pg') as typeof pg;
  Object.defineProperty(globalThis, 'Response', { value: undefined, configurable: true, writable: true });
  try {
    return require('pg') as typeof pg;
  } finally {
    Object.defineProperty(globalThis, 'Response', response);
  }
}

/** The pg module (Client, Pool, Query, DatabaseError…), the same instance `import pg from 'pg'` gives. */
export const pgDriver = loadDriver();
