/**
 * Use case: run a benchmark. `bench` times the workload through every path (seq, index, cache,
 * miss, noop, http…) on the same value sequence, and returns percentiles, speed-ups and the plans
 * the paths ran. It reads like the architecture: prepare -> measure -> summarize.
 *
 * The database is left as found: the index created for the run and the keys written are removed
 * by deferred cleanups, which run on success, on errors and after Ctrl-C.
 */
import { ExitCode } from '../errors.js';
import { formatInt } from '../report/format.js';
import { compareResult, type Comparison } from '../measure/compare.js';
import { gate, type GateReport } from '../measure/gate.js';
import { createResult, foldTrials, type BenchResult } from '../measure/result.js';
import { checkClientBoundByGroup } from '../measure/self-check.js';
import { renderGateText } from '../report/bench-gate.js';
import type { Runtime } from '../runtime.js';
import { measure } from './bench-measure.js';
import type { BenchHooks, BenchOptions } from './bench-options.js';

export type { BenchHooks } from './bench-options.js';
import { optionsRecord, prepareBench, type BenchTalk } from './bench-prepare.js';
import { LoadThreads, workerKind, type ThreadContext } from './bench-threads.js';
import { benchReplicas } from './replicas.js';
import { checkWorkloadDriver, prepareWorkloadBench, type WorkloadHooks } from './bench-workload.js';
import { checkStartAt, shardGate } from './shard-start.js';
import { shardRecord } from './shard-record.js';

export interface BenchOutcome {
  result: BenchResult;
  comparisons: Comparison[];
  gate?: GateReport;
  /** One-line warnings already told to the user (plans, client-bound, environment…). */
  warnings: string[];
  /** Ctrl-C stopped the run: the result holds what was measured. */
  interrupted: boolean;
}

/** Runs the benchmark and returns its result; never prints data (the caller publishes it). */
export async function bench(runtime: Runtime, options: BenchOptions, hooks: BenchHooks & WorkloadHooks = {}): Promise<BenchOutcome> {
  const talk = benchTalk(runtime, hooks);
  if (options.shard) checkStartAt(options.shard);
  // A workload (pgbench scripts) has its own preparation and paths; measuring and summarizing are shared.
  // Read replicas (--replica-url) are checked before anything is prepared, and caught up with the setup after.
  checkWorkloadDriver(options, runtime.config.replicaUrls);
  const replicas = await benchReplicas(runtime, options, talk);
  const prepared = options.workload ? await prepareWorkloadBench(runtime, options, talk, hooks, replicas) : await prepareBench(runtime, options, talk, replicas);
  await replicas?.start();
  if ('pathNames' in prepared) options = { ...options, paths: prepared.pathNames };
  const startGate = options.shard ? shardGate(runtime, options.shard, talk.say) : undefined;
  const threads = await startThreads(runtime, options, prepared.threadContext, talk);
  const results = await measure(prepared.paths, options, prepared.sequence, runtime.signal, hooks, talk.warn, startGate, threads);

  // Summarize: client-bound checks, speed-ups, and the gate against the baseline.
  const interrupted = runtime.signal.aborted || results.some((r) => r.interrupted);
  const checked = checkClientBoundByGroup(results);
  for (const line of checked.warnings) talk.warn(line);
  const record = optionsRecord(options, prepared.sequence);
  if (threads) record.workers = threads.count;
  if (options.workload) {
    record.workload = options.workload.scripts.map((s) => `${s.source === 'builtin' ? s.name : s.path}${s.weight === 1 ? '' : `@${s.weight}`}`).join(', ');
    record.maxTries = options.workload.maxTries;
    if (options.workload.driver) record.driver = options.workload.driver;
    delete record.categories;
  }
  const replication = interrupted ? undefined : await replicas?.finish();
  const result = createResult({ environment: prepared.environment, options: record, paths: checked.paths, notes: prepared.notes, ...(replication ? { replication } : {}) });
  // A shard's report says what it is from this record (report/bench-generators.ts), not in a note merge would repeat N times.
  if (options.shard) result.shard = shardRecord(options.shard);
  const outcome: BenchOutcome = { result, comparisons: compareResult(result), warnings: talk.warnings, interrupted };
  if (prepared.baseline && !interrupted) {
    outcome.gate = gate(result, prepared.baseline, { thresholdPct: options.thresholdPct });
    for (const line of outcome.gate.warnings) talk.warn(line);
  }
  return outcome;
}

