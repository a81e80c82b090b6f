/**
 * Use case (bench, prepare phase): everything a run needs before the first timed operation, each
 * step its own function: the baseline (read first: a bad one fails before minutes of measuring),
 * the dataset and workload, the value sequence, the index for the run, the cache tier, the HTTP
 * server, the environment fingerprint and the paths. Each step defers its own undo.
 */
import { randomBytes } from 'node:crypto';
import { cpus, platform, release } from 'node:os';
import type pg from 'pg';
import { keyNamespace, reportKey } from '../cache/report-cache.js';
import type { CacheTier } from '../cache/tier.js';
import { columnValues, serverSettings } from '../db/bench-queries.js';
import { connectClient } from '../db/connection.js';
import { listIndexes } from '../db/indexes.js';
import { datasetVersion, readDataset } from '../db/products.js';
import { interruptedError, UserError, usageError } from '../errors.js';
import { initHistograms } from '../measure/histogram.js';
import type { BenchResult, Environment, RunOptionsRecord } from '../measure/result.js';
import { redactUrl } from '../redact.js';
import type { Runtime } from '../runtime.js';
import { httpTarget } from '../targets/http.js';
import type { BenchPath, HttpServerInfo, PathContext, PathDefinition } from '../targets/path.js';
import { pathDefinition } from '../targets/registry.js';
import { REPORT_DEFAULTS } from '../workload/report.js';
import { categorySequence, valuesSequence, type CategorySequence } from '../workload/sequence.js';
import type { FilterTarget, ValueDraw, Workload } from '../workload/workload.js';
import type { BenchOptions } from './bench-options.js';
import { threadRedis, type ThreadContext } from './bench-threads.js';
import { ensureDataset } from './dataset.js';
import { describeDataset, notDefaultDatasetWarning } from './dataset-description.js';
import { reconcileIndexes } from './index-ownership.js';
import { ensureRunIndex } from './indexes.js';
import { DEFAULT_POOL_SIZE, startServe } from './report-server.js';
import { readResultFile } from './result-file.js';
import type { ReplicaSession } from './replicas.js';
import { acquireTableLease } from './table-lease.js';
import { openWorkload } from './workload.js';
import { requireDataset, requireRunIndex } from './shard-prepare.js';

/** Filter values read from a table perfbench did not seed (bounds the cache fill too). */
const MAX_VALUES = 10_000;

/** How the phases talk: spinner status, lines, and warnings (kept for the outcome). */
export interface BenchTalk {
  status(text: string): void;
  say(line: string): void;
  warn(line: string): void;
  readonly warnings: string[];
}

/** A run ready to measure. */
export interface PreparedBench {
  baseline?: BenchResult;
  workload: Workload;
  sequence: CategorySequence;
  environment: Environment;
  paths: BenchPath[];
  /** Notes that go into the result (which cache tier, which server…). */
  notes: string[];
  /** What worker threads build the same paths from (bench --workers N). */
  threadContext: ThreadContext;
}

