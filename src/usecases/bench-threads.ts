/**
 * Use case (bench --workers N): N worker threads generate the load of one run together. Each thread
 * builds the run's paths afresh (bench-thread.ts) over connections of its own (its own PostgreSQL
 * connections, Redis client and HTTP agent), runs its share of the concurrency (or of the rate)
 * and its interleaved slice of the value sequence, and sends its result back with the histogram
 * encoded; the results are then added exactly (thread-merge.ts).
 *
 * The threads move in step, so the sum describes one run: each waits, before its warm-up and
 * again before its measured phase, until every thread got there (or finished: a failed setup ends
 * a thread's run early); and each asks its paths for their findings (plans, cache counters) only
 * once every thread has finished measuring, so a counter read then covers every thread's operations.
 *
 * A thread that dies (an uncaught error, an exit, running out of memory) fails the run with one
 * line naming the thread; the others are stopped. Ctrl-C aborts every thread's run, which then
 * returns what it measured.
 */
import { startLoadWorker, type LoadWorker, type LoadWorkerKind } from '../load-worker.js';
import type { ConnectionTarget } from '../db/connection.js';
import type { ReplicaTarget } from './replicas.js';
import type { RedisConfig } from '../config.js';
import type { CacheKind } from '../cache/tier.js';
import { firstLine, UserError } from '../errors.js';
import type { HistogramBackend } from '../measure/histogram.js';
import type { PathResult } from '../measure/result.js';
import type { LoopPhase, ProgressEvent, RunOptions } from '../measure/runner.js';
import { combineThreads } from '../measure/thread-merge.js';
import type { HttpServerInfo, RunFindings } from '../targets/path.js';
import { combineFindings } from '../targets/thread-findings.js';
import type { WorkloadPathKind } from '../targets/workload-path.js';
import type { PbFromValues } from '../workload/pb-from-draw.js';
import type { Script } from '../workload/pgbench/index.js';
import type { ValueDraw, FilterTarget } from '../workload/workload.js';

/** What every thread builds its paths from: plain data, copied to the thread when it starts. */
interface ThreadCommon {
  database: ConnectionTarget;
  connectTimeoutMs: number;
  /** bench --replica-url: the replicas each thread's read paths go to (round-robin per operation). */
  replicas?: ReplicaTarget[];
  /** The Redis the run's cache tier talks to; absent: the in-process tier (each thread then has its own). */
  redis?: { config: RedisConfig; kind: Exclude<CacheKind, 'in-process'> };
  keyNamespace: string;
  ttlSeconds: number;
  /** The run's paths, by name (the registry's, or a workload path's). */
  paths: readonly string[];
  histogramBackend: HistogramBackend;
}

/** The report's paths (the registry's seq, index, cache…). */
export interface ReportThreadContext extends ThreadCommon {
  kind?: 'report';
  /** The workload's table and column as the catalog resolved them (the thread rebuilds the report from it). */
  filter: FilterTarget;
  /** The filter column's values and the draw over them: every thread rebuilds the same sequence. */
  values: readonly string[];
  draw: ValueDraw;
  http?: HttpServerInfo;
}

/**
 * bench --workload: the scripts (a parsed Script is plain data, copied as it is), their variables'
 * sources, and the paths' kinds; each thread plans execution i from i alone, as one process does.
 * An index= path's candidate index is built and dropped by the process around each run, once for
 * all threads (bench-measure.ts runOnThreads); the threads time it and check their plans against it.
 */
export interface WorkloadThreadContext extends ThreadCommon {
  kind: 'workload';
  scripts: readonly Script[];
  seed: number;
  scale: number;
  defines: Readonly<Record<string, string>>;
  pbFrom: readonly PbFromValues[];
  maxTries: number;
  kinds: readonly WorkloadPathKind[];
  /** bench --driver libpq: the statements run on libpq sessions, one client per worker process. */
  driver?: 'libpq';
  /** With replicas: the primary's label in the per-server figures. */
  primaryLabel?: string;
  /** bench --http: the perfbench serve --workload the http paths send the read statements to. */
  http?: { baseUrl: string };
}

export type ThreadContext = ReportThreadContext | WorkloadThreadContext;

