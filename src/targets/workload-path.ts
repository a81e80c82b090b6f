/**
 * Targets: the paths of `perfbench bench --workload` (pgbench scripts). One operation is one script
 * execution, pgbench's "transaction": operation i picks its script (chooseScript) and plans its
 * steps (planExecution) from i alone, so every path runs the same statements with the same values
 * in the same order. The steps run on the worker's own connection as named prepared statements
 * (`-M prepared`), rows counted, not decoded; `\sleep` waits on a timer.
 *
 * Errors: the transaction is rolled back; a serialization failure (40001) or deadlock (40P01) reruns
 * the whole execution, same steps, up to --max-tries (pgbench's retries); any other error fails the
 * operation. Failures are counted by SQLSTATE. Each statement's latency goes into its own HDR
 * histogram, encoded into the result so merge adds them.
 *
 * The paths differ only in how a statement reaches its rows: `as-is` (the database as it is),
 * `no-index` (index scans off for the session), `index=EXPR` (a candidate index created before each
 * of the path's runs and dropped after it, so no other path sees it; CONCURRENTLY with
 * --concurrently; recorded for crash ownership, see workload-index.ts) and `cache` (cache-aside of
 * every read statement's rows). The plan of each read statement, for the first execution of each
 * script, is captured after every run (before the candidate index goes) and checked against what
 * the path's name promises. With `bench --http`, `http-slow` and `http-fast` send the same
 * executions' read statements to perfbench serve instead (workload-http-path.ts; workloadPath hands
 * those kinds there).
 */
// Imported, not the global: Node defines the global `performance` as a lazy getter, paid on every read.
import { performance } from 'node:perf_hooks';
import { statementKey } from '../cache/report-cache.js';
import type { CacheTier } from '../cache/tier.js';
import { LibpqSession } from '../db/libpq-session.js';
import { explainStatement, forbidIndexScansOn, rollback, rollbackNow, runStatementRaw, runStatementRows, type WorkloadSession } from '../db/workload-queries.js';
import { firstLine } from '../errors.js';
import type { PlanSummary } from '../measure/result.js';
import type { Target } from '../measure/target.js';
import { parsePlan, scanIndexes } from '../plan/plan.js';
import { planRecord } from '../plan/plan-record.js';
import { chooseScript, hasSleep, type ScriptStatement, type Step } from '../workload/pgbench/index.js';
import type { BenchPath, PooledClient, RunFindings, ServerEndpoint } from './path.js';
import { RoutedConnections } from './routed-connections.js';
import { workloadPathName, type WorkloadContext, type WorkloadPathKind } from './workload-context.js';
import { runSteps, sqlstateOf, workloadPlanner, WorkloadStats, type PlannedExecution } from './workload-execution.js';
import { workloadHttpPath } from './workload-http-path.js';
import { buildCandidate, dropCandidate, type BuiltCandidate, type CandidateIndex } from './workload-index.js';

export { workloadPathName, type CandidateIndex, type WorkloadContext, type WorkloadPathKind };

/** A step that runs a statement. */
type SqlStep = Extract<Step, { kind: 'sql' }>;

/** SQLSTATEs pgbench retries with --max-tries: serialization_failure and deadlock_detected. */
export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(['40001', '40P01']);

