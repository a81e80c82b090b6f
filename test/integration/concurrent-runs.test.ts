/**
 * Issue 15, item 1: runs on one table at once, against the real PostgreSQL. Two benches started
 * together used to race to create the same index (one died on a raw 23505); started apart, the first
 * dropped the index under the second, whose JSON still said usesIndex: true. Now runs on a table take
 * turns (a second one waits, saying for whom, or fails at once with --no-wait), and a path's plan is
 * verified after every trial and at the end: a change flags the path plan-changed and fails the run.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { gate } from '../../src/measure/gate.js';
import { bench, benchVerdict } from '../../src/usecases/bench.js';
import { seed } from '../../src/usecases/dataset.js';
import { cli } from '../support/cli.js';
import { eventually, exitOf, killAll, perfbench } from '../support/child-perfbench.js';
import { dropSeededTable, indexNamesOf, TEST_DATABASE_URL, testRuntime, uniqueTable, withRuntime } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const tables: string[] = [];
const SINCE = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC';

beforeAll(() => admin.connect());
afterEach(killAll);
afterAll(async () => {
  for (const table of tables) {
    await dropSeededTable(admin, table);
  }
  await admin.end();
});

async function seeded(prefix: string): Promise<string> {
  const table = uniqueTable(prefix);
  tables.push(table);
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '20000', categories: '40', distribution: 'uniform', seed: '4' })));
  return table;
}

/** Records perfbench keeps about the table: lock holders and index intents (none once every run is done). */
async function bookkeeping(table: string): Promise<{ runs: number; intents: number }> {
  const runs = await admin.query('SELECT count(*)::int AS n FROM perfbench_runs WHERE table_key = $1', [`public.${table}`]);
  const intents = await admin.query('SELECT count(*)::int AS n FROM perfbench_index_intents WHERE table_name = $1', [table]);
  return { runs: runs.rows[0].n, intents: intents.rows[0].n };
}

