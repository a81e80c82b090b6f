/**
 * Use case: measured index advice for a list of statements with bound values — the seam
 * `explain --advise` calls with one statement, and a workload (`--workload FILE`, a pgbench script)
 * can call with its statements. Everything happens inside ONE transaction that is rolled back:
 *
 * 1. run 0 of every statement (EXPLAIN ANALYZE, with each relation's schema): the plans the
 *    candidates are read from; it also warms the cache, so it is not counted;
 * 2. the candidates, resolved through the catalog: real columns only, none an existing index
 *    already leads with, at most --max-candidates, heaviest first; tables above the size bound are
 *    refused unless --force;
 * 3. one warning about the SHARE lock, then per candidate: SAVEPOINT, CREATE INDEX (under a
 *    lock_timeout), the runs, ROLLBACK TO SAVEPOINT. "Before" runs on a second connection, which
 *    cannot see the uncommitted index, alternating run by run with "after" (a read takes ACCESS
 *    SHARE, which the build's SHARE lock lets through). A statement that writes would wait for
 *    that lock, so then "before" runs just before each build on the same connection;
 * 4. after the rollback: no candidate index is left and none that existed is gone (checked).
 *
 * A failed build or run of one candidate (no B-tree operator class, a run past --timeout) is rolled
 * back to its savepoint and reported; the others are still measured. Ctrl-C cancels whatever runs,
 * on both connections, and everything is rolled back.
 */
import type pg from 'pg';
import { buildCandidateIndex, candidateSavepoint, rollbackCandidate, tableFacts, type TableFacts } from '../db/advise.js';
import { findTable } from '../db/catalog.js';
import { explainStatement, explainVerbose, indexNames, inRolledBackTransaction, inSavepoint } from '../db/explain.js';
import { listIndexes } from '../db/indexes.js';
import { firstLine, isPostgresError, usageError, UserError } from '../errors.js';
import {
  adviceCommand, measuredEffect, pgSizeText, pickWinner, rankOutcomes, resolvedCandidate, sharedBaseline,
  type AdviceTable, type AdviseResult, type AdviseStatement, type CandidateOutcome, type ResolvedCandidate,
} from '../plan/index-advice.js';
import {
  indexCandidates, indexColumnsSql, mergeCandidates, withoutExisting, type ExistingIndex, type IndexCandidate,
} from '../plan/index-candidates.js';
import { withSchemas } from '../plan/plan-schemas.js';
import { parsePlan, type ParsedPlan } from '../plan/plan.js';
import type { Runtime } from '../runtime.js';
import { catalogIdentifier, type Identifier } from '../workload/identifiers.js';
import { checkAborted, explainOnce, rolledBack, type ExplainClient } from './explain-statement.js';

const WHAT = 'explain --advise stopped';

/**
 * How long a candidate build waits for its SHARE lock: long enough for short writes to finish,
 * short enough that writes queued behind the waiting build (PostgreSQL queues them behind it)
 * are not held up for long.
 */
export const BUILD_LOCK_TIMEOUT_MS = 5_000;

/** Relation kinds a candidate is built on: plain tables and materialized views. */
const INDEXABLE = new Set(['r', 'm']);
const KIND_NAMES: Record<string, string> = { p: 'a partitioned table', v: 'a view', f: 'a foreign table', t: 'a TOAST table' };

/** How the advice is measured. */
export interface AdviseOptions {
  timeoutMs: number;
  runs: number;
  maxTableBytes: number;
  force: boolean;
  maxCandidates: number;
  /** Candidates read elsewhere (a saved plan given with --file), measured with the statements' own. */
  extraCandidates?: IndexCandidate[];
  /** The connection to run on (the caller may have used it already); else a new one. */
  client?: ExplainClient;
}

/** What `adviseStatements` returns: the result without where the statement came from (its caller knows). */
export type AdviceMeasurement = Omit<AdviseResult, 'source'>;

/** A candidate ready to measure, and the table's facts. */
interface Prepared {
  measure: ResolvedCandidate[];
  covered: AdviseResult['covered'];
  skipped: AdviseResult['skipped'];
  tables: (AdviceTable & { identifier: Identifier })[];
}

