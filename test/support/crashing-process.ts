/**
 * A bench worker process that dies (bench --driver libpq's workers are processes): the real entry
 * (src/usecases/bench-thread.ts) answers the parent as usual, and the process throws an uncaught
 * error just after its measured phase began, as a bug in a worker would end it. For the crash test
 * of LoadThreads with worker processes (LoadThreads.start's entry parameter).
 */
import '../../src/usecases/bench-thread.js';

process.on('message', (message: { type?: string; phase?: string }) => {
  if (message.type !== 'go' || message.phase !== 'measure') return;
  setTimeout(() => {
    throw new Error('injected crash in the measured phase');
  }, 50);
});