export async function prepareBench(runtime: Runtime, options: BenchOptions, talk: BenchTalk, replicas?: ReplicaSession): Promise<PreparedBench> {
  const stopIfAborted = (what: string) => {
    if (runtime.signal.aborted) throw interruptedError(`${what}; nothing was measured`);
  };
  const baseline = options.baseline === undefined ? undefined : await readResultFile(options.baseline, '--baseline');
  const backend = await initHistograms();
  const definitions = options.paths.map((name) => pathDefinition(name)!);
  // A server at a URL is checked before anything is prepared: unreachable is one line, nothing changed.
  const serverUrl = definitions.some((d) => d.needsServer) ? options.http?.url : undefined;
  if (serverUrl !== undefined) await checkServer(serverUrl, runtime.config.connectTimeoutMs, talk.status);

  talk.status('connecting to PostgreSQL');
  const admin = await runtime.client();
  // Runs on one table take turns (table-lease.ts): taken before the dataset, which bench may seed.
  // The shards of one run share the table (a shared lock) and change nothing on it (shard-prepare.ts).
  const lease = await acquireTableLease(runtime, options.table, 'bench', options.lock, talk, options.shard ? 'shared' : 'exclusive');
  if (options.shard) await requireDataset(admin, options.table);
  else await ensureDataset(runtime, admin, options.table, talk);
  stopIfAborted('stopped while preparing the dataset');
  const workload = await openWorkload(admin, { table: options.table, column: options.column });
  // From here on the table and column as the catalog resolved them (schema-qualified, typed).
  const { filter } = workload;
  const sequence = await valueSequence(admin, filter, options);
  const fingerprint = await datasetVersion(admin, filter.table);
  const dataset = await describeDataset(admin, filter, { fingerprint, distinctValues: sequence.names.length, valuesCap: MAX_VALUES });
  const notDefault = notDefaultDatasetWarning(dataset, options.table.text === REPORT_DEFAULTS.table && options.column.text === REPORT_DEFAULTS.column);
  if (notDefault) talk.warn(notDefault);
  // What crashed runs left on the table (an index a killed bench never dropped) goes first; not by a
  // shard, which changes nothing while the other shards of its run measure.
  if (!options.shard) await reconcileIndexes(admin, filter.table, talk.say);

  if (options.shard && definitions.some((d) => d.needsIndex)) await requireRunIndex(admin, filter);
  else if (definitions.some((d) => d.needsIndex)) {
    await ensureRunIndex(runtime, admin, filter, lease, { keep: options.keepIndex, status: talk.status, say: talk.say });
    stopIfAborted('stopped after preparing the index');
  }
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const namespace = keyNamespace(fingerprint, filter.table.text, filter.column.text, `bench-${runId}`);
  const notes: string[] = [];
  const noteAndWarn = (line: string) => {
    notes.push(line);
    talk.warn(line);
  };
  let tier = definitions.some((d) => d.needsCache) ? await prepareCache(runtime, options, namespace, talk, noteAndWarn) : undefined;
  let http: HttpServerInfo | undefined;
  if (definitions.some((d) => d.needsServer)) {
    const prepared = await prepareHttp(runtime, options, namespace, talk);
    http = prepared.server;
    tier ??= prepared.tier;
    notes.push(...prepared.notes);
    prepared.warnings.forEach(noteAndWarn);
    stopIfAborted('stopped while starting the server');
  }

  const environment = await describeEnvironment(admin, filter, { fingerprint, backend, tier });
  environment.datasetInfo = dataset;
  if (http) environment.httpServer = options.http?.url === undefined ? 'in-process' : redactUrl(options.http.url);
  const database = await runtime.database();
  const context: PathContext = {
    connect: () => connectClient(database, runtime.config.connectTimeoutMs),
    workload, sequence, cache: () => runtime.cache(), keyNamespace: namespace, ttlSeconds: options.ttlSeconds, signal: runtime.signal,
    ...(http ? { http } : {}),
    // bench --replica-url: the paths' reads go to the replicas; writes, DDL and bookkeeping stay on the primary.
    ...(replicas ? { readServers: replicas.readServers } : {}),
  };
  const threadContext: ThreadContext = {
    database, connectTimeoutMs: runtime.config.connectTimeoutMs,
    ...threadRedis(runtime.redisTarget, tier),
    filter, values: sequence.names, draw: sequenceDraw(options), keyNamespace: namespace, ttlSeconds: options.ttlSeconds,
    // A server sharing an in-process tier cannot share it with other threads: to them it is a server at a URL.
    ...(http ? { http: tier?.kind === 'in-process' ? { baseUrl: http.baseUrl } : http } : {}),
    paths: options.paths, histogramBackend: backend,
    ...(replicas ? { replicas: replicas.targets } : {}),
  };
  return { ...(baseline ? { baseline } : {}), workload, sequence, environment, paths: createPaths(runtime, definitions, context), notes, threadContext };
}

/** The paths of the run; each one's close() is deferred, so connections and keys go with the run. */
function createPaths(runtime: Runtime, definitions: readonly PathDefinition[], context: PathContext): BenchPath[] {
  return definitions.map((definition) => {
    const path = definition.create(context);
    runtime.defer(() => path.close());
    return path;
  });
}

/** The cache tier for the cache paths; the run's keys are removed afterwards unless --keep-cache. */
async function prepareCache(runtime: Runtime, options: BenchOptions, keyNamespace: string, talk: BenchTalk,
  noteAndWarn: (line: string) => void): Promise<CacheTier> {
  talk.status('connecting to the cache');
  const tier = await runtime.cache();
  if (tier.kind === 'in-process') noteAndWarn(`the cache paths ran against the in-process tier (${tier.label}): their figures say nothing about Redis`);
  const prefix = reportKey(keyNamespace, '');
  runtime.defer(async () => {
    if (options.keepCache) {
      runtime.out.say(`kept the report keys under ${prefix}* (TTL ${options.ttlSeconds} s)`);
      return;
    }
    await tier.deletePrefix(prefix);
  });
  return tier;
}

/**
 * The server the HTTP paths time. At a URL: checked once (GET /healthz), so an unreachable server is
 * one error line (exit 1) rather than a table of failed operations; its cache keys are its own.
 * No URL: `perfbench serve` started in-process on an ephemeral loopback port over the run's table,
 * column and TTL, with a cache-key namespace of the run's own, removed afterwards (the removal is
 * deferred before the server starts, so it runs after the server has drained: nothing writes later).
 */
