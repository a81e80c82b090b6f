/**
 * Targets: The shared shape of the paths that time the report query against PostgreSQL (seq, index): one
 * connection per worker, the query as a prepared statement, and the plan it ran captured after
 * every complete run and once more at the end of the bench (plan-check.ts: a plan that changes
 * mid-bench flags the path `plan-changed`).
 */
import type pg from 'pg';
import type { Target } from '../measure/target.js';
import { runWorkloadRaw } from '../db/bench-queries.js';
import { Connections, type BenchPath, type PathContext, type RunFindings } from './path.js';
import { PlanWatch, type PlanExpectation } from './plan-check.js';

export interface ReportPathOptions {
  name: string;
  /** Session settings for every new connection (the seq path forbids index scans). */
  prepare?: (client: pg.Client) => Promise<void>;
  expect: PlanExpectation;
}

export function reportPath(context: PathContext, options: ReportPathOptions): BenchPath {
  const { workload } = context;
  const connections = new Connections(context.connect, options.prepare);
  const watch = new PlanWatch(options.name, workload, context.sequence.at(0), options.expect);
  return {
    name: options.name,
    kind: 'db',
    target(concurrency): Target {
      return {
        name: options.name,
        kind: 'db',
        setup: () => connections.ensure(concurrency),
        async run(op) {
          const client = connections.take();
          try {
            await runWorkloadRaw(client, workload, op.category);
          } finally {
            connections.release(client);
          }
        },
      };
    },
    async findings(interrupted): Promise<RunFindings> {
      const client = connections.any();
      return !interrupted && client ? watch.check(client) : { notes: [], flags: [] };
    },
    async checkPlan(): Promise<RunFindings> {
      const client = connections.any();
      return watch.started && client ? watch.check(client) : { notes: [], flags: [] };
    },
    close: () => connections.close(),
  };
}
