/**
 * Use case (bench --workload, prepare phase): the scripts read and parsed (a refusal names the file,
 * the line and the reason), pgbench's :scale, the \pb_from values loaded once from their columns,
 * the paths (as-is, no-index, index=EXPR, cache; the cache path only for a workload that only
 * reads, and otherwise a note that says which statement writes), the cache tier and the
 * environment. What a path creates (a candidate index, cache keys) is removed by deferred cleanups.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { keyNamespace, reportKey } from '../cache/report-cache.js';
import { columnValues } from '../db/bench-queries.js';
import { resolveColumn, resolveTable } from '../db/catalog.js';
import { connectClient } from '../db/connection.js';
import { LibpqSession, requireLibpq } from '../db/libpq-session.js';
import type { ReplicaUrl } from '../config.js';
import type { RunOwner } from '../db/runs.js';
import { pgbenchScale, workloadDataVersion } from '../db/workload-queries.js';
import { firstLine, usageError, UserError } from '../errors.js';
import { initHistograms } from '../measure/histogram.js';
import type { BenchResult, Environment } from '../measure/result.js';
import type { Runtime } from '../runtime.js';
import type { BenchPath } from '../targets/path.js';
import type { CandidateIndex } from '../targets/workload-index.js';
import { workloadPath, workloadPathName, type WorkloadContext, type WorkloadPathKind } from '../targets/workload-path.js';
import { quote, type Identifier } from '../workload/identifiers.js';
import { pbFromDraw, type PbFromValues } from '../workload/pb-from-draw.js';
import type { Script, ScriptStatement } from '../workload/pgbench/index.js';
import type { CategorySequence } from '../workload/sequence.js';
import { libpqReplicasRefused } from '../flags/workload-flags.js';
import { redactUrl } from '../redact.js';
import { checkWorkloadServer } from '../targets/workload-http-path.js';
import type { BenchOptions, WorkloadOptions } from './bench-options.js';
import { machineEnvironment, type BenchTalk } from './bench-prepare.js';
import { threadRedis, type WorkloadThreadContext } from './bench-threads.js';
import { reconcileIndexes } from './index-ownership.js';
import type { ReplicaSession } from './replicas.js';
import { DEFAULT_POOL_SIZE } from './report-server.js';
import { readResultFile } from './result-file.js';
import { acquireTableLease } from './table-lease.js';
import { serveScripts } from './workload-server.js';
import { readScripts } from './workload-scripts.js';

/** Distinct values loaded per \pb_from source. */
export const MAX_PB_FROM_VALUES = 100_000;

/** A workload run ready to measure. */
export interface PreparedWorkloadBench {
  baseline?: BenchResult;
  /** The runner's sequence: unused by the workload paths (they plan from i), empty. */
  sequence: CategorySequence;
  environment: Environment;
  paths: BenchPath[];
  /** The names of the paths, in order (for the options record). */
  pathNames: string[];
  notes: string[];
  /** What bench --workers N threads build the same paths from. */
  threadContext: WorkloadThreadContext;
}

/** Test hook: every statement step a workload path planned (see WorkloadContext.onStep). */
export interface WorkloadHooks {
  onStep?: WorkloadContext['onStep'];
}

/** The first statement that writes (or locks), or undefined for a read-only workload. */
export function firstWrite(scripts: readonly Script[]): { script: Script; statement: ScriptStatement } | undefined {
  for (const script of scripts) {
    const statement = script.statements.find((s) => s.access === 'write');
    if (statement) return { script, statement };
  }
  return undefined;
}

/** The paths a workload that writes does not get, with why. */
const READ_ONLY_PATHS = {
  cache: { none: 'no cache path', why: 'a cached read would hide its own writes' },
  http: { none: 'no http paths', why: 'perfbench serve answers reads only (a GET must not change data)' },
} as const;

