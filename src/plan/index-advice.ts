/**
 * Plan domain (pure): measured index advice — the contract of `perfbench explain --advise` and the
 * judgement of what was measured. Dexter and HypoPG only estimate (hypothetical indexes, planner
 * costs); perfbench builds each candidate inside a transaction that is rolled back and runs the
 * statement with and without it, so the verdict rests on execution times and buffers of real runs.
 * A candidate is recommended only when its gain is beyond the noise of those runs (NOISE below).
 */
import { displayName, qualifiedText, shellWord, type Identifier } from '../workload/identifiers.js';
import type { ExplainSource, ExplainTarget } from './explain.js';
import { createIndexText, describeCandidate, type CoveredCandidate, type IndexCandidate } from './index-candidates.js';
import { diffPlans, type PlanDiff } from './plan-diff.js';
import { describeScan, scanIndexes, type ParsedPlan } from './plan.js';

/** What `explain --advise` is asked to do, validated by the flag parser. */
export interface AdviseRequest {
  /** The report or a --query; null when the statement comes from --file (read by the use case). */
  target: ExplainTarget | null;
  /** --file: a SQL statement, or a saved plan whose candidates are then measured with --query. */
  file: string | null;
  /** --param values, for a statement read from --file. */
  params: string[];
  timeoutMs: number;
  /** Runs per side and candidate (interleaved where the statement only reads). */
  runs: number;
  /** Heap size above which a table gets no candidate build without --force. */
  maxTableBytes: number;
  force: boolean;
  /** At most this many candidates are measured, heaviest first. */
  maxCandidates: number;
}

/**
 * One statement to advise on, with its values bound: the seam a workload (a pgbench script's
 * statements, with the values of one draw) comes in through, as a list.
 */
export interface AdviseStatement {
  /** How the report names it: `--query`, `statement 2 (line 7)`. */
  label: string;
  text: string;
  values: string[];
  /** True when it writes: its runs then each sit in a savepoint, and "before" cannot run beside the build. */
  writes: boolean;
  /**
   * True for a locking read (`FOR UPDATE`, `FOR SHARE`…): like a write, each run sits in a savepoint
   * and "before" runs on the same connection, or the two sessions would wait for each other's row locks.
   */
  locksRows: boolean;
  /** True for the user's own text: an error PostgreSQL finds in it is a usage error naming --query. */
  fromUser: boolean;
  /** How such an error names it instead of --query: `statement q1 (orders.sql:4)`. */
  errorName?: string;
}

/** A candidate whose relation the catalog resolved: schema-qualified, with what people type. */
export interface ResolvedCandidate extends IndexCandidate {
  /** The table, schema-qualified as the catalog has it. */
  table: Identifier;
  /** `CREATE INDEX ON "Sales"."Order Lines" ("Customer Id")`. */
  createIndex: string;
  /** `"Sales"."Order Lines" ("Customer Id")`. */
  description: string;
}

/**
 * The rule for "beyond noise", both parts required:
 * - the median total execution time drops by at least `minGainShare` of the baseline's median;
 * - `minSuperiority` of the (before, after) run pairs have the "after" run faster: Vargha and
 *   Delaney's A (J. Educ. Behav. Stat. 25(2), 2000), the Mann-Whitney U divided by n x m. With 3
 *   runs a side that is all 9 pairs, which happens by chance once in C(6,3) = 20 (p = 0.05) when
 *   the index changes nothing; with 5 runs, 23 of 25 pairs (p ≈ 0.016).
 */
export const NOISE = { minGainShare: 0.1, minSuperiority: 0.9 } as const;

/** Execution times of one side: the total of all statements, per run. */
export interface SideTiming {
  runsMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
}

/**
 * What one candidate did, measured. Two baselines, each for what it is good at: the candidate's own
 * "before" runs, interleaved with its "after" runs, decide whether it beats the noise (drift and
 * cache warming hit both sides of a pair alike); the shared baseline (every candidate's "before"
 * runs pooled: the same statement on the same data) gives the gain candidates are ranked by, so a
 * candidate measured while the cache was still cold does not look better for it.
 */
