/**
 * Process-wide: keeps the young generation of the commands that run long (bench, serve, seed) at
 * semi-spaces of SEMI_SPACE_CAP_MB instead of Node 20's 16 MB. A run allocates short-lived objects
 * fast (rows, replies, promises), and the larger young generation only held more of them dead: a
 * bench of the default paths peaked at 145 MB of RSS with 16 MB semi-spaces, 114 MB with 4 MB, and
 * no path got measurably slower (issue 13, item 6).
 *
 * Why not `--max-semi-space-size=4` on bin/perfbench's shebang, where it was: any V8 flag given at
 * start changes V8's flag hash, and the code cache of Node's built-in modules, made under the
 * default flags, is then rejected. Every command compiled them from source: `index list` and
 * `--help` took 10-12 ms longer, a sixth of what issue 13 item 7 allows over `node -e 0`. The cap
 * only matters to commands that run long, so only they set it, and only once they run.
 *
 * How: V8 fixes the maximum semi-space when the heap is set up, but reads `--semi-space-growth-factor`
 * each time it grows the new space (after a scavenge), to min(maximum, factor x capacity). An
 * observer of garbage collections sets the factor to 1 (no growth) while a semi-space's capacity is
 * over half the cap, where one more doubling would pass it, and back to V8's 2 below that (V8 shrinks
 * the new space when allocation goes idle: it may grow again, up to the cap). Capacity, not committed
 * memory: V8 uncommits the idle semi-space without shrinking. The observer hears of a collection one
 * or two turns of the event loop after it, so the new space could outgrow the cap only within a
 * stretch of work that grows it twice that fast, which perfbench's asynchronous loads do not have.
 * Worker threads get the same cap from their resource limits at creation (YOUNG_GENERATION_MB,
 * worker-thread.ts); the observer is the main thread's, and V8 shares the factor with them.
 *
 * Setting a flag at run time changes V8's flag hash too: a built-in module first loaded, or a worker
 * thread started, while the factor is 1 compiles without Node's code cache. That is paid once, by a
 * command already running for seconds, not by every start.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString, type HeapSpaceInfo } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

export const SEMI_SPACE_CAP_MB = 4;
/** A worker's young generation for the same semi-spaces: V8 sizes it as three of them. */
export const YOUNG_GENERATION_MB = 3 * SEMI_SPACE_CAP_MB;
/** V8's own --semi-space-growth-factor. */
const V8_GROWTH_FACTOR = 2;
const MIB = 1024 * 1024;

let observer: PerformanceObserver | undefined;

function newSpace(): HeapSpaceInfo | undefined {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
}

/** The new space's committed size now (both semi-spaces), in bytes. */
export function newSpaceBytes(): number {
  return newSpace()?.space_size ?? 0;
}

/** One semi-space's capacity now, in bytes: what V8 doubles when it grows the new space. */
function semiSpaceCapacity(): number {
  const space = newSpace();
  return space ? space.space_used_size + space.space_available_size : 0;
}

/** Whether V8 may double a semi-space of `capacityBytes` and stay within the cap. */
export function mayGrow(capacityBytes: number): boolean {
  return capacityBytes <= (SEMI_SPACE_CAP_MB / 2) * MIB;
}

/**
 * Caps this process's young generation from now on (see above). Once per process, from its main
 * thread; left alone when node was started with a semi-space size of the user's own choosing.
 */
export function capYoungGeneration(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): void {
  if (observer || !isMainThread) return;
  if ([...execArgv, nodeOptions].some((flag) => /--max[-_]semi[-_]space[-_]size/.test(flag))) return;
  let frozen = false;
  observer = new PerformanceObserver(() => {
    const freeze = !mayGrow(semiSpaceCapacity());
    if (freeze === frozen) return;
    frozen = freeze;
    setFlagsFromString(`--semi-space-growth-factor=${freeze ? 1 : V8_GROWTH_FACTOR}`);
  });
  observer.observe({ entryTypes: ['gc'] });
}
