/**
 * Use case (bench, measure phase): concurrency levels, then trials, then paths. Within a trial every
 * path runs once, one after the other (seq, index, cache, seq, index, cache…), so slow drift of the
 * machine hits every path alike and trial t of every path is a paired sample (compare.ts pairs
 * trials by number). After each run the path's findings (plan, cache check) join its result, and
 * when every run is done each DB path's plan is verified once more: a plan that changed after the
 * path's last trial still means the table was altered mid-bench (`plan-changed`). A path that lost
 * its connection (a server restart) records each outage's window and is flagged `connection-lost`.
 */
import { firstLine } from '../errors.js';
import { describeOutage } from '../report/bench-format.js';
import { formatInt } from '../report/format.js';
import type { PathResult } from '../measure/result.js';
import { runTarget, type ProgressEvent, type RunOptions } from '../measure/runner.js';
import { operationSlice, rateShare, shareOf } from '../measure/shard.js';
import type { BenchPath, RunFindings } from '../targets/path.js';
import type { CategorySequence } from '../workload/sequence.js';
import type { BenchHooks, BenchOptions } from './bench-options.js';
import type { LoadThreads } from './bench-threads.js';
import type { ShardGate } from './shard-start.js';

/** The flag of a path that lost its PostgreSQL connection during a run (`PathResult.outages` has the windows). */
export const CONNECTION_LOST = 'connection-lost';

export async function measure(paths: readonly BenchPath[], options: BenchOptions, sequence: CategorySequence, signal: AbortSignal,
  hooks: BenchHooks, warn: (line: string) => void, gate?: ShardGate, threads?: LoadThreads): Promise<PathResult[]> {
  const results: PathResult[] = [];
  const runs = options.concurrency.length * options.trials * paths.length;
  const flagged = new Set<string>();
  /** Loudly, once per path and problem: a mismatched plan makes the path's figures meaningless. */
  const warnOnce = (key: string, line: string) => {
    if (flagged.has(key)) return;
    flagged.add(key);
    warn(line);
  };
  let run = 0;
  for (const concurrency of options.concurrency) {
    for (let trial = 1; trial <= options.trials; trial++) {
      for (const path of paths) {
        if (signal.aborted) return results;
        run++;
        const position = { run, runs, trials: options.trials };
        const setup = runOptions(options, concurrency, sequence, trial, signal);
        const workers = setup.concurrency;
        // A shard notes the wall-clock start of its measured phase, for the start skew of the merged shards.
        let measureStartedAt: string | undefined;
        if (options.shard || hooks.onProgress) {
          setup.onProgress = (event: ProgressEvent) => {
            if (options.shard && event.phase === 'measure' && measureStartedAt === undefined) measureStartedAt = new Date().toISOString();
            hooks.onProgress?.(event, position);
          };
        }
        // Shards start each measured phase together: at the gate (--start-at, --barrier) after their
        // setup and warm-up, whose lengths differ between processes (with --workers, once every
        // thread is at its measured phase: bench-threads.ts calls the hook at its barrier).
        let gated = false;
        const passGate = async (): Promise<void> => {
          if (gated || !gate) return;
          gated = true;
          await gate(run);
        };
        if (gate) setup.beforePhase = async (phase) => (phase === 'measure' ? passGate() : undefined);
        else await passGate();
        if (signal.aborted) return results;
        // bench --workers N: the threads make the run together, and bring their paths' findings with it.
        const ran: { result: PathResult; findings?: RunFindings } = threads ? await runOnThreads(threads, path, setup) : { result: await runTarget(path.target(workers), setup) };
        // A run whose setup failed still counts itself in, so the other shards are not left waiting.
        if (!signal.aborted) await passGate();
        const result: PathResult = { ...ran.result, ...(measureStartedAt ? { measureStartedAt } : {}) };
        // A shard ran its share of the level: results are matched (and merged) by the level.
        if (options.shard) result.totalConcurrency = concurrency;
        const findings = ran.findings ?? await findingsOf(path, result.interrupted);
        for (const [i, flag] of findings.flags.entries()) warnOnce(`${path.name}:${flag}`, findings.notes[i] ?? `${path.name}: ${flag}`);
        // Every outage, with its window: a restart mid-bench must be visible where the errors are.
        for (const outage of findings.outages ?? []) {
          warnOnce(`${path.name}:outage:${outage.startedAt}:${outage.endedAt ?? ''}`, `${path.name} (concurrency ${concurrency}): ${describeOutage(outage)}`);
        }
        if (result.errors > 0 && !result.interrupted) {
          warnOnce(`${path.name}:errors`, `${path.name} (concurrency ${concurrency}): ${formatInt(result.errors)} operation${result.errors === 1 ? '' : 's'} failed; first: ${result.firstError ?? 'unknown'}`);
        }
        results.push(withFindings(result, findings));
      }
    }
  }
  if (!signal.aborted) await checkPlansAtEnd(paths, results, warnOnce, threads);
  return results;
}

