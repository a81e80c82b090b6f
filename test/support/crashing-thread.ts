/**
 * A bench worker thread that dies: the real entry (src/usecases/bench-thread.ts) answers the main
 * thread as usual, and the second thread throws an uncaught error just after its measured phase
 * began, as a bug or an out-of-memory in one thread would end it. For the crash tests of
 * bench --workers (LoadThreads.start's entry parameter).
 */
import { parentPort, workerData } from 'node:worker_threads';
import '../../src/usecases/bench-thread.js';

const { thread } = workerData as { thread: number };
parentPort!.on('message', (message: { type: string; phase?: string }) => {
  if (thread !== 1 || message.type !== 'go' || message.phase !== 'measure') return;
  setTimeout(() => {
    throw new Error('injected crash in the measured phase');
  }, 50);
});
