/**
 * Use case (bench --workers N): the entry of one load-generating worker thread, or child process
 * with --driver libpq (started by bench-threads.ts). It builds the run's paths over connections of
 * its own: the report's from the registry, on the same value sequence as every other thread, or a
 * workload's from its scripts, which plan execution i from i alone. Then it runs what the main
 * thread asks: its share of a run, in step with the other threads, and that run's findings; the
 * plan check at the end; and, on close, lets go of its connections.
 */
// First, as in commands/bench.ts: a worker has a nextTick queue of its own to keep fast (see tick-shape.ts).
import '../tick-shape.js';
import type pg from 'pg';
import type { CacheTier } from '../cache/tier.js';
import { connectClient } from '../db/connection.js';
import { LibpqSession } from '../db/libpq-session.js';
import { parentChannel } from '../load-worker.js';
import { builtinReportWorkload } from '../db/report.js';
import { initHistograms } from '../measure/histogram.js';
import { runTarget, type LoopPhase, type RunOptions } from '../measure/runner.js';
import type { BenchPath, PathContext, ServerEndpoint } from '../targets/path.js';
import { pathDefinition } from '../targets/registry.js';
import { workloadPath, workloadPathName, type WorkloadContext } from '../targets/workload-path.js';
import { pbFromDraw } from '../workload/pb-from-draw.js';
import { valuesSequence, type CategorySequence } from '../workload/sequence.js';
import { findingsOf } from './bench-measure.js';
import type { FromThread, ReportThreadContext, ThreadData, ToThread, WorkloadThreadContext } from './bench-threads.js';
import { capYoungGeneration } from '../young-generation.js';

// A child process's young generation is capped as bench's own (a thread's is, by its resource limits).
capYoungGeneration();

// A worker thread, or a child process with bench --driver libpq (load-worker.ts).
const port = await parentChannel<ThreadData>();
const data = port.data;
const abort = new AbortController();
const post = (message: FromThread): void => port.post(message);

let tier: Promise<CacheTier> | undefined;
async function openTier(): Promise<CacheTier> {
  if (data.redis) {
    const { connectRedis } = await import('../cache/redis.js');
    return connectRedis(data.redis.config, data.connectTimeoutMs, data.redis.kind);
  }
  // The in-process tier cannot be shared between threads: each thread fills one of its own.
  const { MemoryCache } = await import('../cache/memory.js');
  return new MemoryCache();
}

await initHistograms(data.histogramBackend);
const connect = (): Promise<pg.Client> => connectClient(data.database, data.connectTimeoutMs);
const readServers = data.replicas?.map((r): ServerEndpoint => ({ label: r.label, role: 'replica', connect: () => connectClient(r.target, data.connectTimeoutMs) }));
const cache = (): Promise<CacheTier> => (tier ??= openTier());
const { sequence, paths } = data.kind === 'workload' ? workloadPaths(data) : reportPaths(data);

/** The report's paths from the registry, over the run's one value sequence. */
function reportPaths(report: ReportThreadContext): { sequence: CategorySequence; paths: Map<string, BenchPath> } {
  const sequence = valuesSequence(report.values, report.draw);
  const context: PathContext = {
    connect,
    workload: builtinReportWorkload(report.filter),
    sequence,
    cache,
    keyNamespace: report.keyNamespace,
    ttlSeconds: report.ttlSeconds,
    signal: abort.signal,
    ...(report.http ? { http: report.http } : {}),
    ...(readServers ? { readServers } : {}),
  };
  return { sequence, paths: new Map(report.paths.map((name) => [name, pathDefinition(name)!.create(context)])) };
}

