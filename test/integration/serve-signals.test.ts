/**
 * Ctrl-C on `serve` started through npx: the terminal sends SIGINT to the whole process group (npx
 * and perfbench), and npx forwards it once more, so one press reaches perfbench twice. That must
 * still be one graceful stop (drain, summary, exit 0), not "Ctrl-C again: quit now" (130). Real
 * processes and signals; the server listens on a free loopback port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../../src/net.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/services.js';
import { dropTable, eventually, seedTable, TABLE } from './serve-helpers.js';

const env = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, NO_COLOR: '1' };

beforeAll(seedTable);
afterAll(dropTable);

function watch(child: ChildProcess): { stderr: () => string; exited: Promise<number | null> } {
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  return { stderr: () => stderr, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

describe('one Ctrl-C that arrives twice', () => {
  it('is one graceful stop: two SIGINTs 50 ms apart drain the server and exit 0', async () => {
    const port = await freeLoopbackPort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/perfbench-src.ts', 'serve', '--port', String(port), '--table', TABLE],
      { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const { stderr, exited } = watch(child);
    try {
      await eventually('serve to listen', async () => (stderr().includes('listening on') ? true : undefined), 60_000);
      child.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 50));
      child.kill('SIGINT');
      expect(await exited, stderr()).toBe(0);
      expect(stderr()).toContain('stopped:');
    } finally {
      killGroup(child);
    }
  });

  it('through npx: SIGINT to the process group lets perfbench drain and print its summary', async () => {
    const port = await freeLoopbackPort();
    // Its own process group (detached), as a terminal gives a foreground job.
    const child = spawn('npx', ['--no-install', 'perfbench', 'serve', '--port', String(port), '--table', TABLE], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const { stderr } = watch(child);
    try {
      await eventually('serve to listen', async () => (stderr().includes('listening on') ? true : undefined), 60_000);
      process.kill(-child.pid!, 'SIGINT');
      // perfbench writes to the pipe it inherited from npx, whatever npx itself does with the signal.
      await eventually('the graceful stop', async () => (stderr().includes('stopped:') ? true : undefined), 30_000);
    } finally {
      killGroup(child);
    }
  });
});
