/**
 * The `explain --advise` reporter (issue 11, item 6): text, Markdown and JSON of a result assembled
 * the way the use case assembles it (shared baseline, ranking, winner, command) from captured plans
 * with set times, checked against golden files; and the verdict lines of the other outcomes.
 */
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import {
  adviceCommand, measuredEffect, pickWinner, rankOutcomes, resolvedCandidate, sharedBaseline,
  type AdviseResult, type CandidateOutcome,
} from '../../src/plan/index-advice.js';
import { indexCandidates } from '../../src/plan/index-candidates.js';
import { parsePlan, type ParsedPlan } from '../../src/plan/plan.js';
import { explainAdviseJson, renderAdvise } from '../../src/report/advise-output.js';
import { catalogIdentifier } from '../../src/workload/identifiers.js';
import { expectGolden } from '../support/golden.js';
import { fixtureJson } from './plan-fixture.js';

const TABLE = catalogIdentifier('Sales', 'Order Lines');
const QUERY = 'SELECT id FROM "Sales"."Order Lines" WHERE "Status" = $1 AND "select" = 7';

function seqScan(ms: number): ParsedPlan {
  const json = fixtureJson('advise-multi-column');
  json[0]['Execution Time'] = ms;
  return parsePlan(json);
}

function bitmapScan(ms: number, indexName: string): ParsedPlan {
  const json = fixtureJson('bitmap-heap-scan');
  json[0]['Execution Time'] = ms;
  Object.assign(json[0]['Plan'], { 'Relation Name': 'Order Lines', Schema: 'Sales', Alias: 'Order Lines' });
  json[0]['Plan']['Plans'][0]['Index Name'] = indexName;
  return parsePlan(json);
}

/** The three candidates of the captured multi-column filter, resolved to "Sales"."Order Lines". */
const [status, select, both] = indexCandidates(seqScan(4)).map((c) => resolvedCandidate(c, TABLE));

function measured(candidate: typeof status, i: number, before: number[], after: number[]): CandidateOutcome {
  const name = `pb_advise_777_${i}`;
  return {
    state: 'measured', candidate: candidate!, indexName: name, buildMs: 120 + i, indexBytes: 729088,
    effect: measuredEffect(before.map((ms) => [seqScan(ms)]), after.map((ms) => [bitmapScan(ms, name)]), name),
  };
}

/** A result as adviseStatements assembles it. */
function result(outcomes: CandidateOutcome[], extra: Partial<AdviseResult> = {}): AdviseResult {
  const shared = sharedBaseline(outcomes);
  const ranked = rankOutcomes(shared.outcomes);
  const winner = pickWinner(ranked);
  return {
    source: { kind: 'query', table: null, column: null, category: null, query: QUERY, params: ['status-5'], file: null },
    statements: [{ label: '--query', text: QUERY, params: ['status-5'], writes: false, locksRows: false }],
    baselinePlans: [seqScan(61.25)],
    baseline: shared.baseline,
    measurement: 'interleaved',
    runs: 3,
    timeoutMs: 30000,
    outcomes: ranked,
    covered: [{ candidate: status!, by: 'Order Lines_Status_idx', description: '"Sales"."Order Lines" ("Status") [example]' }],
    skipped: [{ description: '"Sales"."Order Lines" (total)', reason: 'total is not a column of "Sales"."Order Lines" (an output name or expression in the plan)' }],
    tables: [{ table: '"Sales"."Order Lines"', heapBytes: 6635520, estimatedRows: 100000 }],
    verdict: outcomes.length === 0 ? 'no-candidates' : winner ? 'recommended' : 'no-index-helps',
    winner,
    command: winner ? adviceCommand(winner.candidate) : null,
    indexesUnchanged: true,
    notes: [],
    ...extra,
  };
}

const full = () => result([
  measured(select, 1, [30, 28, 31], [0.4, 0.5, 0.45]),
  measured(both, 2, [26, 27, 25], [0.07, 0.09, 0.08]),
  { state: 'failed', candidate: status!, stage: 'build', message: 'the build failed: PostgreSQL error 54000: index row size 3000 exceeds btree version 4 maximum 2704' },
]);