/** What the measurement phases share. */
interface Session {
  runtime: Runtime;
  client: ExplainClient;
  statements: AdviseStatement[];
  /** The planning-only VERBOSE plan of each statement: schemas for every later run. */
  verbose: unknown[];
  options: AdviseOptions;
  /** Candidate index names start with this: unique to this PostgreSQL session. */
  prefix: string;
  note: (line: string) => void;
}

/** An error on the "before" connection: it ends the measurement (there is no savepoint to go back to). */
class BaselineFailure extends Error {
  constructor(readonly original: unknown) {
    super('baseline run failed');
  }
}

/**
 * Measures candidate indexes for `statements` (one or several, values bound) and returns them
 * ranked, with the winner and its command. A statement `fromUser` that the database rejects
 * (syntax, unknown names, a value of the wrong type) is a usage error naming --query.
 */
export async function adviseStatements(runtime: Runtime, statements: AdviseStatement[], options: AdviseOptions): Promise<AdviceMeasurement> {
  if (statements.length === 0) throw usageError('no statement to advise on');
  const client = options.client ?? await runtime.client();
  const notes: string[] = [];
  const note = (line: string) => {
    notes.push(line);
    runtime.out.warn(line);
  };
  const backend = (client as unknown as { processID?: number }).processID ?? process.pid;
  const session: Session = { runtime, client, statements, verbose: [], options, prefix: `pb_advise_${backend}_`, note };
  const namesBefore = new Map<string, { table: Identifier; names: string[] }>();

  const inside = await rolledBack(runtime, client, options.timeoutMs, WHAT, async () => {
    const baselinePlans = await runZero(session);
    const candidates = mergeCandidates([...baselinePlans.map((plan, i) => indexCandidates(plan, statements.length > 1 ? i : undefined)), options.extraCandidates ?? []]);
    const prepared = await prepareCandidates(client, candidates, options);
    if (prepared.measure.length === 0) return { baselinePlans, prepared, outcomes: [] as CandidateOutcome[] };
    refuseLargeTables(prepared, options, note);
    for (const t of prepared.tables) namesBefore.set(t.identifier.sql, { table: t.identifier, names: await indexNames(client, t.identifier) });
    runtime.out.warn(
      `CREATE INDEX takes a SHARE lock on ${prepared.tables.map((t) => t.table).join(', ')}: writes to ${prepared.tables.length === 1 ? 'it' : 'them'} wait while each of ` +
      `${prepared.measure.length} candidate${prepared.measure.length === 1 ? '' : 's'} is built and measured; every index is rolled back afterwards${rowLockNote(statements)}`,
    );
    const outcomes = interleaved(statements) ? await measureInterleaved(session, prepared.measure) : await measureSequential(session, prepared.measure);
    return { baselinePlans, prepared, outcomes };
  });
  await requireIndexesUnchanged(client, namesBefore, session.prefix);

  const { baseline, outcomes } = sharedBaseline(inside.outcomes);
  const ranked = rankOutcomes(outcomes);
  const winner = pickWinner(ranked);
  const verdict = inside.prepared.measure.length === 0 ? 'no-candidates' : winner ? 'recommended' : 'no-index-helps';
  if (options.runs === 1 && verdict !== 'no-candidates') note('with --runs 1 one pair of runs decides; use --runs 3 or more before trusting the verdict');
  return {
    statements: statements.map((s) => ({ label: s.label, text: s.text, params: s.values, writes: s.writes, locksRows: s.locksRows })),
    baselinePlans: inside.baselinePlans,
    baseline,
    measurement: interleaved(statements) ? 'interleaved' : 'sequential',
    runs: options.runs,
    timeoutMs: options.timeoutMs,
    outcomes: ranked,
    covered: inside.prepared.covered,
    skipped: inside.prepared.skipped,
    tables: inside.prepared.tables.map(({ identifier: _identifier, ...table }) => table),
    verdict,
    winner,
    command: winner ? adviceCommand(winner.candidate) : null,
    indexesUnchanged: true,
    notes,
  };
}

/**
 * The rows a writing (or locking) statement touches stay locked by the advice's transaction until
 * its rollback: other sessions that write them wait that long. Said with the lock warning, naming
 * the statements when there are several.
 */