/** A ThreadContext's `redis`: the run's Redis when its tier is one (an in-process tier cannot leave its thread). */
export function threadRedis(redisTarget: RedisConfig | undefined, tier: { kind: CacheKind } | undefined): Pick<ThreadCommon, 'redis'> {
  return redisTarget && tier && tier.kind !== 'in-process' ? { redis: { config: redisTarget, kind: tier.kind } } : {};
}

/** What the thread `thread` of `threads` is started with. */
export type ThreadData = ThreadContext & {
  thread: number;
  threads: number;
};

/**
 * One thread's part of a run: the runner's options without what stays on the main thread (the
 * sequence, rebuilt by each thread; the signal; progress, which comes back as messages), and the
 * process's place in the run's sequence (a shard's slice; absent: every operation).
 */
export type ThreadRunPlan = Pick<RunOptions, 'concurrency' | 'durationMs' | 'iterations' | 'warmupMs' | 'warmupIterations' | 'ratePerSec'> & {
  /** The process's concurrency, of which `concurrency` is this thread's share. */
  runConcurrency: number;
  trial: number;
  /** The thread asks for operations offset, offset + stride, offset + 2·stride… of the run's sequence. */
  offset: number;
  stride: number;
};

/** Thread `thread`'s share of a whole-number `total` (clients, iterations): as even as whole numbers allow, adding up to `total`. */
export function shareOf(total: number, thread: number, threads: number): number {
  return Math.floor(total / threads) + (thread < total % threads ? 1 : 0);
}

/** Threads, or processes for the libpq driver (a native addon Node.js loads in a main thread only). */
export function workerKind(context: ThreadContext): LoadWorkerKind {
  return context.kind === 'workload' && context.driver === 'libpq' ? 'process' : 'thread';
}

/** Messages to a thread. */
export type ToThread =
  | { type: 'run'; id: number; path: string; plan: ThreadRunPlan; progress: boolean }
  | { type: 'go'; id: number; phase: LoopPhase }
  | { type: 'findings'; id: number }
  | { type: 'check-plan'; id: number; path: string }
  | { type: 'abort' }
  | { type: 'close' };

/** Messages from a thread. */
export type FromThread =
  | { type: 'ready' }
  | { type: 'at'; id: number; phase: LoopPhase }
  | { type: 'progress'; id: number; event: ProgressEvent }
  | { type: 'measured'; id: number }
  | { type: 'result'; id: number; result: PathResult; findings: RunFindings }
  | { type: 'plan'; id: number; findings?: RunFindings; error?: string }
  | { type: 'closed' };

/** How far a thread got in the current run; the order matters (a barrier opens once every thread is at or past it). */
const STAGES = ['started', 'warmup', 'measure', 'measured'] as const;
type Stage = (typeof STAGES)[number];
const stageRank = (stage: Stage): number => STAGES.indexOf(stage);

/** A bound on a thread's orderly close (its connections ended); after it, the thread is terminated. */
const CLOSE_TIMEOUT_MS = 5_000;

interface ThreadHandle {
  worker: LoadWorker;
  index: number;
  stage: Stage;
  /** The latest progress event of the current run. */
  progress?: ProgressEvent;
}

/** One pending answer: the message that resolves it, per thread. */
type Waiter = { id: number; type: FromThread['type']; resolve: (message: FromThread) => void };

export class LoadThreads {
  private readonly threads: ThreadHandle[] = [];
  private readonly waiters = new Map<number, Waiter[]>();
  private nextId = 1;
  private failure: Error | undefined;
  private readonly failed: Promise<never>;
  private fail!: (error: Error) => void;
  private closing = false;
  private released = new Set<LoopPhase>();
  private runId = 0;
  private onProgress: ((event: ProgressEvent) => void) | undefined;
  private beforePhase: RunOptions['beforePhase'];
  /** Rejects the current run when its `beforePhase` failed. */
  private hookFailed: (error: unknown) => void = () => undefined;
  private stopListening = (): void => undefined;

  private constructor(private readonly kind: LoadWorkerKind) {
    this.failed = new Promise<never>((_, reject) => {
      this.fail = (error) => {
        if (this.failure) return;
        this.failure = error;
        reject(error);
      };
    });
    // Awaited only through races: without this a crash between runs would be an unhandled rejection.
    this.failed.catch(() => undefined);
  }

