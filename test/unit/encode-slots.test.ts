/** serve's bound on report encodings in flight (encode-slots.ts): never more than ENCODE_SLOTS, in arrival order, released on failure. */
import { describe, expect, it } from 'vitest';
import { ENCODE_SLOTS, inEncodeSlot } from '../../src/server/encode-slots.js';

describe('encode slots', () => {
  it('run at most ENCODE_SLOTS encodings at once, the rest in arrival order', async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const gates: Array<() => void> = [];
    const all = Array.from({ length: 6 }, (_, i) => inEncodeSlot(async () => {
      started.push(i);
      most = Math.max(most, ++running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
      return i;
    }));
    for (let released = 0; released < 6; released++) {
      await new Promise((resolve) => setImmediate(resolve));
      gates.shift()!();
    }
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(ENCODE_SLOTS);
  });

  it('free the slot when an encoding fails', async () => {
    const failures = Array.from({ length: ENCODE_SLOTS + 1 }, () => inEncodeSlot(() => Promise.reject(new Error('zlib failed'))));
    for (const failure of failures) await expect(failure).rejects.toThrow('zlib failed');
    // Every slot is free again: as many encodings as there are slots start at once.
    let running = 0;
    let most = 0;
    await Promise.all(Array.from({ length: ENCODE_SLOTS }, () => inEncodeSlot(async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
    })));
    expect(most).toBe(ENCODE_SLOTS);
  });
});
