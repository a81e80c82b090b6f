/**
 * Targets: what every path of `bench --workload` shares, whatever carries its statements (a
 * database connection, workload-path.ts; HTTP to perfbench serve, workload-http-path.ts): operation
 * i's script and steps planned from i alone, the loop that runs an execution's steps over an
 * asynchronous carrier, and the per-run counters and histograms of the statements and scripts.
 */
// Imported, not the global: Node defines the global `performance` as a lazy getter, paid on every read.
import { performance } from 'node:perf_hooks';
import { LatencyHistogram, summarize } from '../measure/histogram.js';
import type { ScriptRecord, StatementRecord, WorkloadRecord } from '../measure/result.js';
import { chooseScript, planExecution, type PlanContext, type Script, type ScriptStatement, type Step } from '../workload/pgbench/index.js';
import type { WorkloadContext } from './workload-context.js';

/** Operation i's script (its index k in the workload) and its planned steps. */
export interface PlannedExecution {
  readonly k: number;
  readonly script: Script;
  readonly steps: readonly Step[];
}

/**
 * How many executions the planner plans in one burst once operations come in an arithmetic
 * sequence, as a worker's do (i, i+stride, …).
 */
const PLAN_AHEAD = 64;

/**
 * Plans operation i of a run at `concurrency` clients: its script (chooseScript) and steps
 * (planExecution), the same on every path, thread and machine.
 *
 * Planning is a function of i alone, so the planner plans ahead: once two calls are `stride`
 * apart, it plans the next PLAN_AHEAD executions of that sequence in one burst and hands them out
 * as asked. The figures are the same; the client's cost is not. A blocking libpq client plans
 * between two sleeps in poll(), where planning each execution on its own met cold caches and cost
 * several times its tight-loop time (bench:fidelity's client CPU per transaction). Any other index
 * (a plan check's, a jump) is planned on its own.
 */
export function workloadPlanner(context: Pick<WorkloadContext, 'scripts' | 'scale' | 'defines' | 'seed' | 'draw'>): (i: number, concurrency: number) => PlannedExecution {
  /** What planning reads, one object for the path: planning is synchronous, so each call sets its operation's fields. */
  const planning: { -readonly [F in keyof PlanContext]: PlanContext[F] } = {
    executionIndex: 0, clientId: 0, scale: context.scale, defines: context.defines, seed: context.seed, draw: context.draw,
  };
  const planOne = (i: number, concurrency: number): PlannedExecution => {
    const k = chooseScript(context.scripts, i, context.seed);
    const script = context.scripts[k]!;
    planning.executionIndex = i;
    // The client number from i and the run's concurrency, not from whichever worker (or thread) is
    // free: so :client_id is the same on every path, with or without --workers.
    planning.clientId = i % concurrency;
    return { k, script, steps: planExecution(script, planning) };
  };
  /** The burst planned last: executions first, first + stride, … at `aheadConcurrency`. */
  const ahead: PlannedExecution[] = [];
  let first = 0;
  let stride = 0;
  let aheadConcurrency = 0;
  /** The index the previous call asked for: the sequence's stride is the distance from it. */
  let previous = Number.NaN;
  return (i: number, concurrency: number): PlannedExecution => {
    const step = i - previous;
    previous = i;
    if (stride > 0 && concurrency === aheadConcurrency) {
      const position = (i - first) / stride;
      if (position >= 0 && position < ahead.length && Number.isInteger(position)) return ahead[position]!;
    }
    if (!(step > 0)) return planOne(i, concurrency);
    // Execution i's own failure (a \set that divides by zero) is thrown now; a later one ends the
    // burst before it, so that execution fails when its turn comes, planned on its own (and the
    // next call, one step on, starts the next burst).
    ahead[0] = planOne(i, concurrency);
    let n = 1;
    for (; n < PLAN_AHEAD; n++) {
      try {
        ahead[n] = planOne(i + n * step, concurrency);
      } catch {
        break;
      }
    }
    ahead.length = n;
    first = i;
    stride = step;
    aheadConcurrency = concurrency;
    return ahead[0];
  };
}

