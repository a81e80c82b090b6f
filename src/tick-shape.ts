/**
 * Process-wide, on import: keeps one of node's process.nextTick queue entries alive for the life of
 * the process, so nextTick stays fast (Node 20, V8 11).
 *
 * Why: nextTick builds each entry with an object literal with computed keys, whose inline cache is
 * fast only while every entry has the same hidden class. A full GC at a moment when no entry is
 * alive frees that class; the next entry gets a new one and the cache turns megamorphic for good:
 * from then on every nextTick defines its properties in the V8 runtime. node:http and streams take
 * about five ticks per request, so a server that has had one such GC (Redis, PostgreSQL and zlib
 * work make one likely) pays ~4-5 µs of CPU more per request than one that never has. Measured: a
 * bare node:http server after one idle global.gc() went from 33.1k to 27.5k req/s, 16.6 to 21.5 µs
 * of user CPU per request. One entry held keeps the class alive. Where node builds its entries
 * otherwise the held object is a few bytes of nothing. Imported first by each module that runs load
 * or serves: commands/bench.ts and commands/serve.ts (the process's main thread; the CLI loads a
 * command's module before it does any work, and the other commands skip the ~2 ms this costs at
 * start-up) and usecases/bench-thread.ts (each --workers thread or process, whose queue is its own).
 */
import { createHook } from 'node:async_hooks';

let held: object | undefined;

// The only way to reach a queue entry: the async hook that sees it made, enabled for one nextTick.
const hook = createHook({
  init(_asyncId, type, _triggerAsyncId, resource) {
    if (type === 'TickObject') held ??= resource;
  },
});
hook.enable();
process.nextTick(() => undefined);
hook.disable();

/** The entry held, if one was (for tests: new entries must share its hidden class). */
export function heldTickEntry(): object | undefined {
  return held;
}
