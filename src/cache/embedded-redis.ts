/** Cache adapter: a private redis-server on a free loopback port, for when no Redis is configured. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { freeLoopbackPort } from '../net.js';

/** A private redis-server on a free loopback port, without persistence, stopped with the command. */
export interface EmbeddedRedis {
  host: string;
  port: number;
  stop(): Promise<void>;
}

const READY = /Ready to accept connections/;
const START_TIMEOUT_MS = 10_000;

/**
 * Starts `redis-server` from PATH. Returns undefined when there is none (the caller falls back to
 * the in-process tier and says so); throws a UserError when one exists but will not start.
 */
export async function startEmbeddedRedis(binary = 'redis-server'): Promise<EmbeddedRedis | undefined> {
  let lastError: unknown;
  // Another process can take the free port between our probe and redis' bind: retry a few times.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    try {
      return await launch(binary, port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      lastError = error;
    }
  }
  throw new UserError(
    `could not start a private redis-server: ${(lastError as Error).message}`,
    'set REDIS_URL to a running Redis, or REDIS_URL=memory:// for the in-process tier',
  );
}

function launch(binary: string, port: number): Promise<EmbeddedRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'perfbench-redis-'));
  const logfile = join(dir, 'redis.log');
  // detached: Ctrl-C reaches perfbench, which stops redis in order after its cleanup.
  const child = spawn(binary, [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--daemonize', 'no', '--dir', dir, '--logfile', logfile,
  ], { stdio: 'ignore', detached: true });
  return new Promise((resolve, reject) => {
    const startedMs = Date.now();
    let exited = false;
    const log = () => (existsSync(logfile) ? readFileSync(logfile, 'utf8') : '');
    const fail = (error: Error) => {
      clearInterval(poll);
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      reject(error);
    };
    child.on('error', fail);
    child.on('exit', (code) => {
      exited = true;
      fail(new Error(`exited with ${code}: ${log().trim().split('\n').pop() ?? ''}`));
    });
    const poll = setInterval(() => {
      if (exited) return;
      if (READY.test(log())) {
        clearInterval(poll);
        child.removeAllListeners('exit');
        child.unref();
        resolve({ host: '127.0.0.1', port, stop: () => stop(child, dir) });
      } else if (Date.now() - startedMs > START_TIMEOUT_MS) {
        fail(new Error(`not ready within ${START_TIMEOUT_MS} ms`));
      }
    }, 10);
  });
}

function stop(child: ChildProcess, dir: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', done);
    child.kill('SIGTERM');
  });
}