/**
 * bench --workers N (N > 1): the threads that generate the load, each with the run's paths built
 * afresh; closed before the paths, the keys and the in-process server go (deferred last, run first).
 */
async function startThreads(runtime: Runtime, options: BenchOptions, context: ThreadContext, talk: BenchTalk): Promise<LoadThreads | undefined> {
  const count = options.workers ?? 1;
  if (count <= 1) return undefined;
  talk.status(`starting ${count} worker ${workerKind(context) === 'process' ? 'processes' : 'threads'}`);
  const threads = await LoadThreads.start(context, count, runtime.signal);
  runtime.defer(() => threads.close());
  return threads;
}

/** What bench says while it works: lines on stderr (around a spinner), warnings kept for the outcome. */
function benchTalk(runtime: Runtime, hooks: BenchHooks): BenchTalk {
  const around = hooks.aroundTalk ?? ((write: () => void) => write());
  const warnings: string[] = [];
  return {
    warnings,
    status: (text) => hooks.onStatus?.(text),
    say: (line) => around(() => runtime.out.say(line)),
    warn: (line) => {
      warnings.push(line);
      around(() => runtime.out.warn(line));
    },
  };
}

/** Flags of a cache path (cache-check.ts, http-path.ts) whose outcome the server did not confirm. */
const UNCONFIRMED_CACHE = new Set(['cache-hits-unverified', 'cache-misses-unverified']);

/** The exit code of a finished run, and the lines that say why it is not 0. */
export interface BenchVerdict {
  exitCode: ExitCode;
  lines: string[];
}

/**
 * Decides the exit code of a finished run (the caller prints the lines): interrupted (130);
 * operations failed, a path had no successful operation, a cache path's hits (misses) were not
 * confirmed, or a path's plan changed mid-run (1: the figures are incomplete, missing, not what the
 * path's name says, or mix two plans, and a gate verdict on them would mean nothing,
 * so this comes before the gate); the gate
 * tripped with --fail-if-slower (3).
 */
export function benchVerdict(outcome: BenchOutcome, failIfSlower: boolean): BenchVerdict {
  if (outcome.interrupted) {
    return { exitCode: ExitCode.interrupted, lines: ['interrupted: the figures cover what was measured before Ctrl-C; restoring the index and removing the keys'] };
  }
  const lines = outcome.gate ? renderGateText(outcome.gate).trimEnd().split('\n') : [];
  const failed = outcome.result.paths.filter((p) => p.errors > 0);
  if (failed.length > 0) {
    const errors = failed.reduce((total, p) => total + p.errors, 0);
    const names = [...new Set(failed.map((p) => p.name))].join(', ');
    lines.push(`perfbench: ${formatInt(errors)} operation${errors === 1 ? '' : 's'} failed (${names}); the figures above are incomplete — see the warnings, fix the cause and run again`);
  }
  // A path with no successful operation has no latency and no speed-up: no figures to pass on.
  const empty = [...new Set(foldTrials(outcome.result.paths).filter((p) => p.ops === 0 && p.kind !== 'noop').map((p) => p.name))];
  if (empty.length > 0) {
    lines.push(`perfbench: ${empty.join(', ')} had no successful operation, so no latency and no speed-up (shown as —); see the warnings`);
  }
  // A cache path whose hits (or misses) were not confirmed timed something other than its name says.
  const unconfirmed = [...new Set(outcome.result.paths.filter((p) => p.flags?.some((flag) => UNCONFIRMED_CACHE.has(flag))).map((p) => p.name))];
  if (unconfirmed.length > 0) {
    lines.push(`perfbench: the cache hits (or misses) of ${unconfirmed.join(', ')} were not confirmed, so they did not time only what their name says ` +
      '(see the "not confirmed" warning); keep other clients from flushing or evicting the keys, raise --ttl for long runs, and run again');
  }
  const changed = [...new Set(outcome.result.paths.filter((p) => p.flags?.includes('plan-changed')).map((p) => p.name))];
  if (changed.length > 0) {
    lines.push(`perfbench: the plan of ${changed.join(', ')} changed during the run; its figures mix two plans — see the PLAN CHANGED warning, ` +
      "keep other sessions from changing the table's indexes while perfbench runs, and run again");
  }
  if (failed.length > 0 || empty.length > 0 || unconfirmed.length > 0 || changed.length > 0) return { exitCode: ExitCode.failure, lines };
  return { exitCode: outcome.gate?.tripped && failIfSlower ? ExitCode.regression : ExitCode.ok, lines };
}