export interface MeasuredEffect {
  /** This candidate's own "before" runs, beside its "after" runs. */
  before: SideTiming;
  after: SideTiming;
  /** median(shared baseline) - median(after), ms: what candidates are ranked by. */
  gainMs: number;
  /** median(shared baseline) / median(after); null when "after" took 0 ms. */
  speedup: number | null;
  /** (median(own before) - median(after)) / median(own before): the noise rule's first part. */
  pairedGainShare: number;
  /** Vargha-Delaney A: the share of (own before, after) run pairs where "after" was faster (ties count half). */
  superiority: number;
  /** Shared blocks hit + read, the median runs' totals over the statements: the cache-independent measure. */
  sharedBlocks: { before: number; after: number };
  /** Per statement: the plan comparison (node types before/after, swaps). */
  diffs: PlanDiff[];
  /** Per statement (in order): the median execution time of its own runs without and with the candidate. */
  perStatement: { beforeMedianMs: number; afterMedianMs: number }[];
  /** Scans that read through the candidate index in every "after" run, as `Index Scan using … on …`. */
  usesIndex: string[];
  /** Matched scans whose access path changed: `Seq Scan on x -> Index Scan using … on x`. */
  scanChanges: string[];
  beyondNoise: boolean;
}

/** A candidate's outcome: measured, or why it could not be. */
export type CandidateOutcome =
  | { state: 'measured'; candidate: ResolvedCandidate; indexName: string; buildMs: number; indexBytes: number; effect: MeasuredEffect }
  | { state: 'failed'; candidate: ResolvedCandidate; stage: 'build' | 'run'; message: string };

/** The command that builds the winner for real. */
export interface AdviceCommand {
  /** `index-add` runs as printed in a shell; `create-index` is SQL to run in psql. */
  kind: 'index-add' | 'create-index';
  text: string;
  /** Why it is not an `index add` command, for `create-index`. */
  why?: string;
}

/** How the verdict came out. */
export type AdviceVerdict = 'recommended' | 'no-index-helps' | 'no-candidates';

/** A table candidates were built on, with the size the bound was checked against. */
export interface AdviceTable {
  table: string;
  heapBytes: number;
  estimatedRows: number;
}

