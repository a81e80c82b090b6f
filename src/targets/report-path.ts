/**
 * Targets: The shared shape of the paths that time the report query against PostgreSQL (seq, index): one
 * connection per worker, the query as a prepared statement, and the plan it ran captured after
 * every complete run and once more at the end of the bench (plan-check.ts: a plan that changes
 * mid-bench flags the path `plan-changed`). A connection the server ended is replaced with a bounded
 * backoff, and the outage is recorded in the findings (path.ts, `Connections`).
 */
import type pg from 'pg';
import type { Target } from '../measure/target.js';
import { runWorkloadRaw } from '../db/bench-queries.js';
import type { BenchPath, PathContext, RunFindings } from './path.js';
import { PlanWatch, type PlanExpectation } from './plan-check.js';
import { checkPlansOn, readEndpoints, RoutedConnections, watchesFor } from './routed-connections.js';

export interface ReportPathOptions {
  name: string;
  /** Session settings for every new connection (the seq path forbids index scans). */
  prepare?: (client: pg.Client) => Promise<void>;
  expect: PlanExpectation;
}

export function reportPath(context: PathContext, options: ReportPathOptions): BenchPath {
  const { workload } = context;
  // The report only reads: with replicas (bench --replica-url) every operation goes to one of them.
  const connections = new RoutedConnections(readEndpoints(context), { ...(options.prepare ? { prepare: options.prepare } : {}), signal: context.signal });
  const watches = watchesFor(connections, () => new PlanWatch(options.name, workload, context.sequence.at(0), options.expect));
  return {
    name: options.name,
    kind: 'db',
    target(concurrency): Target {
      return {
        name: options.name,
        kind: 'db',
        setup: () => connections.ensure(concurrency),
        measureStart: () => connections.resetStats(),
        async run(op) {
          await connections.use(connections.readServer(op.index), (client) => runWorkloadRaw(client, workload, op.category));
        },
      };
    },
    async findings(interrupted): Promise<RunFindings> {
      const findings: RunFindings = !interrupted ? await checkPlansOn(connections, watches) : { notes: [], flags: [] };
      const outages = connections.takeOutages();
      if (outages.length) findings.outages = outages;
      const servers = connections.serverRecords();
      if (servers) findings.servers = servers;
      return findings;
    },
    checkPlan: () => checkPlansOn(connections, watches, true),
    close: () => connections.close(),
  };
}
