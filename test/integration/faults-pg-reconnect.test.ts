/**
 * Issue 15, item 4: PostgreSQL stopped in the middle of a bench and started again 3.2 s later, on a
 * private server (never the shared one). The seq and index paths used to keep their dead
 * connections and fail in a tight loop (942,148 errors over two trials). They now reconnect with a
 * bounded backoff: the outage's operations fail, a few per second, and each path records the
 * outage's window in the result and in the warnings; the trials after it measure normally.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { renderReport } from '../../src/report/bench-report.js';
import { validateResult, type PathResult } from '../../src/measure/result.js';
import { bench, benchVerdict } from '../../src/usecases/bench.js';
import { seed } from '../../src/usecases/dataset.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { testRuntime, withRuntime } from '../support/services.js';
import { usesOnlyItsOwnServers } from '../support/one-file-at-a-time.js';

// A private PostgreSQL (stopped and started mid-run), memory:// for the cache: nothing shared, so no lock.
usesOnlyItsOwnServers();

let server: PrivatePostgres;
const table = 'products_reconnect';
const env = (): NodeJS.ProcessEnv => ({ DATABASE_URL: server.url(), REDIS_URL: 'memory://' });
/** Longer than what is left of seq's run after the stop, so the outage spans seq's end and index's start. */
const OUTAGE_MS = 3_200;

beforeAll(async () => {
  server = await PrivatePostgres.start();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '20000', categories: '40', distribution: 'uniform', seed: '4' })), env());
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

const ms = (iso: string): number => Date.parse(iso);

describe('PostgreSQL down for 3 s in the middle of bench', () => {
  it('reconnects with a bounded backoff, counts the outage as a few errors, and reports its window per path', async () => {
    const runtime = testRuntime(env());
    let outage: Promise<{ stoppedMs: number; startedMs: number }> | undefined;
    let outcome;
    try {
      // 3 trials of seq then index, 3 s each: the server goes down 0.3 s into seq's trial 2 and comes
      // back 3.2 s later (plus its startup), during index's trial 2; trial 3 of both runs on a healthy server.
      const options = benchOptions({ table, paths: 'seq,index', duration: '3s', warmup: '0', trials: '3' });
      outcome = await bench(runtime, options, {
        onProgress: (event) => {
          if (event.target === 'seq' && event.trial === 2 && event.phase === 'measure' && event.elapsedMs >= 300 && !outage) {
            outage = (async () => {
              await server.stopServer();
              const stoppedMs = Date.now();
              await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
              await server.startServer();
              return { stoppedMs, startedMs: Date.now() };
            })();
          }
        },
      });
    } finally {
      await runtime.close();
    }
    const window = await outage!;
    expect(window).toBeDefined();
    const trial = (name: string, n: number): PathResult => outcome.result.paths.find((p) => p.name === name && p.trial === n)!;

    // Not a tight loop: with one worker and the backoff capped at 1 s, a 3 s outage costs a handful
    // of failed operations per path (the issue saw 942,148).
    const errors = outcome.result.paths.reduce((total, p) => total + p.errors, 0);
    expect(errors).toBeGreaterThan(0);
    expect(errors).toBeLessThan(40);

    // seq, trial 2: the server went down under it, and was still down when its run ended.
    const seq2 = trial('seq', 2);
    expect(seq2.errors).toBeGreaterThan(0);
    expect(seq2.ops).toBeGreaterThan(0); // the 0.3 s before the stop
    expect(seq2.flags).toContain('connection-lost');
    expect(seq2.outages).toHaveLength(1);
    const [seqOutage] = seq2.outages!;
    expect(seqOutage!.endedAt).toBeUndefined();
    expect(ms(seqOutage!.startedAt)).toBeGreaterThanOrEqual(window.stoppedMs - 1_000);
    expect(seqOutage!.durationMs).toBeGreaterThan(2_000);
    expect(seqOutage!.reconnectAttempts).toBeGreaterThanOrEqual(2);
    expect(seqOutage!.reconnectAttempts).toBeLessThan(15);

    // index, trial 2: found its connections gone, and got them back once the server returned.
    const index2 = trial('index', 2);
    expect(index2.flags).toContain('connection-lost');
    expect(index2.outages).toHaveLength(1);
    const [indexOutage] = index2.outages!;
    expect(indexOutage!.endedAt).toBeDefined();
    expect(ms(indexOutage!.endedAt!)).toBeGreaterThanOrEqual(window.startedMs - 1_500);
    expect(ms(indexOutage!.endedAt!) - ms(indexOutage!.startedAt)).toBe(indexOutage!.durationMs);
    expect(index2.ops).toBeGreaterThan(0); // measured again after the reconnect

    // Before and after: no outage, no error, figures as usual.
    for (const name of ['seq', 'index']) {
      for (const n of [1, 3]) {
        const p = trial(name, n);
        expect(p.errors, `${name} trial ${n}`).toBe(0);
        expect(p.ops, `${name} trial ${n}`).toBeGreaterThan(0);
        expect(p.outages, `${name} trial ${n}`).toBeUndefined();
      }
    }

    // The warnings give each window.
    expect(outcome.warnings).toContain(`seq (concurrency 1): PostgreSQL connection lost since ${seqOutage!.startedAt}, still down when the run ended ` +
      `(${(seqOutage!.durationMs / 1000).toFixed(2)} s so far, ${seqOutage!.reconnectAttempts} reconnect attempts; first error: ${seqOutage!.error}); ` +
      'its operations failed and are counted as errors');
    expect(outcome.warnings).toContain(`index (concurrency 1): PostgreSQL connection lost from ${indexOutage!.startedAt} to ${indexOutage!.endedAt} ` +
      `(${(indexOutage!.durationMs / 1000).toFixed(2)} s, ${indexOutage!.reconnectAttempts} reconnect attempts; first error: ${indexOutage!.error}); ` +
      'the operations in between failed and are counted as errors');
    // …and so do the report and the JSON.
    const report = { result: outcome.result, comparisons: outcome.comparisons };
    expect(renderReport('table', report)).toContain(`! index (concurrency 1): PostgreSQL connection lost from ${indexOutage!.startedAt} to ${indexOutage!.endedAt}`);
    const json = validateResult(JSON.parse(renderReport('json', report)));
    expect(json.paths.find((p) => p.name === 'index' && p.trial === 2)!.outages).toEqual([indexOutage]);

    expect(benchVerdict(outcome, false).exitCode).toBe(ExitCode.failure);
    expect(runtime.out.stderr).not.toMatch(/\n\s+at /);
  });
});
