/**
 * bench --workers N as installed: compiled to JavaScript (tsc into a directory of its own, so the
 * shared dist/ is left alone) and run by plain node, without tsx. The worker threads then start
 * from the compiled entry next to the compiled pool (bench-threads.ts's threadEntry), which the
 * source-run tests never load; and so do --driver libpq's worker processes (load-worker.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { seed } from '../../src/usecases/dataset.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL, dropSeededTable, uniqueTable, withRuntime } from '../support/services.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Directly under the checkout, as dist/ is: the compiled code finds sql/ and package.json at ../
const outDir = mkdtempSync(join(root, '.dist-workers-'));
const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const table = uniqueTable('workers_dist');

/**
 * The build uses no service, so it starts as the file is collected, before the integration lock
 * (one-file-at-a-time.ts): its 15-20 s of tsc overlap the file running before this one. Awaited in
 * beforeAll, which reports its failure; settled either way, so nothing is left unhandled.
 */
const built = new Promise<{ code: number | null; output: string }>((resolve) => {
  const tsc = spawn(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--outDir', outDir, '--sourceMap', 'false'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  tsc.stdout.on('data', (chunk) => (output += String(chunk)));
  tsc.stderr.on('data', (chunk) => (output += String(chunk)));
  tsc.once('error', (error) => resolve({ code: null, output: String(error) }));
  tsc.once('close', (code) => resolve({ code, output }));
});

beforeAll(async () => {
  // First: afterAll's clean-up needs it even when the build fails.
  await admin.connect();
  const build = await built;
  if (build.code !== 0) throw new Error(`tsc failed: ${build.output}`);
  writeFileSync(join(outDir, 'run.mjs'), "import { main } from './cli.js';\nprocess.exitCode = await main(process.argv);\n");
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '5000', categories: '20', distribution: 'uniform', seed: '3' })));
}, 240_000);
afterAll(async () => {
  rmSync(outDir, { recursive: true, force: true });
  await dropSeededTable(admin, table);
  await admin.end();
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(outDir, 'run.mjs'), ...args], {
      // No tsx anywhere: NODE_OPTIONS cleared, so only the compiled code can run.
      env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the compiled bench did not exit within 90 s; stderr: ${stderr}`));
    }, 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bench --workers, compiled', () => {
  it('runs noop and cache from 2 compiled worker threads under plain node', async () => {
    const { code, stdout, stderr } = await run(['bench', '--table', table, '--paths', 'noop,cache', '--workers', '2', '--concurrency', '2',
      '--iterations', '300', '--warmup', '0', '--trials', '1', '--format', 'json']);
    expect(stderr).not.toMatch(/crashed|exited unexpectedly/);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { options: { workers?: number }; paths: Array<{ name: string; ops: number; errors: number; workers?: number }> };
    expect(result.options.workers).toBe(2);
    for (const name of ['noop', 'cache']) {
      expect(result.paths.find((p) => p.name === name)).toMatchObject({ ops: 300, errors: 0, workers: 2 });
    }
  }, 120_000);

  it('runs a workload on 2 compiled worker processes with --driver libpq (the addon loads in each, under plain node)', async () => {
    const file = join(outDir, 'by-category.sql');
    // A division by zero on any session that is not libpq's: errors 0 says the statements ran there.
    writeFileSync(file, `\\pb_from c ${table}.category\nSELECT count(*) / (current_setting('application_name') = 'perfbench-libpq')::int FROM ${table} WHERE category = :c;\n`);
    const { code, stdout, stderr } = await run(['bench', '--workload', file, '--paths', 'as-is', '--driver', 'libpq', '--concurrency', '2',
      '--iterations', '300', '--warmup', '0', '--trials', '1', '--format', 'json']);
    expect(stderr).not.toMatch(/crashed|exited unexpectedly/);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { options: { workers?: number; driver?: string }; paths: Array<{ name: string; ops: number; errors: number; workers?: number }> };
    expect(result.options).toMatchObject({ workers: 2, driver: 'libpq' });
    expect(result.paths).toMatchObject([{ name: 'as-is', ops: 300, errors: 0, workers: 2 }]);
  }, 120_000);
});