describe('two benches on one table', () => {
  it('started together: both exit 0 with index-scan figures, one waited for the other and said whose run it was', async () => {
    const table = await seeded('together');
    const before = await indexNamesOf(admin, table);
    // The first runs ever also race to create perfbench's bookkeeping tables: that must not collide either.
    await admin.query('DROP TABLE IF EXISTS perfbench_runs, perfbench_index_intents');
    const args = ['bench', '--table', table, '--paths', 'seq,index', '--duration', '800ms', '--warmup', '0', '--trials', '2', '--format', 'json'];
    const runs = [perfbench(args), perfbench(args)];
    const codes = await Promise.all(runs.map((run) => exitOf(run, 120_000)));
    expect(codes, runs.map((run) => run.output.stderr).join('\n---\n')).toEqual([ExitCode.ok, ExitCode.ok]);

    for (const run of runs) {
      expect(run.output.stderr).not.toMatch(/23505|duplicate key|\n\s+at /);
      const result = JSON.parse(run.output.stdout) as { paths: Array<{ name: string; plan?: { usesIndex: boolean }; flags?: string[] }> };
      const index = result.paths.filter((path) => path.name === 'index');
      expect(index).toHaveLength(2);
      for (const path of index) {
        expect(path.plan?.usesIndex).toBe(true);
        expect(path.flags ?? []).not.toContain('plan-changed');
      }
    }
    const waited = runs.filter((run) => run.output.stderr.includes('waiting for another perfbench run'));
    expect(waited).toHaveLength(1);
    const first = runs.find((run) => run !== waited[0])!;
    expect(waited[0]!.output.stderr).toMatch(new RegExp(
      `^waiting for another perfbench run on ${table} \\(bench, pid ${first.child.pid} on host ${hostname()}, since ${SINCE}\\); ` +
      'up to 10 min \\(--lock-timeout; --no-wait fails at once\\)$', 'm'));
    // Each run created the index for itself and dropped it: the second did not take the first's for pre-existing.
    for (const run of runs) expect(run.output.stderr).toMatch(/created index \S+ for the run .*; it is dropped afterwards/);
    expect(await indexNamesOf(admin, table)).toEqual(before);
    expect(await bookkeeping(table)).toEqual({ runs: 0, intents: 0 });
  });

  it('--no-wait fails at once and --lock-timeout gives up in time, each in one line with exit 1; index add waits too', async () => {
    const table = await seeded('nowait');
    const before = await indexNamesOf(admin, table);
    const first = perfbench(['bench', '--table', table, '--paths', 'index', '--duration', '30s', '--warmup', '0', '--trials', '1', '--format', 'json']);
    await eventually('the first run to hold the table', async () => {
      const holder = await admin.query('SELECT pid FROM perfbench_runs WHERE table_key = $1', [`public.${table}`]).catch(() => ({ rows: [] }));
      return holder.rows[0]?.pid === first.child.pid ? true : undefined;
    }, 30_000);
    const who = `\\(bench, pid ${first.child.pid} on host ${hostname()}, since ${SINCE}\\)`;

    const startedAt = Date.now();
    const refused = await cli(['bench', '--table', table, '--paths', 'seq', '--duration', '1s', '--no-wait']);
    expect(refused.code).toBe(ExitCode.failure);
    expect(refused.stderr).toMatch(new RegExp(`^perfbench: another perfbench run is using ${table} ${who} — ` +
      'run again when it has finished \\(without --no-wait perfbench waits for it\\), or use another --table\\n$'));
    expect(Date.now() - startedAt).toBeLessThan(10_000);

    const timedOut = await cli(['bench', '--table', table, '--paths', 'seq', '--duration', '1s', '--lock-timeout', '1s']);
    expect(timedOut.code).toBe(ExitCode.failure);
    expect(timedOut.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^waiting for another perfbench run on ${table} ${who}; up to 1 s `)),
      expect.stringMatching(new RegExp(`^perfbench: gave up waiting for another perfbench run on ${table} after 1 s ${who} — run again when it has finished, or raise --lock-timeout$`)),
    ]);

    const add = await cli(['index', 'add', '--table', table, '--no-wait']);
    expect(add.code).toBe(ExitCode.failure);
    expect(add.stderr).toMatch(new RegExp(`^perfbench: another perfbench run is using ${table} \\(bench, pid ${first.child.pid} `));
    const usage = await cli(['bench', '--table', table, '--no-wait', '--lock-timeout', '5s']);
    expect(usage.code).toBe(ExitCode.usage);

    // Ctrl-C while waiting: exit 130, nothing changed.
    const waiter = perfbench(['bench', '--table', table, '--paths', 'index', '--duration', '1s']);
    await eventually('the second run to wait', async () => (waiter.output.stderr.includes('waiting for another perfbench run') ? true : undefined));
    waiter.child.kill('SIGINT');
    expect(await exitOf(waiter)).toBe(ExitCode.interrupted);
    expect(waiter.output.stderr.trimEnd().split('\n').at(-1)).toBe(`perfbench: interrupted: stopped while waiting for another perfbench run on ${table}; nothing was changed`);

    first.child.kill('SIGINT');
    expect(await exitOf(first)).toBe(ExitCode.interrupted);
    expect(await indexNamesOf(admin, table)).toEqual(before);
    expect(await bookkeeping(table)).toEqual({ runs: 0, intents: 0 });
  });
});

describe('a plan that changes during the run', () => {
  it('between trials: the trials after the change are flagged plan-changed, a loud warning, and the run exits 1', async () => {
    const table = await seeded('plan_mid');
    const before = await indexNamesOf(admin, table);
    const runtime = testRuntime();
    let dropped: Promise<unknown> | undefined;
    try {
      const options = benchOptions({ table, paths: 'index', duration: '400ms', warmup: '0', trials: '3' });
      const outcome = await bench(runtime, options, {
        // Another session drops the run's index as trial 2 begins.
        onProgress: (event) => {
          if (event.target === 'index' && event.trial === 2 && event.phase === 'setup' && !dropped) dropped = admin.query(`DROP INDEX ${table}_category_btree_pb`);
        },
      });
      await dropped;
      const index = outcome.result.paths.filter((path) => path.name === 'index');
      expect(index.map((path) => path.plan?.usesIndex)).toEqual([true, false, false]);
      expect(index.map((path) => (path.flags ?? []).includes('plan-changed'))).toEqual([false, true, true]);
      const loud = outcome.warnings.filter((line) => line.startsWith('PLAN CHANGED during the run: the index path first read the table with '));
      expect(loud).toHaveLength(1);
      expect(loud[0]).toMatch(/using \S+_category_btree_pb, later with Seq Scan on \S+; its figures mix two plans/);

      const verdict = benchVerdict(outcome, false);
      expect(verdict.exitCode).toBe(ExitCode.failure);
      expect(verdict.lines.at(-1)).toMatch(/^perfbench: the plan of index changed during the run; its figures mix two plans/);
      // Against a baseline, the gate does not compare the path and says it failed.
      const report = gate(outcome.result, outcome.result, { thresholdPct: 10 });
      expect(report.verdicts.map((v) => v.verdict)).toEqual(['plan-changed']);
    } finally {
      await runtime.close();
    }
    expect(runtime.out.stderr).not.toContain('cleanup failed');
    expect(await indexNamesOf(admin, table)).toEqual(before);
  });

  it('after the path\'s last trial: the check at the end of the run still flags it', async () => {
    const table = await seeded('plan_end');
    const runtime = testRuntime();
    let dropped: Promise<unknown> | undefined;
    try {
      const options = benchOptions({ table, paths: 'index,noop', duration: '300ms', warmup: '0', trials: '2' });
      const outcome = await bench(runtime, options, {
        onProgress: (event) => {
          if (event.target === 'noop' && event.trial === 2 && event.phase === 'setup' && !dropped) dropped = admin.query(`DROP INDEX ${table}_category_btree_pb`);
        },
      });
      await dropped;
      const index = outcome.result.paths.filter((path) => path.name === 'index');
      expect(index.map((path) => path.plan?.usesIndex)).toEqual([true, true]);
      expect(index.map((path) => (path.flags ?? []).includes('plan-changed'))).toEqual([false, true]);
      expect(index[1]!.notes?.some((note) => /^PLAN CHANGED during the run: .*\[found at the end of the run\]$/.test(note))).toBe(true);
      expect(benchVerdict(outcome, false).exitCode).toBe(ExitCode.failure);
    } finally {
      await runtime.close();
    }
  });
});
