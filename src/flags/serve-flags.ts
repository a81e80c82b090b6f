/** Flags: `perfbench serve`'s flags parsed into ServeOptions; every bad value is a one-line usage error. */
import { usageError } from '../errors.js';
import { DEFAULT_NEAR_CACHE_MB, type ServeOptions } from '../usecases/report-server.js';
import { columnIdentifier, tableIdentifier } from '../workload/identifiers.js';
import { integerOption } from './options.js';

export interface ServeFlags {
  port: string;
  host: string;
  table: string;
  column: string;
  ttl: string;
  pool: string;
  /** MB for /report/fast's near cache; 0 turns it off. Default DEFAULT_NEAR_CACHE_MB. */
  nearCacheMb?: string;
}

export function serveOptions(flags: ServeFlags): ServeOptions {
  const host = flags.host.trim();
  if (host === '') throw usageError('--host is empty', 'pass an address to bind, e.g. 127.0.0.1');
  return {
    port: integerOption(flags.port, '--port', 0, 65_535),
    host,
    table: tableIdentifier(flags.table),
    column: columnIdentifier(flags.column),
    ttlSeconds: integerOption(flags.ttl, '--ttl', 1, 30 * 86_400),
    poolSize: integerOption(flags.pool, '--pool', 1, 1_000),
    nearCacheBytes: integerOption(flags.nearCacheMb ?? String(DEFAULT_NEAR_CACHE_MB), '--near-cache-mb', 0, 64 * 1024) * 1024 * 1024,
  };
}