/** What runSteps' `send` returns for a statement it does not send. */
export const NOT_SENT: unique symbol = Symbol('not sent');

/**
 * Runs one execution's steps over an asynchronous carrier (a node-postgres connection, the cache,
 * HTTP): a \sleep waits on a timer; each statement `send` sends is timed into its own histogram, its
 * failure counted and rethrown; one it returns NOT_SENT for is skipped. One async frame per
 * execution: `send` hands back its own promise, or a value (a frame per statement cost a promise
 * and a microtask each, measurable at pgbench's rates, see bench:fidelity).
 */
export async function runSteps(records: readonly StatementStats[], steps: readonly Step[],
  send: (statement: ScriptStatement, values: readonly string[]) => unknown): Promise<void> {
  for (const step of steps) {
    if (step.kind === 'sleep') {
      await new Promise((resolve) => setTimeout(resolve, step.us / 1000));
      continue;
    }
    const { statement, values } = step;
    const record = records[statement.index]!;
    const started = performance.now();
    try {
      const sent = send(statement, values);
      if (sent === NOT_SENT) continue;
      await sent;
    } catch (error) {
      record.errors++;
      throw error;
    }
    record.histogram.record((performance.now() - started) * 1000);
    record.ops++;
  }
}

export interface StatementStats {
  script: string;
  statement: ScriptStatement;
  ops: number;
  errors: number;
  histogram: LatencyHistogram;
}

/** Per-run counters of a workload path; reset when a run's measured phase starts. */
export class WorkloadStats {
  /** `[script index][statement index]`: the hot path finds a statement's counters without building a key. */
  statements: StatementStats[][] = [];
  scripts = new Map<string, { ops: number; errors: number }>();
  failures: Record<string, number> = {};
  retries = 0;
  cacheHits = 0;
  cacheMisses = 0;

  constructor(private readonly scriptList: readonly Script[]) {
    this.reset();
  }

  reset(): void {
    for (const stats of this.statements.flat()) stats.histogram.destroy();
    this.statements = this.scriptList.map((script) => script.statements.map((statement) => ({
      script: script.name, statement, ops: 0, errors: 0, histogram: LatencyHistogram.create(),
    })));
    this.scripts = new Map(this.scriptList.map((s) => [s.name, { ops: 0, errors: 0 }]));
    this.failures = {};
    this.retries = 0;
    this.cacheHits = 0;
    this.cacheMisses = 0;
  }

  statementRecords(): StatementRecord[] {
    return this.statements.flat().map((s) => ({
      script: s.script,
      name: s.statement.name,
      line: s.statement.line,
      access: s.statement.access,
      ops: s.ops,
      errors: s.errors,
      summary: summarize(s.histogram),
      histogram: s.histogram.encode(),
    }));
  }

  /** Frees the statements' histograms (WASM memory, never reclaimed otherwise); no records after this. */
  destroy(): void {
    for (const stats of this.statements.flat()) stats.histogram.destroy();
    this.statements = [];
  }

  scriptRecords(): ScriptRecord[] {
    return [...this.scripts.entries()].map(([name, counts]) => ({ name, ops: counts.ops, errors: counts.errors }));
  }

  /** The run's figures as a path result holds them; with `cache`, its hits and misses too. */
  record(cache: boolean): WorkloadRecord {
    return {
      statements: this.statementRecords(),
      scripts: this.scriptRecords(),
      failures: { ...this.failures },
      retries: this.retries,
      ...(cache ? { cacheHits: this.cacheHits, cacheMisses: this.cacheMisses } : {}),
    };
  }
}

/**
 * The SQLSTATE of a failed query, or `client` for an error that never reached the server. No
 * SQLSTATE class starts with E, and five-letter Node.js error codes do (EPIPE, EPERM).
 */
export function sqlstateOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code) ? code : 'client';
}
