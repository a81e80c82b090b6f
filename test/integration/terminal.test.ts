/**
 * Progress on a real pseudo-terminal (issue 10 items 12 and 19). `script` gives the CLI a pty;
 * `stty cols 0 rows 0` makes it report 0 columns, as `script` without a size, some `docker -t`
 * and CI ptys do. ora divided by that width and looped forever (357 MB in 10 minutes, deaf to
 * Ctrl-C): with 0 columns there must be no spinner at all, and the command must end promptly.
 * The same pty with 80 columns proves the setup: there the spinner does run, coloured unless
 * NO_COLOR is set.
 *
 * The child runs under `timeout -s KILL` inside the pty, so a regression cannot leave a spinning
 * process behind (script puts its child in a session of its own, out of reach of a kill of script).
 */
import { spawn, spawnSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL, dropSeededTable, uniqueTable } from '../support/services.js';

const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const tables: string[] = [];
/** Long enough for a seed of 20,000 rows on a slow machine; the hang it guards against is endless. */
const CHILD_LIMIT_S = 45;
/** A prompt run writes a few kB at most; the hang wrote megabytes per second. */
const MAX_OUTPUT = 64 * 1024;
/** The ANSI colour ora gives its glyph (cyan). */
const CYAN = '\u001b[36m';

beforeAll(async () => {
  if (spawnSync('script', ['--version']).status !== 0) throw new Error('these tests need `script` (util-linux) for a pty');
  await admin.connect();
});
afterAll(async () => {
  for (const table of tables) {
    await dropSeededTable(admin, table, { ignoreRecordError: true });
  }
  await admin.end();
});

interface PtyRun {
  code: number | null;
  /** Everything the pty showed (stdout and stderr together, as on a terminal). */
  output: string;
  elapsedMs: number;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** Runs perfbench from source on a pty of `cols` columns; `env` adds to the environment. */
function onPty(cols: number, args: string[], env: Record<string, string> = {}): Promise<PtyRun> {
  const command = [
    `stty cols ${cols} rows ${cols === 0 ? 0 : 24}`,
    `exec timeout -s KILL ${CHILD_LIMIT_S} ${quote(process.execPath)} --import tsx test/support/perfbench-src.ts ${args.map(quote).join(' ')}`,
  ].join('; ');
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, GITHUB_STEP_SUMMARY: '', TERM: 'xterm', ...env,
  };
  // A spinner only runs outside CI, and colour must come from the terminal, not from the test runner.
  delete childEnv.CI;
  delete childEnv.FORCE_COLOR;
  if (env.NO_COLOR === undefined) delete childEnv.NO_COLOR;
  const started = Date.now();
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    // Keep the start and a count: a regression writes without end.
    if (output.length < 4 * MAX_OUTPUT) output += chunk.toString('utf8');
    else output += '.'.repeat(Math.min(chunk.length, 1));
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output, elapsedMs: Date.now() - started })));
}

function seeded(prefix: string): string {
  const table = uniqueTable(prefix);
  tables.push(table);
  return table;
}

describe('progress on a terminal that reports 0 columns', () => {
  it('seed shows no spinner, ends promptly with exit 0 and bounded output', async () => {
    const table = seeded('pty0');
    const run = await onPty(0, ['seed', '--rows', '20000', '--table', table]);
    expect(run.elapsedMs, run.output.slice(0, 500)).toBeLessThan(CHILD_LIMIT_S * 1000 - 5000);
    expect(run.code, run.output.slice(0, 2000)).toBe(ExitCode.ok);
    expect(run.output.length).toBeLessThan(MAX_OUTPUT);
    expect(run.output).toMatch(/seeded .*20,000 rows/);
    // No spinner: no frame, no cursor movement.
    expect(run.output).not.toContain('seeding…');
    expect(run.output).not.toContain('\u001b[1A');
    const count = await admin.query(`SELECT count(*)::int AS n FROM ${table}`);
    expect(count.rows[0].n).toBe(20000);
  });

  it('bench shows no spinner either and ends with its exit code', async () => {
    const table = seeded('pty0_bench');
    await onPty(80, ['seed', '--rows', '2000', '--categories', '10', '--table', table]);
    const run = await onPty(0, ['bench', '--table', table, '--paths', 'seq', '--iterations', '20', '--warmup', '0', '--trials', '1', '--format', 'csv']);
    expect(run.code, run.output.slice(0, 2000)).toBe(ExitCode.ok);
    expect(run.output.length).toBeLessThan(MAX_OUTPUT);
    expect(run.output).toMatch(/^path,kind,/m);
    expect(run.output).not.toContain('preparing…');
  });
});

describe('the same pty with 80 columns (the setup is a real terminal)', () => {
  it('runs the spinner, its glyph coloured', async () => {
    const table = seeded('pty80');
    const run = await onPty(80, ['seed', '--rows', '20000', '--table', table]);
    expect(run.code, run.output.slice(0, 2000)).toBe(ExitCode.ok);
    expect(run.output).toContain('seeding…');
    expect(run.output).toContain(CYAN);
  });

  it('keeps the glyph plain under NO_COLOR', async () => {
    const table = seeded('pty80_nocolor');
    const run = await onPty(80, ['seed', '--rows', '20000', '--table', table], { NO_COLOR: '1' });
    expect(run.code, run.output.slice(0, 2000)).toBe(ExitCode.ok);
    expect(run.output).toContain('seeding…');
    expect(run.output).not.toMatch(/\u001b\[3\dm/);
  });
});