function rowLockNote(statements: readonly AdviseStatement[]): string {
  const lockers = statements.filter((s) => s.writes || s.locksRows);
  if (lockers.length === 0) return '';
  const which = statements.length === 1 ? 'the statement' : lockers.map((s) => s.label).join(', ');
  const plural = lockers.length > 1;
  const verb = lockers.every((s) => s.writes) ? (plural ? 'write' : 'writes') : lockers.every((s) => !s.writes) ? (plural ? 'lock rows' : 'locks rows') : 'write or lock rows';
  return `; ${which} ${verb}: ` +
    'the rows touched stay locked (writes to them wait) until the rollback at the end';
}

/** A statement that only reads (and locks no rows) can run "before" on a second connection beside the build. */
function interleaved(statements: readonly AdviseStatement[]): boolean {
  return statements.every((s) => !s.writes && !s.locksRows);
}

/** Run 0: each statement's plan with schemas (errors the user's input causes become one line). */
async function runZero(session: Session): Promise<ParsedPlan[]> {
  const { runtime, client, statements } = session;
  const plans: ParsedPlan[] = [];
  for (const statement of statements) {
    checkAborted(runtime, WHAT);
    runtime.out.say(`explaining ${statement.label}${statement.writes ? ', which writes' : ''} (run 0: the plan candidates are read from; it warms the cache and is not counted)`);
    const bound = { text: statement.text, values: statement.values, fromQuery: statement.fromUser, ...(statement.errorName ? { errorName: statement.errorName } : {}) };
    plans.push(await inSavepoint(client, { disableIndexScans: false }, () => explainOnce(client, bound)));
    session.verbose.push(await explainVerbose(client, statement.text, statement.values));
  }
  return plans;
}

/**
 * Resolves each candidate's table through the catalog and keeps those worth building: real columns
 * of a plain table, not led by an existing index, at most --max-candidates (heaviest first).
 */
async function prepareCandidates(client: pg.ClientBase, candidates: IndexCandidate[], options: AdviseOptions): Promise<Prepared> {
  const skipped: Prepared['skipped'] = [];
  const byTable = new Map<string, { identifier: Identifier; facts: TableFacts; existing: ExistingIndex[] }>();
  const resolved: IndexCandidate[] = [];
  const tableOf = new Map<IndexCandidate, Identifier>();
  // A saved plan names relations without their schema: the live plan's schema for the same name, when it has one.
  const schemasOf = new Map<string, Set<string>>();
  for (const { relation } of candidates) {
    if (relation.schema !== undefined) schemasOf.set(relation.name, (schemasOf.get(relation.name) ?? new Set()).add(relation.schema));
  }
  for (const candidate of candidates) {
    const known = schemasOf.get(candidate.relation.name);
    const schema = candidate.relation.schema ?? (known?.size === 1 ? [...known][0] : undefined);
    const named = catalogIdentifier(schema, candidate.relation.name);
    const identifier = await findTable(client, named);
    const description = `${named.text} (${candidate.columns.map((c) => c.name).join(', ')})`;
    if (!identifier) {
      skipped.push({ description, reason: `no table ${named.text} is visible to this session` });
      continue;
    }
    let entry = byTable.get(identifier.sql);
    if (!entry) {
      const facts = await tableFacts(client, identifier);
      if (!facts) continue;
      const existing = (await listIndexes(client, identifier)).filter((index) => index.valid && !index.partial).map((index) => ({ name: index.name, columns: index.columns }));
      entry = { identifier, facts, existing };
      byTable.set(identifier.sql, entry);
    }
    if (!INDEXABLE.has(entry.facts.kind)) {
      skipped.push({ description, reason: `${identifier.text} is ${KIND_NAMES[entry.facts.kind] ?? `a relation of kind ${entry.facts.kind}`}: no candidate is built on it` });
      continue;
    }
    const unknown = candidate.columns.find((c) => !entry!.facts.columns.includes(c.name));
    if (unknown) {
      skipped.push({ description, reason: `${unknown.name} is not a column of ${identifier.text} (an output name or expression in the plan)` });
      continue;
    }
    const withSchema = { ...candidate, relation: { schema: identifier.schema, name: identifier.name } };
    tableOf.set(withSchema, identifier);
    resolved.push(withSchema);
  }
  // A saved plan without schemas and the live one with them now name the same tables: merge again.
  const merged = mergeCandidates([resolved]).map((candidate) => {
    const identifier = [...tableOf.entries()].find(([c]) => c.relation.schema === candidate.relation.schema && c.relation.name === candidate.relation.name)![1];
    return resolvedCandidate(candidate, identifier);
  });
  const { kept, covered } = withoutExisting(merged, (relation) => byTable.get(catalogIdentifier(relation.schema, relation.name).sql)?.existing ?? []);
  const measure = (kept as ResolvedCandidate[]).slice(0, options.maxCandidates);
  for (const candidate of (kept as ResolvedCandidate[]).slice(options.maxCandidates)) {
    skipped.push({ description: candidate.description, reason: `over --max-candidates ${options.maxCandidates} (ranked by the time of the plan part it could change)` });
  }
  const tables = [...new Set(measure.map((c) => c.table.sql))].map((sqlName) => {
    const entry = byTable.get(sqlName)!;
    return { identifier: entry.identifier, table: entry.identifier.text, heapBytes: entry.facts.heapBytes, estimatedRows: entry.facts.estimatedRows };
  });
  return {
    measure,
    covered: covered.map((c) => ({ ...c, description: (c.candidate as ResolvedCandidate).description })),
    skipped,
    tables,
  };
}

