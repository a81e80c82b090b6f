import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDifference, mergeDifferences } from '../../src/measure/merge-check.js';
import type { BenchResult } from '../../src/measure/result.js';
import { merge } from '../../src/usecases/result-file.js';

const golden = JSON.parse(readFileSync(new URL('../golden/bench.json', import.meta.url), 'utf8')) as BenchResult;
const variant = (options: Record<string, unknown> = {}, environment: Record<string, unknown> = {}): BenchResult =>
  ({ ...golden, options: { ...golden.options, ...options }, environment: { ...golden.environment, ...environment } });

describe('merge compatibility', () => {
  it('finds nothing between runs of one benchmark (the order of paths does not matter)', () => {
    const paths = (order: string[]) => variant({ paths: order });
    expect(mergeDifferences([paths(['seq', 'index']), paths(['index', 'seq'])], ['a', 'b'])).toEqual([]);
  });

  it.each([
    [{ durationMs: 2000 }, {}, 'durationMs (a.json 5000, b.json 2000)'],
    [{ concurrency: [4] }, {}, `concurrency (a.json ${golden.options.concurrency.join(',')}, b.json 4)`],
    [{ mode: 'open', ratePerSec: 100 }, {}, 'mode (a.json closed, b.json open)'],
    [{}, { dataset: 'other' }, `dataset (a.json ${String(golden.environment.dataset)}, b.json other)`],
    [{}, { table: 'orders' }, 'table (a.json none, b.json orders)'],
  ])('names what differs: %j %j', (options, environment, described) => {
    const differences = mergeDifferences([golden, variant(options, environment)], ['a.json', 'b.json']);
    expect(differences.map(describeDifference)).toContain(described);
  });

  it('refuses to merge different runs in one line (exit 2), and merges them with --force saying what differed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-merge-'));
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify(golden));
    writeFileSync(b, JSON.stringify(variant({ durationMs: 2000 })));
    const refused = await merge([a, b]).catch((error: unknown) => error);
    expect(refused).toMatchObject({ exitCode: 2 });
    expect(String((refused as Error).message)).toContain('they differ in durationMs (a.json 5000, b.json 2000)');
    const forced = await merge([a, b], { force: true });
    expect(forced.result.notes).toContain('merged with --force although they differ in durationMs (a.json 5000, b.json 2000)');
    expect(forced.result.notes).toContain('merged 2 results (a.json, b.json)');
    const same = await merge([a, a]);
    expect(same.result.paths[0]!.ops).toBe(2 * golden.paths[0]!.ops);
  });
});
