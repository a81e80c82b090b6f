/**
 * Server layer: `GET /report/slow`, the "before" shape: every request waits its turn on one
 * dedicated connection and runs the workload's statement, with no cache.
 */
import type { Breaker } from '../../db/availability.js';
import type { DedicatedConnection } from '../../db/dedicated-connection.js';
import { runWorkload } from '../../db/report.js';
import type { Workload } from '../../workload/workload.js';
import type { ServerMetrics } from '../metrics.js';
import type { CategoryHandler } from '../pipeline.js';
import type { Replies } from '../replies.js';

export interface SlowDeps {
  workload: Workload;
  connection: DedicatedConnection;
  breaker: Breaker;
  metrics: ServerMetrics;
  replies: Replies;
}

export function slowRoute(deps: SlowDeps): CategoryHandler {
  const { workload, connection, breaker, metrics, replies } = deps;
  return async (res, category, startedMs) => {
    breaker.check();
    let outcome: { body: Buffer; queueMs: number; dbMs: number };
    try {
      // The breaker is consulted again when the request's turn comes, and fed by connect failures
      // as well as query failures: a database that hangs costs one request the connect timeout.
      outcome = await connection.run(async (client, waitedMs) => {
        const dbStarted = performance.now();
        metrics.queries.slow++;
        const result = await runWorkload(client, workload, category);
        return { body: workload.body(category, result.rows), queueMs: waitedMs, dbMs: performance.now() - dbStarted };
      }, () => breaker.check());
    } catch (error) {
      breaker.failure(error);
      throw error;
    }
    breaker.success();
    replies.report(res, outcome.body, 'BYPASS', { queue: outcome.queueMs, cache: 0, db: outcome.dbMs, total: performance.now() - startedMs });
  };
}