/** Tables above --max-table-size: refused (exit 2) unless --force, which is noted. */
function refuseLargeTables(prepared: Prepared, options: AdviseOptions, note: (line: string) => void): void {
  const large = prepared.tables.filter((t) => t.heapBytes > options.maxTableBytes);
  if (large.length === 0) return;
  const list = large.map((t) => `${t.table} (${pgSizeText(t.heapBytes)} heap, about ${t.estimatedRows.toLocaleString('en-US')} rows)`).join(', ');
  if (!options.force) {
    throw usageError(
      `refusing to build candidate indexes on ${list}: above --max-table-size ${pgSizeText(options.maxTableBytes)}, and CREATE INDEX holds a SHARE lock (writes wait) for the whole build`,
      'pass --force to build anyway, or raise --max-table-size',
    );
  }
  note(`--force: building candidate indexes on ${list}, above --max-table-size ${pgSizeText(options.maxTableBytes)}`);
}

/** One run of every statement on `client`; a statement that writes runs in a savepoint, so each run sees the same rows. */
async function runAll(session: Session, client: ExplainClient): Promise<ParsedPlan[]> {
  const plans: ParsedPlan[] = [];
  for (const [i, statement] of session.statements.entries()) {
    const once = async () => parsePlan(withSchemas(await explainStatement(client, statement.text, statement.values), session.verbose[i]));
    plans.push(statement.writes || statement.locksRows ? await inSavepoint(client, { disableIndexScans: false }, once) : await once());
  }
  return plans;
}

/** Reads: "before" on a second connection in its own rolled-back transaction, alternating with "after" run by run. */
async function measureInterleaved(session: Session, candidates: ResolvedCandidate[]): Promise<CandidateOutcome[]> {
  const { runtime, options } = session;
  const other = await runtime.client();
  const stopCancelling = runtime.cancelOnAbort(other);
  try {
    return await inRolledBackTransaction(other, options.timeoutMs, async () => {
      const outcomes: CandidateOutcome[] = [];
      const before = () => runAll(session, other).catch((error: unknown) => {
        throw new BaselineFailure(error);
      });
      // The second session's first run pays for its own start (catalog caches, opening the files), as run 0 did for the first.
      checkAborted(runtime, WHAT);
      await before();
      for (const [i, candidate] of candidates.entries()) {
        outcomes.push(await measureCandidate(session, candidate, i, candidates.length, async (runs) => {
          const sides = { before: [] as ParsedPlan[][], after: [] as ParsedPlan[][] };
          for (let r = 0; r < runs; r++) {
            checkAborted(runtime, WHAT);
            // Alternate which side goes first, so neither always runs on the other's warm cache.
            if (r % 2 === 0) sides.before.push(await before());
            sides.after.push(await runAll(session, session.client));
            if (r % 2 === 1) sides.before.push(await before());
          }
          return sides;
        }));
      }
      return outcomes;
    });
  } catch (error) {
    throw error instanceof BaselineFailure ? error.original : error;
  } finally {
    stopCancelling();
  }
}