async function prepareHttp(runtime: Runtime, options: BenchOptions, keyNamespace: string, talk: BenchTalk):
  Promise<{ server: HttpServerInfo; tier?: CacheTier; notes: string[]; warnings: string[] }> {
  const url = options.http?.url;
  if (url !== undefined) return { server: { baseUrl: url }, notes: [], warnings: [] };
  talk.status('connecting to the cache');
  const tier = await runtime.cache();
  const namespace = `${keyNamespace}-http`;
  const prefix = reportKey(namespace, '');
  runtime.defer(async () => {
    if (options.keepCache) {
      runtime.out.say(`kept the in-process server's report keys under ${prefix}* (TTL ${options.ttlSeconds} s)`);
      return;
    }
    await tier.deletePrefix(prefix);
  });
  talk.status('starting perfbench serve in-process');
  const running = await startServe(runtime, {
    port: 0,
    host: '127.0.0.1',
    table: options.table,
    column: options.column,
    ttlSeconds: options.ttlSeconds,
    // As `perfbench serve`'s default; the fast route's pool only serves misses, and connects lazily.
    poolSize: DEFAULT_POOL_SIZE,
    namespace,
    slowWithoutIndex: true,
  });
  talk.say(`started perfbench serve on ${running.url} for the http paths (cache ${running.cacheLabel}; /report/slow without index scans)`);
  const notes = ["the http paths timed a server inside perfbench's own process (one event loop and CPU for client and server); " +
    'to time a separate one, start `perfbench serve` and pass its URL to --http'];
  const warnings = tier.kind === 'in-process'
    ? [`http-fast ran against the in-process cache tier (${tier.label}): its figures say nothing about Redis`]
    : [];
  return { server: { baseUrl: running.url, namespace }, tier, notes, warnings };
}

/** GET /healthz of the server at `url`: a runtime error (exit 1, one line) unless it answers 200. */
async function checkServer(url: string, timeoutMs: number, status: (text: string) => void): Promise<void> {
  status(`checking ${redactUrl(url)}`);
  const probe = httpTarget({ baseUrl: url, route: 'fast', connections: 1, timeoutMs });
  try {
    await probe.setup!();
  } catch (error) {
    throw new UserError(`--http: ${(error as Error).message.replace(/\s+/g, ' ').trim()}`);
  } finally {
    await probe.teardown!();
  }
}

/**
 * The values the operations ask for. A table perfbench seeded has categories `cat-…` (known from
 * its metadata); for another table (or another filter column), the column's distinct values.
 */
async function valueSequence(client: pg.ClientBase, filter: FilterTarget, options: BenchOptions): Promise<CategorySequence> {
  const draw = sequenceDraw(options);
  const seeded = await readDataset(client, filter.table);
  if (seeded && filter.column.name === REPORT_DEFAULTS.column) return categorySequence({ categories: seeded.parameters.categories, ...draw });
  const values = await columnValues(client, filter, MAX_VALUES);
  if (values.length === 0) throw usageError(`column ${filter.column.text} of ${filter.table.text} has no values`, 'pass --column with a filled column');
  return valuesSequence(values, draw);
}

/** How the run draws its values: the same on every thread and machine. */
function sequenceDraw(options: BenchOptions): ValueDraw {
  return { distribution: options.distribution, seed: options.seed, ...(options.skew !== undefined ? { skew: options.skew } : {}) };
}

/** The machine and server a run measured on: what every result's environment starts with. */
export async function machineEnvironment(client: pg.ClientBase, histogramBackend: string): Promise<Environment> {
  const server = await serverSettings(client);
  const cpu = cpus();
  return {
    node: process.version,
    postgres: server.version,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cpus: cpu.length,
    os: `${platform()} ${release()}`,
    settings: server.settings,
    histogramBackend,
  };
}

async function describeEnvironment(client: pg.ClientBase, filter: FilterTarget,
  facts: { fingerprint: string; backend: string; tier: CacheTier | undefined }): Promise<Environment> {
  const indexes = await listIndexes(client, filter.table);
  const environment: Environment = {
    ...(await machineEnvironment(client, facts.backend)),
    dataset: facts.fingerprint,
    table: filter.table.text,
    column: filter.column.text,
    indexes: indexes.filter((i) => i.valid).map((i) => `${i.name} (${i.method} on ${i.columns.join(', ')})`).sort(),
  };
  if (facts.tier) {
    environment.cacheTier = facts.tier.kind;
    environment.redis = facts.tier.kind === 'in-process' ? facts.tier.label : (await facts.tier.info()).version;
  }
  return environment;
}

export function optionsRecord(options: BenchOptions, sequence: CategorySequence): RunOptionsRecord {
  const record: RunOptionsRecord = {
    mode: options.ratePerSec !== undefined ? 'open' : 'closed',
    concurrency: options.concurrency,
    warmupMs: options.warmupMs,
    trials: options.trials,
    distribution: options.distribution,
    seed: options.seed,
    categories: sequence.names.length,
    paths: options.paths,
    ttlSeconds: options.ttlSeconds,
  };
  if (options.durationMs !== undefined) record.durationMs = options.durationMs;
  if (options.iterations !== undefined) record.iterations = options.iterations;
  if (options.ratePerSec !== undefined) record.ratePerSec = options.ratePerSec;
  if (options.skew !== undefined) record.skew = options.skew;
  return record;
}
