/**
 * Targets: `http-fast`: `GET /report/fast` end to end, the "after" architecture, timed on cache hits: every
 * category is cached before the first run (outside the measurement) and every measured response
 * must say `X-Cache: HIT` (or `NEAR`, from a server's near cache), or the path is flagged.
 */
import { httpPath } from './http-path.js';
import type { PathDefinition } from './path.js';

export const httpFastPath: PathDefinition = {
  name: 'http-fast',
  description: 'GET /report/fast over HTTP: pooled, Redis cache-aside, timed on hits (X-Cache checked)',
  needsIndex: false,
  needsCache: false,
  needsServer: true,
  create: (context) => httpPath(context, 'fast'),
};