/** Writes: "before" runs on the same connection just before each build (they would wait for its lock beside it). */
async function measureSequential(session: Session, candidates: ResolvedCandidate[]): Promise<CandidateOutcome[]> {
  const outcomes: CandidateOutcome[] = [];
  for (const [i, candidate] of candidates.entries()) {
    const before: ParsedPlan[][] = [];
    for (let r = 0; r < session.options.runs; r++) {
      checkAborted(session.runtime, WHAT);
      before.push(await runAll(session, session.client));
    }
    outcomes.push(await measureCandidate(session, candidate, i, candidates.length, async (runs) => {
      const after: ParsedPlan[][] = [];
      for (let r = 0; r < runs; r++) {
        checkAborted(session.runtime, WHAT);
        after.push(await runAll(session, session.client));
      }
      return { before, after };
    }));
  }
  return outcomes;
}

/** One candidate: savepoint, build, runs, rollback to the savepoint; a failure of this candidate alone is reported, not thrown. */
async function measureCandidate(
  session: Session, candidate: ResolvedCandidate, i: number, count: number,
  runs: (runs: number) => Promise<{ before: ParsedPlan[][]; after: ParsedPlan[][] }>,
): Promise<CandidateOutcome> {
  const { runtime, client, options } = session;
  const name = `${session.prefix}${i + 1}`;
  checkAborted(runtime, WHAT);
  runtime.out.say(`candidate ${i + 1}/${count}: building ${candidate.description} inside the transaction (rolled back after its runs)`);
  await candidateSavepoint(client);
  let stage: 'build' | 'run' = 'build';
  try {
    const started = performance.now();
    const indexBytes = await buildCandidateIndex(client, candidate.table, name, indexColumnsSql(candidate.columns), BUILD_LOCK_TIMEOUT_MS);
    const buildMs = performance.now() - started;
    stage = 'run';
    const sides = await runs(options.runs);
    await rollbackCandidate(client);
    const effect = measuredEffect(sides.before, sides.after, name);
    runtime.out.say(`candidate ${i + 1}/${count}: ${effect.before.medianMs.toFixed(3)} ms -> ${effect.after.medianMs.toFixed(3)} ms (medians of ${options.runs})`);
    return { state: 'measured', candidate, indexName: name, buildMs, indexBytes, effect };
  } catch (error) {
    if (runtime.signal.aborted || error instanceof BaselineFailure || !isPostgresError(error)) throw error;
    // This candidate's failure: its savepoint undoes it; a failure to get back there ends the run.
    await rollbackCandidate(client).catch(() => {
      throw error;
    });
    const message = describeFailure(error, stage, options.timeoutMs);
    session.note(`candidate ${candidate.description} was not measured: ${message}`);
    return { state: 'failed', candidate, stage, message };
  }
}

/** One line for a candidate that could not be built or run. */
function describeFailure(error: { code: string; message: string }, stage: 'build' | 'run', timeoutMs: number): string {
  if (error.code === '55P03') return `the build could not take its SHARE lock within ${BUILD_LOCK_TIMEOUT_MS / 1000} s (another session writes to the table); nothing was built`;
  if (error.code === '57014') return stage === 'run' ? `with the index the statement ran longer than --timeout ${timeoutMs} ms` : `the build ran longer than --timeout ${timeoutMs} ms (raise --timeout for a large table)`;
  return `${stage === 'build' ? 'the build' : 'a run with the index'} failed: PostgreSQL error ${error.code}: ${firstLine(error.message)}`;
}

/**
 * The rollback guarantees this; if it ever fails, say so loudly rather than report success. New
 * indexes made meanwhile by other sessions are theirs: only a candidate left behind or an index
 * gone counts.
 */
async function requireIndexesUnchanged(client: ExplainClient, namesBefore: Map<string, { table: Identifier; names: string[] }>, prefix: string): Promise<void> {
  for (const { table, names } of namesBefore.values()) {
    const now = await indexNames(client, table);
    const left = now.filter((name) => name.startsWith(prefix));
    const gone = names.filter((name) => !now.includes(name));
    if (left.length > 0 || gone.length > 0) {
      throw new UserError(`the indexes of ${table.text} changed during explain --advise: ${left.length > 0 ? `left behind [${left.join(', ')}]` : ''}${gone.length > 0 ? ` gone [${gone.join(', ')}]` : ''}`,
        'this is a bug in perfbench; please report it');
    }
  }
}