/** The result of `explain --advise`. */
export interface AdviseResult {
  source: ExplainSource;
  statements: { label: string; text: string; params: string[]; writes: boolean; locksRows: boolean }[];
  /** The plans the candidates were read from (run 0 of each statement; a warm-up, not counted). */
  baselinePlans: ParsedPlan[];
  /** The statement as it is: every candidate's "before" runs pooled; null when nothing was measured. */
  baseline: SideTiming | null;
  /** How "before" ran: beside each build on a second connection (reads), or before it (writes). */
  measurement: 'interleaved' | 'sequential';
  runs: number;
  timeoutMs: number;
  /** Best first: measured by gain (ties by buffers), then the failed ones. */
  outcomes: CandidateOutcome[];
  covered: (CoveredCandidate & { description: string })[];
  /** Candidates left out: over --max-candidates, or not a column of the table. */
  skipped: { description: string; reason: string }[];
  tables: AdviceTable[];
  verdict: AdviceVerdict;
  /** The recommended outcome (measured, beyond noise, read through its index). */
  winner: CandidateOutcome & { state: 'measured' } | null;
  command: AdviceCommand | null;
  /** Checked after the rollback: no candidate index is left, none that existed is gone. */
  indexesUnchanged: true;
  /** Caveats found on the way (also said on stderr). */
  notes: string[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function timing(runsMs: number[]): SideTiming {
  return { runsMs, medianMs: median(runsMs), minMs: Math.min(...runsMs), maxMs: Math.max(...runsMs) };
}

/** Vargha-Delaney A for "after is smaller": pairs where after < before count 1, ties 1/2. */
export function superiority(before: readonly number[], after: readonly number[]): number {
  if (before.length === 0 || after.length === 0) return 0;
  let wins = 0;
  for (const b of before) for (const a of after) wins += a < b ? 1 : a === b ? 0.5 : 0;
  return wins / (before.length * after.length);
}

const totalMs = (run: readonly ParsedPlan[]) => run.reduce((sum, plan) => sum + plan.totalTimeMs, 0);

/**
 * Judges one candidate from its runs: `before[r][s]` is run r of statement s without the index,
 * `after[r][s]` with it. Every run must hold every statement.
 */
export function measuredEffect(before: readonly ParsedPlan[][], after: readonly ParsedPlan[][], indexName: string): MeasuredEffect {
  if (before.length === 0 || after.length === 0) throw new Error('measuredEffect needs at least one run per side');
  const statements = before[0]!.length;
  const beforeTiming = timing(before.map(totalMs));
  const afterTiming = timing(after.map(totalMs));
  const diffs = Array.from({ length: statements }, (_, s) => diffPlans(before.map((run) => run[s]!), after.map((run) => run[s]!)));
  const perStatement = Array.from({ length: statements }, (_, s) => ({
    beforeMedianMs: median(before.map((run) => run[s]!.totalTimeMs)),
    afterMedianMs: median(after.map((run) => run[s]!.totalTimeMs)),
  }));
  const usesIndex: string[] = [];
  for (let s = 0; s < statements; s++) {
    const runs = after.map((run) => run[s]!);
    // Scans of the relation (a Bitmap Index Scan is part of its Bitmap Heap Scan, described by it).
    const reading = runs[0]!.nodes.filter((node) => node.relation !== undefined && scanIndexes(runs[0]!, node).includes(indexName));
    for (const node of reading) {
      // In every run: one "after" run that used it is not the plan the index gives.
      const everyRun = runs.every((plan) => plan.nodes.some((n) => n.relation !== undefined && n.label === node.label && scanIndexes(plan, n).includes(indexName)));
      if (everyRun) usesIndex.push(describeScan(runs[0]!, node));
    }
  }
  const gainMs = beforeTiming.medianMs - afterTiming.medianMs;
  const gainShare = beforeTiming.medianMs > 0 ? gainMs / beforeTiming.medianMs : 0;
  const a = superiority(beforeTiming.runsMs, afterTiming.runsMs);
  return {
    before: beforeTiming,
    after: afterTiming,
    // Against its own "before" until sharedBaseline() puts every candidate on the pooled one.
    gainMs,
    speedup: afterTiming.medianMs > 0 ? beforeTiming.medianMs / afterTiming.medianMs : null,
    pairedGainShare: gainShare,
    superiority: a,
    sharedBlocks: {
      before: diffs.reduce((sum, d) => sum + d.sharedBlocks.before, 0),
      after: diffs.reduce((sum, d) => sum + d.sharedBlocks.after, 0),
    },
    diffs,
    perStatement,
    usesIndex: [...new Set(usesIndex)],
    scanChanges: diffs.flatMap((d) => d.swaps.map((m) => `${m.before!.description} -> ${m.after!.description}`)),
    beyondNoise: gainShare >= NOISE.minGainShare && a >= NOISE.minSuperiority,
  };
}

/**
 * The shared baseline: every measured candidate's "before" runs pooled (null when none was
 * measured), and the outcomes with their gain and speed-up taken against it.
 */
export function sharedBaseline(outcomes: readonly CandidateOutcome[]): { baseline: SideTiming | null; outcomes: CandidateOutcome[] } {
  const runsMs = outcomes.flatMap((o) => (o.state === 'measured' ? o.effect.before.runsMs : []));
  if (runsMs.length === 0) return { baseline: null, outcomes: [...outcomes] };
  const baseline = timing(runsMs);
  return {
    baseline,
    outcomes: outcomes.map((o) => {
      if (o.state !== 'measured') return o;
      const after = o.effect.after.medianMs;
      return { ...o, effect: { ...o.effect, gainMs: baseline.medianMs - after, speedup: after > 0 ? baseline.medianMs / after : null } };
    }),
  };
}

/** Best first: the larger median gain (to the microsecond EXPLAIN prints), then fewer buffers "after"; failed outcomes last. */
export function rankOutcomes(outcomes: readonly CandidateOutcome[]): CandidateOutcome[] {
  const us = (ms: number) => Math.round(ms * 1000);
  return [...outcomes].sort((x, y) => {
    if (x.state !== y.state) return x.state === 'measured' ? -1 : 1;
    if (x.state !== 'measured' || y.state !== 'measured') return 0;
    return us(y.effect.gainMs) - us(x.effect.gainMs) || x.effect.sharedBlocks.after - y.effect.sharedBlocks.after;
  });
}

/**
 * The recommendation: the best-ranked outcome whose gain is beyond noise and whose "after" runs
 * read through the index (a faster run that never touched the index is noise or cache, not the
 * index). None: "no index helps" — nothing is recommended on an estimate or a lucky run.
 */
export function pickWinner(ranked: readonly CandidateOutcome[]): (CandidateOutcome & { state: 'measured' }) | null {
  for (const outcome of ranked) {
    if (outcome.state === 'measured' && outcome.effect.beyondNoise && outcome.effect.usesIndex.length > 0) return outcome;
  }
  return null;
}

/**
 * The command that builds the winner for real. `perfbench index add` builds a single-column B-tree
 * (with its ownership mark, lock and crash handling), so a one-column winner gets that, quoted for
 * SQL and the shell; a multi-column (or ordered) winner gets its CREATE INDEX, to run in psql.
 */
export function adviceCommand(candidate: ResolvedCandidate): AdviceCommand {
  const [only, ...rest] = candidate.columns;
  if (only && rest.length === 0 && !only.descending && only.nullsFirst === undefined) {
    return { kind: 'index-add', text: `perfbench index add --table ${shellWord(qualifiedText(candidate.table))} --column ${shellWord(displayName(only.name))}` };
  }
  const why = rest.length > 0
    ? `perfbench index add builds single-column indexes; this one has ${candidate.columns.length} columns, so here is its CREATE INDEX to run in psql`
    : 'perfbench index add builds ascending indexes; this one needs its order, so here is its CREATE INDEX to run in psql';
  return { kind: 'create-index', text: `${candidate.createIndex};`, why };
}

/** The candidate with its catalog-resolved table and the texts people read and type. */
export function resolvedCandidate(candidate: IndexCandidate, table: Identifier): ResolvedCandidate {
  const relation = { schema: table.schema, name: table.name };
  const withTable = { ...candidate, relation };
  return { ...withTable, table, createIndex: createIndexText(withTable), description: describeCandidate(withTable) };
}

const SIZE_UNITS = ['bytes', 'kB', 'MB', 'GB', 'TB'] as const;

/** A size in PostgreSQL's units (1 kB = 1024 bytes, as pg_size_pretty and its settings read them): `1 GB`, `1.5 MB`. */
export function pgSizeText(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || Number.isInteger(value) ? 0 : 1;
  return `${value.toFixed(digits)} ${SIZE_UNITS[unit]}`;
}

/** Reads `1GB`, `500 MB`, `64kB`, `4096` (bytes) in PostgreSQL's units; undefined when it is not a size. */
export function parsePgSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|bytes|kb|mb|gb|tb)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 'b').toLowerCase();
  const power = { b: 0, bytes: 0, kb: 1, mb: 2, gb: 3, tb: 4 }[unit]!;
  return Math.round(Number(match[1]) * 1024 ** power);
}
