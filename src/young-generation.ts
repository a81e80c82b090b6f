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
 * each time it grows the new space (after a scavenge). An observer of garbage collections sets the
 * factor to 1 (no growth) once the new space holds two semi-spaces of the cap, and back to V8's 2 if
 * V8 shrank it below (it does when allocation is idle). The observer runs between turns of the
 * event loop: the new space can outgrow the cap only within one synchronous stretch of work long
 * enough for two growths, which perfbench's asynchronous loads do not have. Worker threads get the
 * same cap from their resource limits at creation (YOUNG_GENERATION_MB, worker-thread.ts); the
 * observer is the main thread's, whose factor V8 shares with them.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

export const SEMI_SPACE_CAP_MB = 4;
/** A worker's young generation for the same semi-spaces: V8 sizes it as three of them. */
export const YOUNG_GENERATION_MB = 3 * SEMI_SPACE_CAP_MB;
/** V8's own --semi-space-growth-factor. */
const V8_GROWTH_FACTOR = 2;
const MIB = 1024 * 1024;

let observer: PerformanceObserver | undefined;

/** The new space's size now (both semi-spaces), in bytes. */
export function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
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
    const atCap = newSpaceBytes() >= 2 * SEMI_SPACE_CAP_MB * MIB;
    if (atCap === frozen) return;
    frozen = atCap;
    setFlagsFromString(`--semi-space-growth-factor=${atCap ? 1 : V8_GROWTH_FACTOR}`);
  });
  observer.observe({ entryTypes: ['gc'] });
}