/** A workload's paths: execution i planned from i alone, so every thread's share is the one process's. */
function workloadPaths(workload: WorkloadThreadContext): { sequence: CategorySequence; paths: Map<string, BenchPath> } {
  const context: WorkloadContext = {
    connect,
    scripts: workload.scripts,
    seed: workload.seed,
    scale: workload.scale,
    defines: workload.defines,
    draw: pbFromDraw(workload.pbFrom, workload.seed),
    maxTries: workload.maxTries,
    cache,
    keyNamespace: workload.keyNamespace,
    ttlSeconds: workload.ttlSeconds,
    signal: abort.signal,
    ...(workload.http ? { http: workload.http } : {}),
    ...(workload.driver === 'libpq' ? { connectLibpq: () => LibpqSession.connect(data.database, data.connectTimeoutMs) } : {}),
    // An index= path's candidate is built by the process around each run (and the replicas caught up there).
    sharedCandidate: true,
    ...(readServers ? { replicas: { readServers, primaryLabel: workload.primaryLabel ?? 'primary', catchUp: () => Promise.resolve() } } : {}),
  };
  return { sequence: { names: [], at: () => '' }, paths: new Map(workload.kinds.map((kind) => [workloadPathName(kind), workloadPath(context, kind)])) };
}

/** Resolvers of the barriers this thread waits at, and of the go-ahead for findings, by run id. */
const gates = new Map<string, () => void>();
const gate = (key: string): Promise<void> => new Promise((resolve) => gates.set(key, resolve));
const open = (key: string): void => {
  const resolve = gates.get(key);
  gates.delete(key);
  resolve?.();
};

async function run(message: Extract<ToThread, { type: 'run' }>): Promise<void> {
  const path = paths.get(message.path)!;
  const { plan, id } = message;
  const findingsAllowed = gate(`${id}:findings`);
  const options: RunOptions = {
    concurrency: plan.concurrency,
    ...(plan.iterations !== undefined ? { iterations: plan.iterations } : { durationMs: plan.durationMs! }),
    ...(plan.warmupMs !== undefined ? { warmupMs: plan.warmupMs } : {}),
    ...(plan.warmupIterations !== undefined ? { warmupIterations: plan.warmupIterations } : {}),
    ...(plan.ratePerSec !== undefined ? { ratePerSec: plan.ratePerSec } : {}),
    // The run's one sequence, this thread's slots of it (and, in an open loop, of its schedule).
    sequence,
    slice: { offset: plan.offset, stride: plan.stride },
    trial: plan.trial,
    signal: abort.signal,
    beforePhase: (phase: LoopPhase) => {
      const go = gate(`${id}:${phase}`);
      post({ type: 'at', id, phase });
      return go;
    },
    ...(message.progress ? { onProgress: (event) => post({ type: 'progress', id, event }) } : {}),
  };
  const result = await runTarget(path.target(plan.concurrency, plan.runConcurrency), options);
  post({ type: 'measured', id });
  await findingsAllowed;
  post({ type: 'result', id, result, findings: await findingsOf(path, result.interrupted) });
}

/** The end-of-run plan check; its failure goes back as a message, for the main thread to report as usual. */
async function checkPlan(id: number, path: BenchPath): Promise<void> {
  try {
    post({ type: 'plan', id, findings: path.checkPlan ? await path.checkPlan() : { notes: [], flags: [] } });
  } catch (error) {
    post({ type: 'plan', id, error: (error as Error).message || String(error) });
  }
}

async function close(): Promise<void> {
  for (const path of paths.values()) await path.close().catch(() => undefined);
  if (tier) await (await tier.catch(() => undefined))?.close().catch(() => undefined);
  post({ type: 'closed' });
  port.close();
}

port.onMessage((message: ToThread) => {
  switch (message.type) {
    case 'run':
      // An error escaping a run is a bug of the thread: uncaught, it ends the thread and the main
      // thread reports the crash (an operation's own error is counted by the runner, never thrown).
      void run(message).catch((error: unknown) => setImmediate(() => { throw error; }));
      break;
    case 'go':
      open(`${message.id}:${message.phase}`);
      break;
    case 'findings':
      open(`${message.id}:findings`);
      break;
    case 'check-plan':
      void checkPlan(message.id, paths.get(message.path)!);
      break;
    case 'abort':
      abort.abort();
      break;
    case 'close':
      void close();
      break;
  }
});
post({ type: 'ready' });
