/**
 * The CLI in a process of its own, for tests that need real processes: two runs at once, a real
 * exit code, a SIGKILL. Every child is bounded: `exitOf` gives up after a timeout, and `killAll`
 * (call it in afterEach) kills what a failed test left running.
 */
import { eventually as pollUntil } from '../integration/serve-helpers.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './services.js';

export interface Running {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

/** Starts `perfbench <args>` from source against the test services (or `env`'s). */
export function perfbench(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/perfbench-src.ts', ...args], {
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk) => (output.stdout += String(chunk)));
  child.stderr!.on('data', (chunk) => (output.stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

/** The child's exit code (null when a signal ended it), or a failure naming what it printed after `timeoutMs`. */
export async function exitOf(running: Running, timeoutMs = 60_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`child did not exit within ${timeoutMs} ms; stderr: ${running.output.stderr}`)), timeoutMs);
  });
  try {
    return await Promise.race([running.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Kills every child still running (a test that failed half-way must not leave one behind). */
export function killAll(): void {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** serve-helpers' poll, with the longer default that child processes (a tsx start each) need. */
export function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  return pollUntil(what, check, timeoutMs);
}
