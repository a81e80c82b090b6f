import { describe, expect, it } from 'vitest';
import { FakeClock, realClock } from '../../src/measure/clock.js';

describe('FakeClock', () => {
  it('wakes sleepers in deadline order, setting time to each deadline', async () => {
    const clock = new FakeClock(1000);
    const woke: Array<[string, number]> = [];
    const a = clock.sleepUntilNs(5000).then(() => woke.push(['a', clock.nowNs()]));
    const b = clock.sleepNs(2000).then(() => woke.push(['b', clock.nowNs()]));
    const c = clock.sleepUntilNs(5000).then(() => woke.push(['c', clock.nowNs()]));
    expect(clock.pending).toBe(3);
    await Promise.all([a, b, c]);
    expect(woke).toEqual([['b', 3000], ['a', 5000], ['c', 5000]]);
    expect(clock.pending).toBe(0);
  });

  it('resolves at once for a past deadline and moves forward with advanceNs', async () => {
    const clock = new FakeClock();
    clock.advanceNs(10);
    await clock.sleepUntilNs(5);
    expect(clock.nowNs()).toBe(10);
    expect(() => clock.advanceNs(-1)).toThrow(RangeError);
  });

  it('wakes an aborted sleeper without moving time', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const sleep = clock.sleepNs(1e9, controller.signal);
    controller.abort();
    await sleep;
    expect(clock.nowNs()).toBe(0);
    expect(clock.pending).toBe(0);
    await clock.sleepNs(5, controller.signal);
    expect(clock.nowNs()).toBe(0);
  });
});

describe('realClock', () => {
  it('is monotonic and sleeps at least until the deadline', async () => {
    const clock = realClock();
    expect(clock.real).toBe(true);
    const t0 = clock.nowNs();
    await clock.sleepUntilNs(t0 + 3e6);
    expect(clock.nowNs()).toBeGreaterThanOrEqual(t0 + 3e6);
    const t1 = clock.nowNs();
    await clock.sleepUntilNs(t1 + 200_000);
    expect(clock.nowNs()).toBeGreaterThanOrEqual(t1 + 200_000);
    await clock.sleepUntilNs(0);
  });

  it('returns early when aborted', async () => {
    const clock = realClock();
    const controller = new AbortController();
    const t0 = clock.nowNs();
    const sleep = clock.sleepUntilNs(t0 + 10e9, controller.signal);
    setTimeout(() => controller.abort(), 5);
    await sleep;
    expect(clock.nowNs() - t0).toBeLessThan(5e9);
    controller.abort();
    await clock.sleepUntilNs(clock.nowNs() + 10e9, controller.signal);
  });
});