  /**
   * Starts `count` threads over `context` and waits until each has built its paths. With the libpq
   * driver they are child processes instead (load-worker.ts says why); everything else is the same.
   */
  static async start(context: ThreadContext, count: number, signal: AbortSignal, entryModule?: URL): Promise<LoadThreads> {
    const pool = new LoadThreads(workerKind(context));
    // The compiled module beside this one, or its .ts source through tsx (see startWorker); `entryModule`: another module, for tests.
    const entry = entryModule ?? new URL('./bench-thread.js', import.meta.url);
    for (let thread = 0; thread < count; thread++) {
      const workerData: ThreadData = { ...context, thread, threads: count };
      const worker = startLoadWorker(entry, pool.kind, workerData);
      pool.watch({ worker, index: thread, stage: 'measured' }, count);
    }
    const abort = () => pool.broadcast({ type: 'abort' });
    signal.addEventListener('abort', abort, { once: true });
    pool.stopListening = () => signal.removeEventListener('abort', abort);
    await pool.race(Promise.all(pool.threads.map((t) => pool.expect(t, 'ready', 0))));
    return pool;
  }

  get count(): number {
    return this.threads.length;
  }

  /**
   * One run of `path` with the process's `options` (its whole concurrency, iterations and rate),
   * split over the threads: the threads' results added into one, and their paths' findings as one.
   */
  async run(path: string, options: RunOptions): Promise<{ result: PathResult; findings: RunFindings }> {
    const id = this.nextId++;
    this.runId = id;
    this.released.clear();
    this.onProgress = options.onProgress;
    const n = this.threads.length;
    for (const t of this.threads) {
      t.stage = 'started';
      delete t.progress;
    }
    this.beforePhase = options.beforePhase;
    const hookFailure = new Promise<never>((_, reject) => (this.hookFailed = reject));
    hookFailure.catch(() => undefined);
    const measured = Promise.race([Promise.all(this.threads.map((t) => this.expect(t, 'measured', id))), hookFailure]);
    const slice = options.slice ?? { offset: 0, stride: 1 };
    for (const t of this.threads) {
      const plan: ThreadRunPlan = {
        concurrency: shareOf(options.concurrency, t.index, n),
        runConcurrency: options.concurrency,
        ...(options.iterations !== undefined ? { iterations: shareOf(options.iterations, t.index, n) } : { durationMs: options.durationMs! }),
        ...(options.warmupMs !== undefined ? { warmupMs: options.warmupMs } : {}),
        ...(options.warmupIterations !== undefined ? { warmupIterations: shareOf(options.warmupIterations, t.index, n) } : {}),
        ...(options.ratePerSec !== undefined ? { ratePerSec: options.ratePerSec / n } : {}),
        trial: options.trial ?? 1,
        // Thread t takes every n-th of the process's operations, from its t-th.
        offset: slice.offset + t.index * slice.stride,
        stride: slice.stride * n,
      };
      this.send(t, { type: 'run', id, path, plan, progress: options.onProgress !== undefined });
    }
    await this.race(measured);
    // Every thread has finished measuring: counters read now cover all of their operations.
    const answers = Promise.all(this.threads.map((t) => this.expect(t, 'result', id)));
    this.broadcast({ type: 'findings', id });
    const parts = (await this.race(answers)) as Array<Extract<FromThread, { type: 'result' }>>;
    this.onProgress = undefined;
    const cpuClock = this.kind === 'process' ? 'per-worker' : 'shared';
    return { result: combineThreads(parts.map((p) => p.result), options.concurrency, cpuClock), findings: combineFindings(parts.map((p) => p.findings)) };
  }

  /** The end-of-run plan check of `path`, made by the first thread (the plan is the table's, not the thread's). */
  async checkPlan(path: string): Promise<RunFindings> {
    const id = this.nextId++;
    const first = this.threads[0]!;
    const answer = this.expect(first, 'plan', id);
    this.send(first, { type: 'check-plan', id, path });
    const { findings, error } = (await this.race(answer)) as Extract<FromThread, { type: 'plan' }>;
    if (error !== undefined || !findings) throw new Error(error ?? 'no answer');
    return findings;
  }

