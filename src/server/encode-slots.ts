/**
 * Server layer: how many report encodings (gzip and brotli of one body, representation.ts) run at
 * once. Each starts zlib streams whose state (a level-9 deflate's ~260 kB, brotli's hash tables) is
 * allocated when the stream is made, not when libuv's thread pool gets to it; a burst of near-cache
 * fills (1,000 clients arriving at once on 100 cold reports: bench:soak) made them all at once and
 * left serve's RSS ~50 MB higher for the rest of its life (freed malloc memory is rarely returned).
 * Two at a time keep the pool's four threads busy (each encoding is two jobs) and the state bounded.
 */

/** At most this many encodings in flight; the rest wait in arrival order. */
export const ENCODE_SLOTS = 2;

let running = 0;
const waiting: Array<() => void> = [];

/** Runs `encode` when a slot is free; the slot is released however it ends. */
export async function inEncodeSlot<T>(encode: () => Promise<T>): Promise<T> {
  if (running >= ENCODE_SLOTS) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await encode();
  } finally {
    // The slot passes straight to the next waiter (running stays counted), or is freed.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}