/** Why a workload that writes (its first write, firstWrite) gets no `kind` path(s), in words. */
function noPathReason({ script, statement }: NonNullable<ReturnType<typeof firstWrite>>, kind: keyof typeof READ_ONLY_PATHS): string {
  const { none, why } = READ_ONLY_PATHS[kind];
  return `${none}: the workload writes (${statement.name}, line ${statement.line} of ${script.name}: ${statement.accessReason}), and ${why}`;
}

/**
 * --driver libpq's preconditions, checked before anything connects: the optional module loads, and
 * no replicas come from the environment (the flag's are refused with the other flags).
 */
export function checkWorkloadDriver(options: BenchOptions, configuredReplicaUrls: readonly ReplicaUrl[] | undefined): void {
  if (options.workload?.driver !== 'libpq') return;
  requireLibpq();
  if ((options.replicaUrls ?? configuredReplicaUrls ?? []).length > 0) throw libpqReplicasRefused();
}

export async function prepareWorkloadBench(runtime: Runtime, options: BenchOptions, talk: BenchTalk, hooks: WorkloadHooks = {},
  replicas?: ReplicaSession): Promise<PreparedWorkloadBench> {
  const workload = options.workload!;
  const baseline = options.baseline === undefined ? undefined : await readResultFile(options.baseline, '--baseline');
  const backend = await initHistograms();
  const scripts = await readScripts(workload);
  const notes: string[] = [];
  const noteAndWarn = (line: string): void => {
    notes.push(line);
    talk.warn(line);
  };

  // The paths: the default set, or --paths without the cache and http paths for a workload that writes.
  const write = firstWrite(scripts);
  const httpKinds: WorkloadPathKind[] = options.http ? [{ kind: 'http', route: 'slow' }, { kind: 'http', route: 'fast' }] : [];
  let kinds: WorkloadPathKind[] = options.workloadPaths ?? [{ kind: 'as-is' }, { kind: 'no-index' }, ...(write ? [] : [{ kind: 'cache' } as const, ...httpKinds])];
  for (const drop of ['cache', 'http'] as const) {
    if (!write || (drop === 'http' && !options.http)) continue;
    const reason = noPathReason(write, drop);
    if (kinds.some((k) => k.kind === drop)) {
      kinds = kinds.filter((k) => k.kind !== drop);
      noteAndWarn(reason);
    } else notes.push(reason);
  }
  if (kinds.length === 0) throw usageError('--paths leaves no path to run', 'add as-is, no-index or index=TABLE(COLUMN)');

  talk.status('connecting to PostgreSQL');
  const admin = await runtime.client();
  const scale = workload.scale ?? (await pgbenchScale(admin)) ?? 1;
  const values = await loadPbFromValues(admin, scripts, talk.status);
  const version = await workloadDataVersion(admin);
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const namespace = keyNamespace('workload', version, `bench-${runId}`);

  const needsCache = kinds.some((k) => k.kind === 'cache');
  const tier = needsCache ? await runtime.cache() : undefined;
  if (tier) {
    if (tier.kind === 'in-process') noteAndWarn(`the cache path ran against the in-process tier (${tier.label}): its figures say nothing about Redis`);
    const prefix = reportKey(namespace, '');
    runtime.defer(async () => {
      if (options.keepCache) runtime.out.say(`kept the workload's cache keys under ${prefix}* (TTL ${options.ttlSeconds} s)`);
      else await tier.deletePrefix(prefix);
    });
  }

  // The index= paths: their tables and columns resolved now (a bad expression is one line, exit 2,
  // before anything is built), and each table's run lock taken, so candidate builds are recorded and
  // what a crashed run left on it is settled first.
  kinds = await Promise.all(kinds.map(async (kind) => (kind.kind === 'index' ? { kind: 'index' as const, index: await resolveCandidate(admin, kind.index, workload) } : kind)));
  let owner: RunOwner | undefined;
  for (const table of new Map(kinds.flatMap((k) => (k.kind === 'index' ? [[k.index.table.sql, k.index.table] as const] : []))).values()) {
    const lease = await acquireTableLease(runtime, table, 'bench', options.lock, talk);
    await reconcileIndexes(admin, table, talk.say);
    if (lease.records) owner = lease.owner;
  }

  const http = kinds.some((k) => k.kind === 'http') ? await workloadHttpServer(runtime, options, scripts, namespace, talk) : undefined;
  if (http) {
    notes.push(...http.notes);
    for (const warning of http.warnings) noteAndWarn(warning);
    if (replicas && options.http?.url === undefined) {
      noteAndWarn('the http paths\' in-process server reads from the primary, while the database paths read from the replicas: compare them knowing that');
    }
  }

  const database = await runtime.database();
  const context: WorkloadContext = {
    connect: () => connectClient(database, runtime.config.connectTimeoutMs),
    scripts,
    seed: options.seed,
    scale,
    defines: workload.defines,
    draw: pbFromDraw(values, options.seed),
    maxTries: workload.maxTries,
    cache: () => runtime.cache(),
    keyNamespace: namespace,
    ttlSeconds: options.ttlSeconds,
    signal: runtime.signal,
    ...(workload.driver === 'libpq' ? { connectLibpq: () => LibpqSession.connect(database, runtime.config.connectTimeoutMs) } : {}),
    ...(owner ? { indexOwnership: { owner } } : {}),
    ...(hooks.onStep ? { onStep: hooks.onStep } : {}),
    ...(http ? { http: { baseUrl: http.baseUrl } } : {}),
    // bench --replica-url: read-only scripts on the replicas, scripts that write on the primary.
    ...(replicas ? { replicas: { readServers: replicas.readServers, primaryLabel: replicas.primaryLabel, catchUp: () => replicas.catchUp() } } : {}),
  };
  const paths = kinds.map((kind) => {
    const path = workloadPath(context, kind);
    runtime.defer(() => path.close());
    return path;
  });

  const environment: Environment = {
    ...(await machineEnvironment(admin, backend)),
    dataset: version,
    workload: {
      scripts: scripts.map((s) => ({ name: s.name, weight: s.weight, statements: s.statements.length })),
      scale,
      defines: workload.defines,
      maxTries: workload.maxTries,
      pbFrom: values.map((v) => ({ name: v.name, values: v.values.length, distribution: v.distribution })),
    },
  };
  if (http) environment.httpServer = options.http?.url === undefined ? 'in-process' : redactUrl(options.http.url);
  if (tier) {
    environment.cacheTier = tier.kind;
    environment.redis = tier.kind === 'in-process' ? tier.label : (await tier.info()).version;
  }
  const sequence: CategorySequence = { names: [], at: () => '' };
  const pathNames = kinds.map(workloadPathName);
  const threadContext: WorkloadThreadContext = {
    kind: 'workload', database, connectTimeoutMs: runtime.config.connectTimeoutMs, ...threadRedis(runtime.redisTarget, tier),
    keyNamespace: namespace, ttlSeconds: options.ttlSeconds, paths: pathNames, histogramBackend: backend,
    scripts, seed: options.seed, scale, defines: workload.defines, pbFrom: values, maxTries: workload.maxTries, kinds,
    ...(workload.driver ? { driver: workload.driver } : {}),
    ...(replicas ? { replicas: replicas.targets, primaryLabel: replicas.primaryLabel } : {}),
    ...(http ? { http: { baseUrl: http.baseUrl } } : {}),
  };
  return { ...(baseline ? { baseline } : {}), sequence, environment, paths, pathNames, notes, threadContext };
}

