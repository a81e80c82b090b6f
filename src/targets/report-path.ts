/**
 * The shared shape of the paths that time the report query against PostgreSQL (seq, index): one
 * connection per worker, the query as a prepared statement, and the plan it ran captured once
 * after its first complete run.
 */
import type pg from 'pg';
import type { Target } from '../measure/target.js';
import { runWorkloadRaw } from '../db/bench-queries.js';
import { Connections, type BenchPath, type PathContext, type PlanSummary, type RunFindings } from './path.js';
import { capturePlan, planFindings, type PlanExpectation } from './plan-check.js';

export interface ReportPathOptions {
  name: string;
  /** Session settings for every new connection (the seq path forbids index scans). */
  prepare?: (client: pg.Client) => Promise<void>;
  expect: PlanExpectation;
}

export function reportPath(context: PathContext, options: ReportPathOptions): BenchPath {
  const { workload } = context;
  const connections = new Connections(context.connect, options.prepare);
  let plan: PlanSummary | undefined;
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
      if (!plan && !interrupted && client) plan = await capturePlan(client, workload, context.sequence.at(0));
      return plan ? planFindings(options.name, plan, options.expect) : { notes: [], flags: [] };
    },
    close: () => connections.close(),
  };
}
