/**
 * When the integration tests cannot have their PostgreSQL, the run ends with one line naming the
 * URL and a non-zero exit code (issue 10, item 15), instead of ~140 lines of "No test files found",
 * a 0% coverage table and a stack trace.
 *
 * The run is a child vitest (and `npm test`) with PERFBENCH_TEST_DATABASE_URL pointing at a port
 * nothing listens on, bounded by a timeout. What remains besides the line is printed before the
 * global setup runs, so it cannot avoid it: vitest's banner (` RUN  v4.x <dir>`, and `Coverage
 * enabled with v8` under --coverage), and through `npm test` npm's own two banner lines
 * (`> perfbench@… test`, `> vitest run --coverage`). Those go to stdout; stderr is the one line.
 *
 * Lives in the unit project: it needs no service, and the child must not share the integration
 * project's servers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../../src/net.js';
import { leftBehind, ownedByRunningProcess, type Inventory } from '../support/leftovers.js';
import { printableUrl } from '../support/service-urls.js';

const TIMEOUT_MS = 90_000;
const scratch = mkdtempSync(join(tmpdir(), 'perfbench-setup-failure-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The environment of a child vitest: none of this worker's own VITEST_* variables, no colour. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(VITEST|TEST$|NODE_ENV$|FORCE_COLOR$)/.test(key)) env[key] = value;
  return { ...env, NO_COLOR: '1', CI: 'true', ...extra };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not exit within ${TIMEOUT_MS} ms; stderr: ${stderr}`));
    }, TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const lines = (text: string) => text.split('\n').map((line) => line.trim()).filter(Boolean);

describe('integration tests without their PostgreSQL: one line, exit 1', () => {
  it('vitest --project integration with PERFBENCH_TEST_DATABASE_URL on a closed port', async () => {
    const url = `postgres://root:pw-not-shown@127.0.0.1:${await freeLoopbackPort()}/test`;
    const result = await run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--project', 'integration', 'test/integration/connection.test.ts'],
      childEnv({ PERFBENCH_TEST_DATABASE_URL: url }));
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `integration tests: no PostgreSQL at ${printableUrl(url)} (PERFBENCH_TEST_DATABASE_URL): connect ECONNREFUSED ${new URL(url).host} — start it, or unset PERFBENCH_TEST_DATABASE_URL and the tests start their own`,
    ]);
    expect(result.stderr).not.toContain('pw-not-shown');
    // stdout: vitest's banner only — no "No test files found", no report, no stack.
    expect(lines(result.stdout)).toEqual([expect.stringMatching(/^RUN\s+v\d+\.\d+\.\d+ /)]);
  }, TIMEOUT_MS + 5_000);

  it('npm test, the README command, likewise (its coverage written apart from this run\'s)', async () => {
    const url = `postgres://root@127.0.0.1:${await freeLoopbackPort()}/test`;
    const result = await run('npm', ['test', '--', '--coverage.reportsDirectory', join(scratch, 'coverage')], childEnv({ PERFBENCH_TEST_DATABASE_URL: url }));
    expect(result.code).not.toBe(0);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(new RegExp(`^integration tests: no PostgreSQL at ${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(PERFBENCH_TEST_DATABASE_URL\\): connect ECONNREFUSED`))]);
    expect(lines(result.stdout)).toEqual([
      expect.stringMatching(/^> perfbench@[\d.]+ test$/),
      expect.stringMatching(/^> vitest run --coverage/),
      expect.stringMatching(/^RUN\s+v\d+\.\d+\.\d+ /),
      'Coverage enabled with v8',
    ]); // and nothing else: the run stopped before the unit project's first test
  }, TIMEOUT_MS + 5_000);
});

describe('the leftover check of the integration teardown', () => {
  const empty: Inventory = { relations: [], schemas: [], records: [], keys: [] };
  const dead = () => false;

  it('names what is new since the start, and nothing that was there before', () => {
    const before: Inventory = { ...empty, relations: ['public.products'], keys: ['perfbench:old'] };
    const after: Inventory = {
      relations: ['public.products', 'public.pbt_seed_123_1'], schemas: ['"Sales_123_x"'],
      records: ['perfbench_datasets: public.pbt_seed_123_1'], keys: ['perfbench:old', 'perfbench:report:v1:fp:public.pbt_seed_123_1:category:cat-01'],
    };
    expect(leftBehind(before, after, dead)).toEqual([
      'tables, views or sequences (1): public.pbt_seed_123_1',
      'schemas (1): "Sales_123_x"',
      "rows of perfbench's metadata tables (1): perfbench_datasets: public.pbt_seed_123_1",
      'Redis keys (1): perfbench:report:v1:fp:public.pbt_seed_123_1:category:cat-01',
    ]);
    expect(leftBehind(before, before, dead)).toEqual([]);
  });

  it("does not count what carries the pid of a process still running (another run's tests in progress)", () => {
    const alive = (pid: number) => pid === 4242;
    const after: Inventory = { ...empty, relations: ['public.pbt_bench_4242_1', 'public.pbt_bench_77_1'], keys: ['perfbench:report:v1:fp:public.pbt_bench_4242_1:category:x'] };
    expect(leftBehind(empty, after, alive)).toEqual(['tables, views or sequences (1): public.pbt_bench_77_1']);
    expect(ownedByRunningProcess('perfbench:report:v1:fp:%22S%22.pbt_x_4242_2:c', alive)).toBe(true);
    expect(ownedByRunningProcess('public.products', alive)).toBe(false);
  });
});
