/**
 * Shared: a load-generating worker as bench-threads.ts drives it, either a worker thread or a child
 * process, behind one small interface (Worker's own: postMessage, message/error/exit, terminate).
 *
 * Why processes at all? `bench --driver libpq` blocks its thread in libpq for every round trip, so
 * each client needs a thread of its own; and the `libpq` package is a native addon that is not
 * context-aware, which Node.js loads in a process's main thread only, never in a worker thread. A
 * child process is the one place it runs beside another client. pgbench -j does the same with threads.
 *
 * The worker's side (`parentChannel`) finds its data and its messages the same way in either.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { startWorker } from './worker-thread.js';

export type LoadWorkerKind = 'thread' | 'process';

/** The part of Worker that bench-threads.ts uses; a child process is adapted to it. */
export interface LoadWorker {
  postMessage(message: unknown): void;
  /** 'message' gets a message, 'error' an Error, 'exit' the exit code. */
  on(event: 'message' | 'error' | 'exit', listener: (value: any) => void): unknown;
  terminate(): Promise<unknown>;
}

/** Starts the worker module `moduleUrl` (as startWorker names it) as a thread or a process, with `data` as its workerData. */
export function startLoadWorker(moduleUrl: URL, kind: LoadWorkerKind, data: unknown): LoadWorker {
  if (kind === 'thread') return startWorker(moduleUrl, { workerData: data });
  return new ProcessWorker(moduleUrl, data);
}

/** The first message a child process gets: its workerData. */
interface InitMessage {
  perfbenchWorkerData: unknown;
}

/** What a worker talks to its parent through: its data, and its messages both ways. */
export interface ParentChannel<T> {
  data: T;
  post(message: unknown): void;
  onMessage(listener: (message: any) => void): void;
  /** Lets go of the parent (a process then exits once its work is done). */
  close(): void;
}

/** The worker's side: in a thread, workerData and parentPort; in a child process, the IPC channel, whose first message is the data. */
export async function parentChannel<T>(): Promise<ParentChannel<T>> {
  if (parentPort) {
    const port = parentPort;
    return { data: workerData as T, post: (m) => port.postMessage(m), onMessage: (l) => port.on('message', l), close: () => port.close() };
  }
  if (!process.send) throw new Error('this module runs as a load worker (a worker thread or a child process of bench)');
  // Ctrl-C reaches the whole process group: the parent turns it into an abort message, which stops
  // this worker's run gracefully; the signal itself would kill it mid-run and fail the whole run.
  process.on('SIGINT', () => undefined);
  // The channel is gone: the worker closed (its paths already let go), or the parent died. Either way, leave.
  process.on('disconnect', () => process.exit(0));
  const init = await new Promise<InitMessage>((resolve) => process.once('message', (m) => resolve(m as InitMessage)));
  return {
    data: init.perfbenchWorkerData as T,
    post: (m) => {
      if (process.connected) process.send!(m);
    },
    onMessage: (l) => process.on('message', l as (m: unknown) => void),
    close: () => process.disconnect(),
  };
}

/** How long a child that closed is given to exit by itself before it is killed. */
const EXIT_GRACE_MS = 2_000;

/** How many lines of a child's stderr are kept to explain its death. */
const STDERR_LINES = 20;

/** A child process behind Worker's interface. */
class ProcessWorker implements LoadWorker {
  private readonly child: ChildProcess;
  private stderr: string[] = [];
  private readonly errorListeners: Array<(error: Error) => void> = [];

  constructor(moduleUrl: URL, data: unknown) {
    const compiled = !moduleUrl.pathname.endsWith('.ts') && existsSync(moduleUrl);
    const file = compiled ? moduleUrl : new URL(moduleUrl.href.replace(/\.js$/, '.ts'));
    if (!existsSync(file)) throw new Error(`worker module ${fileURLToPath(moduleUrl)} is missing (and no .ts source beside it); reinstall perfbench`);
    // From source, tsx's loader in the child's own main thread (where, unlike in a worker thread, --import registers it).
    const execArgv = compiled ? process.execArgv.filter((arg) => !arg.startsWith('--inspect')) : ['--import', tsxLoader()];
    this.child = fork(fileURLToPath(file), [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr.push(...chunk.split('\n').filter((line) => line.trim() !== ''));
      this.stderr = this.stderr.slice(-STDERR_LINES);
    });
    this.child.send({ perfbenchWorkerData: data } satisfies InitMessage);
  }

  postMessage(message: unknown): void {
    if (this.child.connected) this.child.send(message as never);
  }

  on(event: 'message' | 'error' | 'exit', listener: (value: any) => void): this {
    if (event === 'message') this.child.on('message', listener);
    else if (event === 'error') {
      this.errorListeners.push(listener as (error: Error) => void);
      this.child.on('error', listener);
    } else {
      // A child that died of an error is reported as the thread's error would be: by its message (the first error line of its stderr).
      this.child.on('exit', (code) => {
        const reason = code !== 0 ? this.stderr.find((line) => /Error\b/.test(line)) : undefined;
        if (reason) for (const report of this.errorListeners) report(new Error(reason.trim()));
        else (listener as (code: number) => void)(code ?? 128);
      });
    }
    return this;
  }

  /**
   * Stops the child: at once, unless it has already let go of its channel (it closed: its work is
   * done, and it is exiting on its own, writing what a flag such as --cpu-prof asks for), in which
   * case it gets EXIT_GRACE_MS first.
   */
  terminate(): Promise<unknown> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), this.child.connected ? 0 : EXIT_GRACE_MS);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }
}

/** tsx's loader (its `--import` entry), resolved from this module, for a child process run from source. */
function tsxLoader(): string {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolve === 'function') return resolve('tsx');
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}
