/**
 * Targets: `miss`: the cold path of cache-aside, as an application runs it on a miss: GET (nothing there),
 * the report query, the JSON body, SET with the TTL. Every operation uses a key of its own (a
 * counter in the run's namespace), so each one really misses whatever ran before; the keys it wrote
 * are removed after each run, outside the measurement, so Redis memory stays bounded by one run.
 *
 * Unlike the seq and index paths, the rows are decoded by node-postgres and serialised, because
 * that is the work a miss costs an application. The index state is the same as for `index`.
 */
import { reportKey } from '../cache/report-cache.js';
import type { CacheStats, CacheTier } from '../cache/tier.js';
import type { Operation, Target } from '../measure/target.js';
import { runWorkload } from '../db/report.js';
import { verifyCacheOutcome } from './cache-check.js';
import type { BenchPath, PathContext, PathDefinition, RunFindings } from './path.js';
import { PlanWatch } from './plan-check.js';
import { checkPlansOn, readEndpoints, RoutedConnections, watchesFor } from './routed-connections.js';

export const cacheMissPath: PathDefinition = {
  name: 'miss',
  description: 'a cache-aside miss: GET (nothing), the report query, JSON encode, SET with the TTL',
  needsIndex: true,
  needsCache: true,
  create: (context) => createCacheMiss(context),
};

function createCacheMiss(context: PathContext): BenchPath {
  const { workload } = context;
  const namespace = `${context.keyNamespace}:miss`;
  // The miss's query is a read: with replicas (bench --replica-url) it goes to one of them.
  const connections = new RoutedConnections(readEndpoints(context), { signal: context.signal });
  let tier: CacheTier | undefined;
  let counter = 0;
  let before: CacheStats = { hits: 0, misses: 0 };
  const seen = { gets: 0, hits: 0, misses: 0 };
  // Like the index path, the plan is verified after every run: `plan-changed` if it moves mid-bench.
  const watches = watchesFor(connections, () => new PlanWatch('miss', workload, context.sequence.at(0), 'any'));

  const run = async (op: Operation): Promise<void> => {
    const key = reportKey(`${namespace}:${counter++}`, op.category);
    seen.gets++;
    if ((await tier!.get(key)) === null) seen.misses++;
    else seen.hits++;
    const { rows } = await connections.use(connections.readServer(op.index), (client) => runWorkload(client, workload, op.category));
    await tier!.set(key, workload.body(op.category, rows), context.ttlSeconds);
  };

  const removeKeys = async (): Promise<void> => {
    if (tier) await tier.deletePrefix(reportKey(namespace, ''));
  };

  return {
    name: 'miss',
    kind: 'cache',
    target(concurrency): Target {
      return {
        name: 'miss',
        kind: 'cache',
        async setup() {
          tier ??= await context.cache();
          await connections.ensure(concurrency);
          seen.gets = seen.hits = seen.misses = 0;
          before = await tier.stats();
        },
        measureStart: () => connections.resetStats(),
        run,
        teardown: removeKeys,
      };
    },
    async findings(interrupted): Promise<RunFindings> {
      const findings: RunFindings = !interrupted ? await checkPlansOn(connections, watches) : { notes: [], flags: [] };
      const outages = connections.takeOutages();
      if (outages.length) findings.outages = outages;
      const servers = connections.serverRecords();
      if (servers) findings.servers = servers;
      if (!tier) return findings;
      verifyCacheOutcome('misses', tier.label, seen, before, await tier.stats(), findings);
      return findings;
    },
    checkPlan: () => checkPlansOn(connections, watches, true),
    async close() {
      await removeKeys().catch(() => undefined);
      await connections.close();
    },
  };
}