/**
 * How one path runs at one level in one trial. A shard (--shard I/N) runs its share of the workers,
 * of the iterations and of the rate, on every Nth operation of the run's sequence (measure/shard.ts).
 */
function runOptions(options: BenchOptions, level: number, sequence: CategorySequence, trial: number, signal: AbortSignal): RunOptions {
  const shard = options.shard?.shard;
  const concurrency = shard ? shareOf(level, shard) : level;
  return {
    concurrency,
    ...(options.iterations !== undefined ? { iterations: shard ? shareOf(options.iterations, shard) : options.iterations } : { durationMs: options.durationMs! }),
    // At least one warm-up operation per worker, so every connection has prepared its statement.
    warmupMs: options.warmupMs,
    warmupIterations: options.warmupMs > 0 ? concurrency : 0,
    ...(options.ratePerSec !== undefined ? { ratePerSec: shard ? rateShare(options.ratePerSec, shard) : options.ratePerSec } : {}),
    sequence,
    ...(shard ? { slice: operationSlice(shard) } : {}),
    trial,
    signal,
  };
}

/** The end-of-run plan check: a change or a failed check joins the path's last result. */
async function checkPlansAtEnd(paths: readonly BenchPath[], results: PathResult[], warnOnce: (key: string, line: string) => void,
  threads?: LoadThreads): Promise<void> {
  for (const path of paths) {
    if (!path.checkPlan) continue;
    let last = -1;
    for (let i = 0; i < results.length; i++) if (results[i]!.name === path.name) last = i;
    if (last < 0) continue;
    let findings: RunFindings;
    try {
      // With threads, this thread's path never connected: the first thread checks the plan.
      findings = threads ? await threads.checkPlan(path.name) : await path.checkPlan();
    } catch (error) {
      findings = { notes: [`the plan check at the end of the run failed: ${firstLine((error as Error).message)}`], flags: ['check-failed'] };
    }
    const changed = findings.flags.includes('plan-changed');
    if (!changed && !findings.flags.includes('check-failed')) continue;
    const notes = findings.notes.filter((note) => !changed || /^PLAN CHANGED/.test(note)).map((note) => `${note} [found at the end of the run]`);
    const flags = changed ? ['plan-changed'] : ['check-failed'];
    for (const note of notes) warnOnce(`${path.name}:${flags[0]}`, note);
    results[last] = withFindings(results[last]!, { notes, flags });
  }
}

/** One run of `path` made by the threads, between what the process sets up for them and takes down after. */
async function runOnThreads(threads: LoadThreads, path: BenchPath, setup: RunOptions): Promise<{ result: PathResult; findings: RunFindings }> {
  await path.beforeThreadedRun?.();
  try {
    return await threads.run(path.name, setup);
  } finally {
    await path.afterThreadedRun?.();
  }
}

/** The path's findings; checks that fail after the run flag the path instead of failing the bench. */
export async function findingsOf(path: BenchPath, interrupted: boolean): Promise<RunFindings> {
  try {
    return await path.findings(interrupted);
  } catch (error) {
    return { notes: [`checks failed after the run: ${firstLine((error as Error).message)}`], flags: ['check-failed'] };
  }
}

/** The result with the path's findings: the plan, the cache check (an added field), notes and flags. */
function withFindings(result: PathResult, findings: RunFindings): PathResult {
  const out: PathResult = { ...result };
  if (findings.plan) out.plan = { ...findings.plan };
  if (findings.cacheCheck) out.cacheCheck = findings.cacheCheck;
  if (findings.serverTiming) out.serverTiming = findings.serverTiming;
  if (findings.outages?.length) out.outages = findings.outages;
  if (findings.workload) Object.assign(out, findings.workload);
  if (findings.servers) out.servers = findings.servers;
  const notes = [...(result.notes ?? []), ...findings.notes];
  const flags = [...new Set([...(result.flags ?? []), ...findings.flags, ...(findings.outages?.length ? [CONNECTION_LOST] : [])])];
  if (notes.length) out.notes = notes;
  if (flags.length) out.flags = flags;
  return out;
}
