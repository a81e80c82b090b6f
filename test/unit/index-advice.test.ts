/**
 * Issue 11, item 6: the judgement of measured index advice, on plans with set execution times so
 * every figure is exact: the noise rule (median gain and Vargha-Delaney A over run pairs), the
 * shared baseline the ranking reads, the winner, and the command that builds it, which must run as
 * printed (split like a shell, and read back by the flag parser as the same table and column).
 */
import { describe, expect, it } from 'vitest';
import {
  adviceCommand, measuredEffect, NOISE, parsePgSize, pgSizeText, pickWinner, rankOutcomes, resolvedCandidate, sharedBaseline, superiority,
  type CandidateOutcome, type ResolvedCandidate,
} from '../../src/plan/index-advice.js';
import { indexCandidates, type IndexCandidate } from '../../src/plan/index-candidates.js';
import { parsePlan, type ParsedPlan } from '../../src/plan/plan.js';
import { catalogIdentifier, columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { shellWords } from '../support/shell-words.js';
import { fixtureJson } from './plan-fixture.js';

const INDEX = 'pb_advise_4242_1';

/** The captured Seq Scan on "Sales"."Order Lines", with its execution time set. */
function seqScan(executionMs: number): ParsedPlan {
  const json = fixtureJson('advise-multi-column');
  json[0]['Execution Time'] = executionMs;
  return parsePlan(json);
}

/** The captured Bitmap Heap Scan, moved onto "Sales"."Order Lines" and read through the candidate. */
function bitmapScan(executionMs: number, indexName = INDEX): ParsedPlan {
  const json = fixtureJson('bitmap-heap-scan');
  const top = json[0];
  top['Execution Time'] = executionMs;
  Object.assign(top['Plan'], { 'Relation Name': 'Order Lines', Schema: 'Sales', Alias: 'Order Lines' });
  top['Plan']['Plans'][0]['Index Name'] = indexName;
  return parsePlan(json);
}

const runs = (make: (ms: number) => ParsedPlan, times: number[]) => times.map((ms) => [make(ms)]);

describe('Vargha-Delaney A: the share of run pairs where "after" is faster', () => {
  it('counts every (before, after) pair, ties as half', () => {
    // after 1 and 2 beat all three; 13 beats only 14: (3 + 3 + 1) / 9.
    expect(superiority([10, 12, 14], [1, 2, 13])).toBe(7 / 9);
    expect(superiority([5, 5], [5, 4])).toBe((0.5 + 1 + 0.5 + 1) / 4);
    expect(superiority([], [1])).toBe(0);
  });
});

describe('one candidate, measured', () => {
  it('is beyond noise when its median is ≥ 10% below and ≥ 90% of pairs are faster', () => {
    const effect = measuredEffect(runs(seqScan, [30, 20, 25]), runs(bitmapScan, [2, 3, 1]), INDEX);
    expect(effect.before).toEqual({ runsMs: [30, 20, 25], medianMs: 25, minMs: 20, maxMs: 30 });
    expect(effect.after).toEqual({ runsMs: [2, 3, 1], medianMs: 2, minMs: 1, maxMs: 3 });
    expect(effect.pairedGainShare).toBe((25 - 2) / 25);
    expect(effect.superiority).toBe(1);
    expect(effect.beyondNoise).toBe(true);
    // Until the shared baseline is applied, gain and speed-up are against its own "before".
    expect(effect.gainMs).toBe(23);
    expect(effect.speedup).toBe(12.5);
    expect(effect.usesIndex).toEqual([`Bitmap Heap Scan on Sales.Order Lines using ${INDEX}`]);
    expect(effect.scanChanges).toEqual([`Seq Scan on Sales.Order Lines -> Bitmap Heap Scan on Sales.Order Lines using ${INDEX}`]);
    // Shared blocks of the median runs, as the captured plans read them.
    const blocks = (plan: ParsedPlan) => plan.root.buffers.sharedHit + plan.root.buffers.sharedRead;
    expect(effect.sharedBlocks).toEqual({ before: blocks(seqScan(25)), after: blocks(bitmapScan(2)) });
  });

  it('is within noise when the median gain is under 10%, even with most pairs faster', () => {
    const effect = measuredEffect(runs(seqScan, [30, 20, 25]), runs(bitmapScan, [24, 19, 26]), INDEX);
    expect(effect.pairedGainShare).toBe((25 - 24) / 25);
    // 24 beats 30 and 25; 19 beats all three; 26 beats 30: 6 of 9.
    expect(effect.superiority).toBe(6 / 9);
    expect(effect.beyondNoise).toBe(false);
  });

  it('is within noise when the medians differ a lot but the runs overlap', () => {
    const effect = measuredEffect(runs(seqScan, [10, 100, 10]), runs(bitmapScan, [5, 5, 50]), INDEX);
    expect(effect.pairedGainShare).toBe(0.5);
    expect(effect.superiority).toBe(7 / 9);
    expect(effect.superiority).toBeLessThan(NOISE.minSuperiority);
    expect(effect.beyondNoise).toBe(false);
  });

  it('does not count an index the "after" runs did not all read through', () => {
    const after = [[bitmapScan(2)], [seqScan(3)], [bitmapScan(1)]];
    const effect = measuredEffect(runs(seqScan, [30, 20, 25]), after, INDEX);
    expect(effect.usesIndex).toEqual([]);
    expect(measuredEffect(runs(seqScan, [30]), runs((ms) => bitmapScan(ms, 'someone_elses_idx'), [2]), INDEX).usesIndex).toEqual([]);
  });

  it('adds the statements of a run (a workload) and compares each statement\'s plans', () => {
    const before = [[seqScan(10), seqScan(5)], [seqScan(12), seqScan(6)]];
    const after = [[bitmapScan(1), seqScan(5)], [bitmapScan(2), seqScan(6)]];
    const effect = measuredEffect(before, after, INDEX);
    expect(effect.before.runsMs).toEqual([15, 18]);
    expect(effect.after.runsMs).toEqual([6, 8]);
    expect(effect.diffs).toHaveLength(2);
    expect(effect.diffs[1]!.swaps).toEqual([]);
    expect(effect.usesIndex).toHaveLength(1);
  });
});

const candidate = (columns: string[], extra: Partial<IndexCandidate> = {}): ResolvedCandidate => resolvedCandidate(
  { relation: { name: 'Order Lines' }, columns: columns.map((name) => ({ name })), reasons: [], weightMs: 1, ...extra },
  catalogIdentifier('Sales', 'Order Lines'),
);

function measured(columns: string[], before: number[], after: number[], indexName = INDEX): CandidateOutcome {
  return { state: 'measured', candidate: candidate(columns), indexName, buildMs: 10, indexBytes: 8192, effect: measuredEffect(runs(seqScan, before), runs((ms) => bitmapScan(ms, indexName), after), indexName) };
}

describe('ranking on a shared baseline, and the winner', () => {
  it('pools every candidate\'s "before" runs, so one measured on a cold cache does not rank higher for it', () => {
    // Candidate A ran while the cache was cold (its "before" is slow); B's after is faster.
    const a = measured(['Status'], [70, 60, 65], [2, 2.5, 3]);
    const b = measured(['Status', 'select'], [20, 22, 21], [0.1, 0.2, 0.1]);
    const { baseline, outcomes } = sharedBaseline([a, b]);
    // Pooled: 20, 21, 22, 60, 65, 70 -> median (22 + 60) / 2.
    expect(baseline).toEqual({ runsMs: [70, 60, 65, 20, 22, 21], medianMs: 41, minMs: 20, maxMs: 70 });
    const ranked = rankOutcomes(outcomes);
    expect(ranked.map((o) => o.candidate.description)).toEqual(['"Sales"."Order Lines" ("Status", "select")', '"Sales"."Order Lines" ("Status")']);
    const first = ranked[0] as CandidateOutcome & { state: 'measured' };
    expect(first.effect.gainMs).toBe(41 - 0.1);
    expect(first.effect.speedup).toBe(41 / 0.1);
    // Against its own "before" B had a smaller gain (21 - 0.1) than A (65 - 2.5): that would have ranked A first.
    expect(measuredEffect(runs(seqScan, [20, 22, 21]), runs(bitmapScan, [0.1, 0.2, 0.1]), INDEX).gainMs).toBeLessThan(65 - 2.5);
  });

  it('breaks a tie in gain by fewer shared blocks "after", and puts failed candidates last', () => {
    const failed: CandidateOutcome = { state: 'failed', candidate: candidate(['note']), stage: 'build', message: 'no' };
    const x = measured(['a'], [10, 10, 10], [1, 1, 1]);
    const y = measured(['b'], [10, 10, 10], [1, 1, 1]);
    (y as { effect: { sharedBlocks: { after: number } } }).effect.sharedBlocks.after = 0;
    expect(rankOutcomes([failed, x, y]).map((o) => o.candidate.columns[0]!.name)).toEqual(['b', 'a', 'note']);
  });

  it('recommends the best candidate that is beyond noise and read through its index; else nothing', () => {
    const noisy = measured(['a'], [10, 100, 10], [5, 5, 50]);
    const clear = measured(['b'], [30, 20, 25], [2, 3, 1]);
    const unused = measured(['c'], [30, 20, 25], [1, 1, 1], 'pb_advise_4242_3');
    (unused as { effect: { usesIndex: string[] } }).effect.usesIndex = [];
    expect(pickWinner([unused, noisy, clear])).toBe(clear);
    expect(pickWinner([unused, noisy])).toBeNull();
    expect(pickWinner([])).toBeNull();
  });
});

describe('the command for the winner', () => {
  it.each([
    ['Sales', 'Order Lines', 'Customer Id', `perfbench index add --table '"Sales"."Order Lines"' --column '"Customer Id"'`],
    ['public', 'orders', 'customer_id', 'perfbench index add --table public.orders --column customer_id'],
    ['shop', 'order', 'select', `perfbench index add --table 'shop."order"' --column '"select"'`],
    ['it\'s', 'Ünits', 'x', `perfbench index add --table '"it'\\''s"."Ünits"' --column x`],
  ])('one column on %s.%s(%s): `perfbench index add` that a shell and the flag parser read back', (schema, table, column, expected) => {
    const command = adviceCommand(resolvedCandidate({ relation: { name: table }, columns: [{ name: column }], reasons: [], weightMs: 0 }, catalogIdentifier(schema, table)));
    expect(command).toEqual({ kind: 'index-add', text: expected });
    const words = shellWords(command.text);
    expect(words.slice(0, 3)).toEqual(['perfbench', 'index', 'add']);
    const parsedTable = tableIdentifier(words[words.indexOf('--table') + 1]!);
    expect([parsedTable.schema, parsedTable.name]).toEqual([schema, table]);
    expect(columnIdentifier(words[words.indexOf('--column') + 1]!).name).toBe(column);
  });

  it('a multi-column winner: its CREATE INDEX for psql, and why', () => {
    expect(adviceCommand(candidate(['Status', 'select']))).toEqual({
      kind: 'create-index',
      text: 'CREATE INDEX ON "Sales"."Order Lines" ("Status", "select");',
      why: 'perfbench index add builds single-column indexes; this one has 2 columns, so here is its CREATE INDEX to run in psql',
    });
  });

  it('a descending mixed-order winner keeps its order', () => {
    const [mixed] = indexCandidates(parsePlan(fixtureJson('advise-mixed-sort')));
    const command = adviceCommand(resolvedCandidate(mixed!, catalogIdentifier('Sales', 'Order Lines')));
    expect(command.text).toBe('CREATE INDEX ON "Sales"."Order Lines" ("Status", "amount" DESC);');
  });
});

describe('sizes in PostgreSQL\'s units', () => {
  it.each([['1GB', 1024 ** 3], ['500 MB', 500 * 1024 ** 2], ['64kB', 65536], ['4096', 4096], ['1.5gb', 1.5 * 1024 ** 3], ['2 TB', 2 * 1024 ** 4]])('reads %s', (text, bytes) => {
    expect(parsePgSize(text)).toBe(bytes);
  });

  it.each([['big'], ['1 GiB'], ['-1GB'], ['']])('rejects %s', (text) => {
    expect(parsePgSize(text)).toBeUndefined();
  });

  it('prints them as pg_size_pretty would round them', () => {
    expect([pgSizeText(512), pgSizeText(8192), pgSizeText(1024 ** 3), pgSizeText(1.5 * 1024 ** 2)]).toEqual(['512 bytes', '8 kB', '1 GB', '1.5 MB']);
  });
});
