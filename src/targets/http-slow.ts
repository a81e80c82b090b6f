/**
 * Targets: `http-slow`: `GET /report/slow` end to end, the "before" architecture: the server answers from one
 * dedicated connection used serially, without a cache, so concurrent requests queue behind each
 * other. The server perfbench starts for `bench --http` forbids index scans on that connection,
 * like the `seq` path, so the route shows the before state even while the run's index exists.
 */
import { httpPath } from './http-path.js';
import type { PathDefinition } from './path.js';

export const httpSlowPath: PathDefinition = {
  name: 'http-slow',
  description: 'GET /report/slow over HTTP: one serial connection, no cache (a Seq Scan on the in-process server)',
  needsIndex: false,
  needsCache: false,
  needsServer: true,
  create: (context) => httpPath(context, 'slow'),
};
