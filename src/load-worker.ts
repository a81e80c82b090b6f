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
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { startWorker, workerModule } from './worker-thread.js';

export type LoadWorkerKind = 'thread' | 'process';

/** The part of Worker that bench-threads.ts uses; a child process is adapted to it. */
export interface LoadWorker {
  /** 'message' gets a message, 'error' an Error, 'exit' the exit code (as Worker's: the listener's argument depends on the event). */
  on(event: 'message' | 'error' | 'exit', listener: (value: any) => void): unknown;
  postMessage(message: unknown): void;
  /** `closed`: the worker said it closed (its work is done); a process then gets a moment to exit by itself. */
  terminate(closed?: boolean): Promise<unknown>;
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
  /** Messages that came before this was called are delivered first, in order. */
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
  // The channel gone means the worker closed (its paths already let go) or the parent died: either way, leave.
  process.on('disconnect', () => process.exit(0));
  // Node drops an IPC message that finds no listener: one listener from the start keeps every message
  // that arrives before the worker is ready to take them (an abort during its start-up, say).
  const early: unknown[] = [];
  let deliver: ((message: unknown) => void) | undefined;
  let init: (message: InitMessage) => void;
  const initialized = new Promise<InitMessage>((resolve) => (init = resolve));
  let first = true;
  process.on('message', (message) => {
    if (first) {
      first = false;
      init(message as InitMessage);
    } else if (deliver) deliver(message);
    else early.push(message);
  });
  const { perfbenchWorkerData } = await initialized;
  return {
    data: perfbenchWorkerData as T,
    post: (m) => {
      if (process.connected) process.send!(m);
    },
    onMessage: (listener) => {
      deliver = listener;
      for (const message of early.splice(0)) listener(message);
    },
    close: () => process.disconnect(),
  };
}

/** How long a child that closed is given to exit by itself before it is killed. */
const EXIT_GRACE_MS = 2_000;

/** How many lines of a child's stderr are kept to explain its death. */
const STDERR_LINES = 50;

/**
 * A child process behind Worker's interface. It runs in a process group of its own (detached), so
 * a terminal's Ctrl-C (or a SIGTERM to bench's group) reaches bench alone, which stops the child's
 * run through an abort message, as it stops a thread's: the signal would kill the child mid-run.
 */
class ProcessWorker implements LoadWorker {
  private readonly child: ChildProcess;
  private stderr: string[] = [];
  private readonly errorListeners: Array<(error: Error) => void> = [];

  constructor(moduleUrl: URL, data: unknown) {
    const { url, compiled } = workerModule(moduleUrl);
    // From source, tsx's loader in the child's own main thread (where, unlike in a worker thread, --import registers it).
    const execArgv = compiled ? process.execArgv.filter((arg) => !arg.startsWith('--inspect')) : ['--import', tsxLoader()];
    this.child = fork(fileURLToPath(url), [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'], detached: true });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      // Passed on, as a thread's stderr would be, and its tail kept to name the error of a crash.
      process.stderr.write(chunk);
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
      this.errorListeners.push(listener);
      this.child.on('error', listener);
    } else {
      // Once its stderr is read to the end ('close', not 'exit'): a child that died of an uncaught
      // error is reported as a thread's would be, by that error (the line that names it, e.g.
      // "TypeError: …", not the source line Node prints above it).
      this.child.on('close', (code, signal) => {
        const reason = code !== 0 ? this.stderr.find((line) => /^[A-Za-z]*(Error|Exception)\b/.test(line.trim())) : undefined;
        // "Error: x" is reported as "x", as a thread's Error is; "TypeError: x" keeps its name.
        if (reason) for (const report of this.errorListeners) report(new Error(reason.trim().replace(/^Error: /, '')));
        else listener(code ?? `${signal}`);
      });
    }
    return this;
  }

  /**
   * Stops the child: at once, unless it closed (it said so, or it let go of its channel), in which
   * case it is exiting on its own, writing what a flag such as --cpu-prof asks for, and gets
   * EXIT_GRACE_MS first.
   */
  terminate(closed = false): Promise<unknown> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), closed || !this.child.connected ? EXIT_GRACE_MS : 0);
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