/**
 * The server the http paths time. At a URL (bench --http URL): checked now, so one that is
 * unreachable or does not serve the scripts' reads is one error line (exit 1). No URL: the scripts'
 * read statements served in-process on an ephemeral loopback port, as perfbench serve --workload
 * serves them, its fast routes on the run's cache tier under a namespace of the run's own, removed
 * afterwards (deferred before the server starts, so it runs after the server has drained).
 */
async function workloadHttpServer(runtime: Runtime, options: BenchOptions, scripts: readonly Script[], namespace: string, talk: BenchTalk):
  Promise<{ baseUrl: string; notes: string[]; warnings: string[] }> {
  const url = options.http?.url;
  if (url !== undefined) {
    talk.status(`checking ${redactUrl(url)}`);
    await checkWorkloadServer(url, scripts).catch((error: Error) => {
      throw new UserError(`--http: ${error.message.replace(/\s+/g, ' ').trim()}`);
    });
    return { baseUrl: url, notes: [], warnings: [] };
  }
  talk.status('connecting to the cache');
  const tier = await runtime.cache();
  const serverNamespace = `${namespace}-http`;
  const prefix = reportKey(serverNamespace, '');
  runtime.defer(async () => {
    if (options.keepCache) runtime.out.say(`kept the in-process server's keys under ${prefix}* (TTL ${options.ttlSeconds} s)`);
    else await tier.deletePrefix(prefix);
  });
  talk.status('starting perfbench serve --workload in-process');
  const running = await serveScripts(runtime, scripts, {
    port: 0, host: '127.0.0.1', ttlSeconds: options.ttlSeconds, poolSize: DEFAULT_POOL_SIZE, label: 'the workload', namespace: serverNamespace, cache: tier,
  });
  talk.say(`started perfbench serve --workload on ${running.url} for the http paths (cache ${tier.label})`);
  return {
    baseUrl: running.url,
    notes: ["the http paths timed a server inside perfbench's own process (one event loop and CPU for client and server); " +
      'to time a separate one, start `perfbench serve --workload FILE` and pass its URL to --http'],
    warnings: tier.kind === 'in-process' ? [`http-fast ran against the in-process cache tier (${tier.label}): its figures say nothing about Redis`] : [],
  };
}

