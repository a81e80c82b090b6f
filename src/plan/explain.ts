/**
 * Plan domain: the contract of `perfbench explain` — what is asked (a statement and the filter
 * target whose index matters) and what comes back (plans, warnings, writes, the index check). It
 * lives here, not with the use case or the command, so the flag parser fills it, the use cases run
 * it and the reporters read it without any of them importing another.
 */
import type { FilterTarget } from '../workload/workload.js';
import type { PlanDiff } from './plan-diff.js';
import type { IndexCheck, WriteSummary } from './plan-inspection.js';
import type { PlanWarning } from './plan-warnings.js';
import type { ParsedPlan } from './plan.js';
import type { AcceptedStatement } from './statement.js';

/** The built-in report (the default workload) for one category: `table` and `column` are its filter target. */
export interface ReportTarget extends FilterTarget {
  kind: 'report';
  /** Undefined: the use case picks one the table holds. */
  category?: string;
}

/** The user's --query. */
export interface QueryTarget extends FilterTarget {
  kind: 'query';
  text: string;
  /** The --param values, $1 first. */
  params: string[];
  /** What the classifier found the statement to be (read or write, its verb, its placeholders). */
  classification: AcceptedStatement;
  /** True when --table or --column was given: then they must exist; else they are checked only if present. */
  explicitSource: boolean;
}

/**
 * What to explain. Both kinds carry the table and column whose index the output checks (and
 * `--compare` toggles).
 */
export type ExplainTarget = ReportTarget | QueryTarget;

export interface ExplainRequest {
  target: ExplainTarget;
  /** `SET LOCAL statement_timeout` for every statement of the run. */
  timeoutMs: number;
}

/** Where a plan came from, as the JSON documents report it. */
export interface ExplainSource {
  kind: 'report' | 'query' | 'file' | 'workload';
  table: string | null;
  column: string | null;
  /** The report's category ($1), for `kind: report`. */
  category: string | null;
  /** The user's statement, for `kind: query`. */
  query: string | null;
  /** Its `--param` values, $1 first. */
  params: string[];
  /** The `--file` path, for `kind: file`. */
  file: string | null;
  /** The pgbench scripts of `explain --advise --workload/--builtin`, for `kind: workload`. */
  workload?: WorkloadSource;
}

/** The scripts whose statements `explain --advise --workload` measured, and how their values were bound (as bench binds them). */
export interface WorkloadSource {
  /** Each script, and the execution of it whose statements were measured (bench's first of that script). */
  scripts: { name: string; executionIndex: number; statements: number }[];
  seed: number;
  scale: number;
  defines: Record<string, string>;
  /** Statements left out: transaction control (advise runs everything in one rolled-back transaction). */
  skipped: { script: string; statement: string; line: number; reason: string }[];
}

/** One plan with what explain found in it. */
export interface ExplainResult {
  source: ExplainSource;
  plan: ParsedPlan;
  warnings: PlanWarning[];
  /** True when the statement ran (always inside a transaction that was rolled back); false for --file. */
  rolledBack: boolean;
  timeoutMs: number | null;
  writes: WriteSummary[];
  indexCheck: IndexCheck | null;
}

/** How a "before" run of --compare kept the planner off the index. */
export type BeforeMethod = 'no-index' | 'index-scans-disabled';

/** The plans without and with an index on the filter column, and how each side was obtained. */
export interface ExplainCompareResult {
  source: ExplainSource;
  diff: PlanDiff;
  before: ParsedPlan[];
  after: ParsedPlan[];
  beforeMethods: BeforeMethod[];
  /** The index the "after" side had: an existing one, or one built inside the transaction. */
  index: { name: string; builtInTransaction: boolean };
  /** True when every "after" run read the table through `index.name`. */
  afterUsesIndex: boolean;
  timeoutMs: number;
  /** Checked after the rollback: the table's index names are what they were before the command. */
  indexesUnchanged: true;
  /** Caveats found on the way (also said on stderr). */
  notes: string[];
}