describe('explain --advise output', () => {
  it('text: the baseline, candidates best first with plan change, time, buffers and reasons, the winner\'s command', () => {
    expectGolden('advise.txt', renderAdvise(full(), 'text'));
  });

  it('Markdown: a table of the candidates, the reasons, and the command in a code block', () => {
    expectGolden('advise.md', renderAdvise(full(), 'markdown'));
  });

  it('JSON: every figure, the noise rule, the temporary index names kept', () => {
    const text = renderAdvise(full(), 'json');
    expectGolden('advise.json', text);
    const document = JSON.parse(text);
    expect(document).toMatchObject({ schemaVersion: 1, kind: 'perfbench.explain-advise', verdict: 'recommended', measurement: { noise: { minGainShare: 0.1, minSuperiority: 0.9 } } });
    expect(document.winner).toEqual({
      rank: 1, description: '"Sales"."Order Lines" ("Status", "select")',
      command: { kind: 'create-index', text: 'CREATE INDEX ON "Sales"."Order Lines" ("Status", "select");', why: expect.stringContaining('single-column') },
    });
    expect(document.candidates.map((c: { state: string }) => c.state)).toEqual(['measured', 'measured', 'failed']);
  });

  it('a one-column winner gets its `perfbench index add`, and colour only when asked', () => {
    const single = result([measured(select, 1, [30, 28, 31], [0.4, 0.5, 0.45])]);
    const text = renderAdvise(single, 'text');
    expect(text).toContain(`\n  perfbench index add --table '"Sales"."Order Lines"' --column '"select"'\n`);
    expect(text).not.toMatch(/\u001b\[/);
    expect(renderAdvise(single, 'text', new Chalk({ level: 1 }))).toContain('\u001b[32mRecommended:');
    expect(explainAdviseJson(single).winner?.command).toEqual({ kind: 'index-add', text: `perfbench index add --table '"Sales"."Order Lines"' --column '"select"'`, why: null });
  });

  it('no index helps: the best candidate within noise is named with its figures, and nothing is recommended', () => {
    const noisy = result([measured(select, 1, [30, 28, 31], [29, 27, 30])]);
    expect(noisy.verdict).toBe('no-index-helps');
    const text = renderAdvise(noisy, 'text');
    expect(text).toContain('No index helps: the best candidate, "Sales"."Order Lines" ("select"), was 1.03x faster (30.000 ms -> 29.000 ms), within noise');
    expect(text).toContain('Nothing is recommended.');
    expect(text).not.toContain('perfbench index add');
    expect(explainAdviseJson(noisy)).toMatchObject({ verdict: 'no-index-helps', winner: null });
  });

  it('no candidates: nothing built, and the run said so', () => {
    const none = result([], { covered: [], skipped: [], tables: [] });
    const text = renderAdvise(none, 'text');
    expect(text).toContain('No candidate to measure: the plan has no filter, join, sort or group key a new B-tree could serve. Nothing was built.');
    expect(text).toContain('Rolled back: nothing was built.');
    expect(explainAdviseJson(none).measurement.baseline).toBeNull();
  });

  it('a statement that writes: measured before each build, writes undone, sequences still advance', () => {
    const writes = result([measured(select, 1, [30, 28, 31], [0.4, 0.5, 0.45])], {
      measurement: 'sequential', statements: [{ label: '--query', text: 'UPDATE x SET a = 1', params: [], writes: true, locksRows: false }],
    });
    const text = renderAdvise(writes, 'text');
    expect(text).toContain('The statement writes, so "before" could not run beside the build (it would wait for its lock): 3 runs before each build, then 3 with the index, each in a savepoint, medians.');
    expect(text).toContain('The statement ran only inside that transaction: its writes were undone (sequences still advance).');
    const locking = renderAdvise(result([measured(select, 1, [30, 28, 31], [0.4, 0.5, 0.45])], {
      measurement: 'sequential', statements: [{ label: '--query', text: 'SELECT 1 FOR UPDATE', params: [], writes: false, locksRows: true }],
    }), 'text');
    expect(locking).toContain('The statement locks rows, so "before" could not run on a second connection (the two would wait for each other\'s row locks): 3 runs');
  });
});