export function workloadPath(context: WorkloadContext, kind: WorkloadPathKind): BenchPath {
  if (kind.kind === 'http') return workloadHttpPath(context, kind.route);
  const name = workloadPathName(kind);
  // With replicas, the executions of a script that only reads go round-robin to them and those of a
  // script that writes to the primary (one script is one transaction: it runs on one server).
  const writing = new Set(context.scripts.flatMap((script, k) => (script.statements.some((s) => s.access === 'write') ? [k] : [])));
  const servers: ServerEndpoint<WorkloadSession & PooledClient>[] = context.replicas
    ? [...context.replicas.readServers, ...(writing.size ? [{ label: context.replicas.primaryLabel, role: 'primary' as const, connect: context.connect }] : [])]
    : [{ label: 'primary', role: 'primary', connect: context.connectLibpq ?? context.connect }];
  const connections = new RoutedConnections(servers, { ...(kind.kind === 'no-index' ? { prepare: forbidIndexScansOn } : {}), signal: context.signal });
  const stats = new WorkloadStats(context.scripts);
  const scriptIndexes = new Map(context.scripts.map((s, k) => [s, k]));
  let tier: CacheTier | undefined;
  let pending: RunFindings | undefined;
  let firstAccess: string | undefined;
  let built: BuiltCandidate | undefined;

  const plan = workloadPlanner(context);

  const cachedRead = async (client: WorkloadSession, cache: CacheTier, text: string, values: readonly string[]): Promise<void> => {
    const key = statementKey(context.keyNamespace, text, values);
    const hit = await cache.get(key);
    if (hit) {
      stats.cacheHits++;
      return;
    }
    stats.cacheMisses++;
    const rows = await runStatementRows(client, text, values);
    await cache.set(key, JSON.stringify(rows), context.ttlSeconds);
  };

  /** One execution's steps, each statement timed into its own histogram: read statements through the cache on the cache path. */
  const execute = (client: WorkloadSession, k: number, steps: readonly Step[]): Promise<void> =>
    runSteps(stats.statements[k]!, steps, (statement, values) => (tier && statement.access === 'read'
      ? cachedRead(client, tier, statement.text, values)
      : runStatementRaw(client, statement.text, values)));

  /**
   * The same on a libpq session, whose calls block until the answer is in: an execution with no
   * \sleep and no cache to wait for runs start to end without a promise. (At pgbench's rates the
   * promises and microtasks of the async route cost the client CPU it is being measured by.)
   */
  const executeBlocking = (session: LibpqSession, k: number, steps: readonly SqlStep[]): void => {
    const records = stats.statements[k]!;
    // One clock read per statement: the next statement's time starts where this one's ended, not at
    // a second read, so it also holds this one's recording (about 0.1 µs; the async route reads twice).
    let started = performance.now();
    for (let s = 0; s < steps.length; s++) {
      const { statement, values } = steps[s]!;
      const record = records[statement.index]!;
      try {
        session.run(statement.text, values);
      } catch (error) {
        record.errors++;
        throw error;
      }
      const ended = performance.now();
      record.histogram.record((ended - started) * 1000);
      record.ops++;
      started = ended;
    }
  };

  /** The blocking route's operation (a script with no \sleep): retried here as `execute`'s is. */
  const runBlocking = (client: WorkloadSession, { k, script, steps }: PlannedExecution): void => {
    const counts = stats.scripts.get(script.name)!;
    for (let attempt = 1; ; attempt++) {
      try {
        executeBlocking(client as LibpqSession, k, steps as SqlStep[]);
        counts.ops++;
        return;
      } catch (error) {
        const code = sqlstateOf(error);
        if (code !== 'client') rollbackNow(client as LibpqSession);
        if (!retries(code, attempt, counts)) throw error;
      }
    }
  };
  /**
   * Scripts with no \sleep: their executions are statements only, which a libpq session runs
   * without a promise (a script with one checks each execution's steps: its branch may not sleep).
   */
  const sleepless = context.scripts.map((script) => !hasSleep(script));

  /**
   * After a failed execution (rolled back): whether to run it again (a serialization failure or
   * deadlock with tries left, as pgbench's --max-tries); if not, the failure is counted by SQLSTATE.
   */
  const retries = (code: string, attempt: number, counts: { errors: number }): boolean => {
    if (RETRYABLE_SQLSTATES.has(code) && attempt < context.maxTries && !context.signal.aborted) {
      stats.retries++;
      return true;
    }
    counts.errors++;
    stats.failures[code] = (stats.failures[code] ?? 0) + 1;
    return false;
  };

  /** The plans of each script's read statements for its first execution, judged against the path. */
  const capturePlans = async (concurrency: number): Promise<RunFindings> => {
    // On a server the reads ran on: the first replica when there are replicas.
    const client = connections.any(connections.readServer(0));
    const findings: RunFindings = { notes: [], flags: [] };
    if (!client) return findings;
    const plans: Array<{ statement: ScriptStatement; summary: PlanSummary }> = [];
    for (const script of context.scripts) {
      const k = scriptIndexes.get(script)!;
      let i = 0;
      while (i < 10_000 && chooseScript(context.scripts, i, context.seed) !== k) i++;
      for (const step of plan(i, concurrency).steps) {
        if (step.kind !== 'sql' || step.statement.access !== 'read') continue;
        const parsed = parsePlan(await explainStatement(client, step.statement.text, step.values, true));
        plans.push({ statement: step.statement, summary: summaryOf(parsed, `${step.statement.name}(${step.values.join(', ')})`) });
      }
    }
    if (plans.length === 0) return findings;
    const indexed = plans.filter((p) => p.summary.usesIndex);
    findings.plan = (kind.kind === 'index' ? plans.find((p) => p.summary.indexes.includes(kind.index.name)) : indexed[0])?.summary ?? plans[0]!.summary;
    if (kind.kind === 'no-index' && indexed.length > 0) {
      findings.flags.push('plan-mismatch');
      findings.notes.push(`PLAN MISMATCH: the ${name} path read through an index (${indexed.map((p) => `${p.statement.name}: ${p.summary.scan}`).join('; ')}); its figures are not no-index figures`);
    }
    if (kind.kind === 'index' && !plans.some((p) => p.summary.indexes.includes(kind.index.name))) {
      findings.flags.push('plan-mismatch');
      findings.notes.push(`PLAN MISMATCH: no statement of the ${name} path read through its candidate index ${kind.index.name}; the index does not serve this workload`);
    }
    const access = plans.map((p) => `${p.statement.name}=${p.summary.usesIndex ? [...p.summary.indexes].sort().join(',') : 'no-index'}`).join(';');
    firstAccess ??= access;
    if (access !== firstAccess) {
      findings.flags.push('plan-changed');
      findings.notes.push(`PLAN CHANGED during the run: the ${name} path's statements first read ${firstAccess}, later ${access}; its figures mix two plans`);
    }
    return findings;
  };

  /**
   * The candidate index, built on the primary (a worker's connection without replicas; else a
   * connection of its own), then waited for on the replicas, whose reads must find it.
   */
  const buildOnPrimary = async (index: CandidateIndex): Promise<BuiltCandidate> => {
    // With bench --workers, the process builds it while its threads hold the connections, and the
    // libpq driver's sessions run only statements: a node-postgres connection of its own then.
    const worker = context.replicas ? undefined : connections.any();
    if (worker && !(worker instanceof LibpqSession)) return (built = await buildCandidate(worker, index, context.indexOwnership));
    const client = await context.connect();
    try {
      built = await buildCandidate(client, index, context.indexOwnership);
    } finally {
      await client.end().catch(() => undefined);
    }
    await context.replicas?.catchUp();
    return built;
  };

  const dropIndex = async (): Promise<void> => {
    if (kind.kind !== 'index' || !built) return;
    const client = await context.connect();
    try {
      await dropCandidate(client, kind.index, built, context.indexOwnership);
      built = undefined;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  return {
    name,
    kind: kind.kind === 'cache' ? 'cache' : 'db',
    target(concurrency, runConcurrency = concurrency): Target {
      return {
        name,
        kind: kind.kind === 'cache' ? 'cache' : 'db',
        blocking: context.connectLibpq !== undefined,
        async setup() {
          pending = undefined;
          stats.reset();
          if (kind.kind === 'cache') tier ??= await context.cache();
          await connections.ensure(concurrency);
          if (kind.kind === 'index' && !built && !context.sharedCandidate) await buildOnPrimary(kind.index);
        },
        measureStart() {
          stats.reset();
          connections.resetStats();
        },
        run(op) {
          const i = op.index;
          const planned = plan(i, runConcurrency);
          const { k, script, steps } = planned;
          if (context.onStep) for (const step of steps) if (step.kind === 'sql') context.onStep(name, i, step.statement, step.values);
          const server = writing.has(k) ? connections.primary : connections.readServer(i);
          const statementsOnly = sleepless[k] || steps.every((step) => step.kind === 'sql');
          if (context.connectLibpq && !tier && statementsOnly && connections.useNow(server, runBlocking, planned)) return undefined;
          const counts = stats.scripts.get(script.name)!;
          return connections.use(server, async (client) => {
            for (let attempt = 1; ; attempt++) {
              try {
                await execute(client, k, steps);
                counts.ops++;
                return;
              } catch (error) {
                const code = sqlstateOf(error);
                if (code !== 'client') await rollback(client).catch(() => undefined);
                if (!retries(code, attempt, counts)) throw error;
              }
            }
          });
        },
        async teardown() {
          // The plan is read before the candidate index goes: after the run, outside the measurement.
          try {
            pending = await capturePlans(runConcurrency);
          } catch (error) {
            pending = { notes: [`${name}: the plan check failed: ${firstLine((error as Error).message)}`], flags: ['check-failed'] };
          }
          await dropIndex();
        },
      };
    },
    async findings(interrupted): Promise<RunFindings> {
      const findings: RunFindings = !interrupted && pending ? pending : { notes: [], flags: [] };
      pending = undefined;
      findings.workload = stats.record(kind.kind === 'cache');
      const outages = connections.takeOutages();
      if (outages.length) findings.outages = outages;
      const perServer = connections.serverRecords();
      if (perServer) findings.servers = perServer;
      return findings;
    },
    // bench --workers: the process builds the candidate once around each threaded run (its threads' paths,
    // made with sharedCandidate, only time it and check their plans against it, in their teardown).
    async beforeThreadedRun() {
      if (kind.kind === 'index' && !built) await buildOnPrimary(kind.index);
    },
    async afterThreadedRun() {
      await dropIndex();
    },
    async close() {
      stats.destroy();
      await dropIndex().catch(() => undefined);
      await connections.close();
    },
  };
}

/** Scan node types that read a relation's rows through an index. */
const INDEX_SCANS = new Set(['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan']);

/** A statement's plan as the path result's PlanSummary: the first relation scan, and every index any scan read. */
function summaryOf(plan: ReturnType<typeof parsePlan>, label: string): PlanSummary {
  const scans = plan.nodes.filter((n) => n.relation !== undefined && n.nodeType !== 'ModifyTable');
  const indexes = [...new Set(scans.flatMap((n) => (INDEX_SCANS.has(n.nodeType) ? scanIndexes(plan, n) : [])))];
  const first = scans.find((n) => INDEX_SCANS.has(n.nodeType)) ?? scans[0];
  const buffers = plan.root.buffers;
  return {
    category: label,
    root: plan.root.operation,
    scan: first ? (first.nodeType === 'Bitmap Heap Scan' ? `${first.label} using ${scanIndexes(plan, first).join(', ')}` : first.label) : 'no table scan in the plan',
    scanType: first?.operation ?? 'none',
    indexes,
    usesIndex: indexes.length > 0,
    sharedHitBlocks: buffers.sharedHit,
    sharedReadBlocks: buffers.sharedRead,
    executionTimeMs: plan.executionTimeMs ?? plan.totalTimeMs,
    planningTimeMs: plan.planningTimeMs ?? 0,
    tree: planRecord(plan),
  };
}