/**
 * An index= path's candidate with its table and columns as the catalog has them (schema-qualified:
 * the index lands, and is recorded, in the table's schema), and --concurrently applied. A table or
 * column that does not exist is a usage error naming the path.
 */
async function resolveCandidate(client: pg.ClientBase, index: CandidateIndex, workload: WorkloadOptions): Promise<CandidateIndex> {
  const hint = `fix --paths index=${index.expression}: name an existing table and its columns`;
  const table = await resolveTable(client, index.table, hint).catch((error: unknown) => {
    throw error instanceof UserError ? usageError(`--paths index=${index.expression}: ${error.message}`, hint) : error;
  });
  const columns: Identifier[] = [];
  for (const column of index.columns) {
    columns.push(await resolveColumn(client, table, column).catch((error: unknown) => {
      throw error instanceof UserError ? usageError(`--paths index=${index.expression}: ${error.message}`, hint) : error;
    }));
  }
  return {
    ...index,
    table,
    columns,
    tableSql: table.sql,
    columnsSql: columns.map((c) => c.sql).join(', '),
    nameSql: table.schema === undefined ? quote(index.name) : `${quote(table.schema)}.${quote(index.name)}`,
    concurrently: Boolean(workload.concurrently),
  };
}

/** Each \pb_from source's distinct values, once (the first script that names a variable defines it). */
export async function loadPbFromValues(client: Parameters<typeof columnValues>[0], scripts: readonly Script[], status: (text: string) => void): Promise<PbFromValues[]> {
  const loaded = new Map<string, PbFromValues>();
  for (const script of scripts) {
    for (const source of script.pbFrom) {
      if (loaded.has(source.name)) continue;
      status(`reading the values of ${source.relation.text}.${source.column.text}`);
      let values: string[];
      try {
        values = await columnValues(client, { table: source.relation, column: source.column }, MAX_PB_FROM_VALUES);
      } catch (error) {
        throw usageError(`${script.name}:${source.line}: \\pb_from ${source.name}: cannot read ${source.relation.text}.${source.column.text} (${firstLine((error as Error).message)})`,
          'name an existing table and column');
      }
      if (values.length === 0) {
        throw usageError(`${script.name}:${source.line}: \\pb_from ${source.name}: ${source.relation.text}.${source.column.text} has no values`, 'draw from a filled column');
      }
      loaded.set(source.name, { name: source.name, values, distribution: source.distribution, skew: source.skew });
    }
  }
  return [...loaded.values()];
}