  /** Closes every thread's paths (connections, trackers), then ends the threads; idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.stopListening();
    const closed = new Set<ThreadHandle>();
    const answers = this.failure ? [] : this.threads.map((t) => this.expect(t, 'closed', 0).then(() => closed.add(t)));
    this.broadcast({ type: 'close' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(answers).catch(() => undefined),
      this.failed.catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    await Promise.all(this.threads.map((t) => t.worker.terminate(closed.has(t)).catch(() => undefined)));
  }

  private watch(t: ThreadHandle, count: number): void {
    this.threads.push(t);
    const name = `worker ${this.kind} ${t.index + 1} of ${count}`;
    // The way to run without workers: one thread (--workers 1), or for the libpq driver one client (its processes are one per client).
    const alone = this.kind === 'thread' ? '--workers 1' : '--concurrency 1';
    t.worker.on('message', (message: FromThread) => this.receive(t, message));
    t.worker.on('error', (error: Error) => {
      this.crashed(new UserError(`${name} crashed: ${firstLine(error.message || error.name)}`, `the run stopped; run again, or with ${alone} to see the error in this process`));
    });
    t.worker.on('exit', (code) => {
      if (this.closing) return;
      this.crashed(new UserError(`${name} exited unexpectedly (exit code ${code})`, `the run stopped; run again, or with ${alone}`));
    });
  }

  private crashed(error: Error): void {
    if (this.failure) return;
    this.fail(error);
    // The others stop at once: their results would be part of a run that can no longer be summed.
    for (const t of this.threads) void t.worker.terminate().catch(() => undefined);
  }

  private receive(t: ThreadHandle, message: FromThread): void {
    if (message.type === 'at' || message.type === 'measured') {
      if (message.id === this.runId) {
        t.stage = message.type === 'at' ? message.phase : 'measured';
        this.openBarriers();
      }
    } else if (message.type === 'progress') {
      if (message.id === this.runId) {
        t.progress = message.event;
        this.reportProgress(message.event);
      }
      return;
    }
    const waiters = this.waiters.get(t.index) ?? [];
    const at = waiters.findIndex((w) => w.type === message.type && ('id' in message ? w.id === message.id : true));
    if (at < 0) return;
    const [waiter] = waiters.splice(at, 1);
    waiter!.resolve(message);
  }

  /**
   * A barrier opens when every thread is at it or past it (finished: a failed setup skips the
   * phases); the run's own `beforePhase` (a shard's start gate) is awaited first, here, once for all
   * threads. A failure of that hook fails the run.
   */
  private openBarriers(): void {
    for (const phase of ['warmup', 'measure'] as const) {
      if (this.released.has(phase)) continue;
      if (!this.threads.every((t) => stageRank(t.stage) >= stageRank(phase))) return;
      this.released.add(phase);
      const id = this.runId;
      const go = () => {
        for (const t of this.threads) if (t.stage === phase && id === this.runId) this.send(t, { type: 'go', id, phase });
      };
      const hook = this.beforePhase;
      if (!hook) go();
      else void hook(phase).then(go, (error: unknown) => this.hookFailed(error));
      // The next barrier waits for this one's go: no thread can be past it before then.
      return;
    }
  }

  /** The threads' progress added up: one event for the spinner, as one process would report it. */
  private reportProgress(latest: ProgressEvent): void {
    if (!this.onProgress) return;
    const events = this.threads.map((t) => t.progress).filter((e): e is ProgressEvent => e !== undefined);
    this.onProgress({
      ...latest,
      concurrency: events.reduce((a, e) => a + e.concurrency, 0),
      ops: events.reduce((a, e) => a + e.ops, 0),
      errors: events.reduce((a, e) => a + e.errors, 0),
      opsPerSec: events.reduce((a, e) => a + e.opsPerSec, 0),
      elapsedMs: Math.max(...events.map((e) => e.elapsedMs)),
      p99Us: Math.max(...events.map((e) => e.p99Us)),
    });
  }

  private expect(t: ThreadHandle, type: FromThread['type'], id: number): Promise<FromThread> {
    return new Promise((resolve) => {
      const list = this.waiters.get(t.index) ?? [];
      list.push({ id, type, resolve });
      this.waiters.set(t.index, list);
    });
  }

  /** `promise`, or the first crash of any thread, whichever comes first. */
  private race<T>(promise: Promise<T>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return Promise.race([promise, this.failed]);
  }

  private send(t: ThreadHandle, message: ToThread): void {
    if (this.failure) return;
    t.worker.postMessage(message);
  }

  private broadcast(message: ToThread): void {
    for (const t of this.threads) this.send(t, message);
  }
}
