/**
 * The fast route's cache health (issue 15, item 7): a cache that answers reads but refuses writes
 * is one steady `read-only` state, not a flip between "back" and "unavailable" on every miss; only a
 * write brings it back; and at most one state line is logged per window, with the changes the window
 * held back told when it ends. A fake clock and a fake timer make every line exact.
 */
import { describe, expect, it } from 'vitest';
import { CacheHealth, type CacheState } from '../../src/server/cache-health.js';

const OOM = new Error("OOM command not allowed when used memory > 'maxmemory'.");
const REFUSED = new Error('connect ECONNREFUSED 127.0.0.1:6390');

/** A CacheHealth on a fake clock whose timers run when the test advances time. */
function fixture(logIntervalMs = 5_000) {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  const lines: string[] = [];
  const health = new CacheHealth({
    label: 'redis 7.0.15',
    log: (line) => lines.push(line),
    logIntervalMs,
    nowMs: () => now,
    wallMs: () => Date.UTC(2025, 0, 2, 3, 4, 5) + now,
    schedule: (fn, ms) => {
      const timer = { at: now + ms, fn, cancelled: false };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
  });
  const advance = (ms: number): void => {
    now += ms;
    for (const timer of timers.splice(0).sort((a, b) => a.at - b.at)) {
      if (timer.cancelled) continue;
      if (timer.at <= now) timer.fn();
      else timers.push(timer);
    }
  };
  return { health, lines, advance, pending: () => timers.filter((t) => !t.cancelled).length };
}

describe('CacheHealth', () => {
  it('reads as one steady read-only state while writes are refused, however many misses there are', () => {
    const { health, lines } = fixture();
    // What /report/fast does per miss under maxmemory + noeviction: GET answers (nothing), SET refused.
    for (let i = 0; i < 279; i++) {
      health.read(true);
      health.write(false, OOM);
    }
    expect(health.state).toBe<CacheState>('read-only');
    expect(health.snapshot()).toEqual({ state: 'read-only', since: '2025-01-02T03:04:05.000Z', error: "OOM command not allowed when used memory > 'maxmemory'." });
    expect(lines).toEqual([
      "cache (redis 7.0.15) refuses writes (OOM command not allowed when used memory > 'maxmemory'.): /report/fast serves what is cached and " +
        'answers misses from the database with X-Cache: BYPASS, uncached, until a write succeeds',
    ]);
  });

  it('comes back only after a successful write, not after a read', () => {
    const { health, lines, advance } = fixture();
    health.read(false, REFUSED);
    expect(health.state).toBe('down');
    advance(10_000);
    health.read(true); // Redis answers again, but nothing is known of its writes yet
    expect(health.state).toBe('down');
    health.write(true);
    expect(health.state).toBe('up');
    expect(health.snapshot()).toEqual({ state: 'up', since: '2025-01-02T03:04:15.000Z' });
    expect(lines).toEqual([
      'cache (redis 7.0.15) unavailable (connect ECONNREFUSED 127.0.0.1:6390): /report/fast answers from the database with X-Cache: BYPASS until it returns',
      'cache (redis 7.0.15) is back: a write succeeded; /report/fast caches reports again',
    ]);
  });

  it('is down, not read-only, when a write fails after a failed read', () => {
    const { health } = fixture();
    health.read(false, REFUSED);
    health.write(false, REFUSED);
    expect(health.state).toBe('down');
    health.read(true);
    health.write(false, OOM);
    expect(health.state).toBe('read-only');
  });

  it('logs at most one line per window and tells what the window held back when it ends', () => {
    const { health, lines, advance, pending } = fixture(5_000);
    health.read(false, REFUSED); // t=0: logged at once
    advance(1_000);
    health.write(true); // t=1 s: up — held back
    advance(1_000);
    health.read(false, REFUSED); // t=2 s: down — held back
    advance(1_000);
    health.write(true); // t=3 s: up — held back
    expect(lines).toHaveLength(1);
    expect(pending()).toBe(1); // one timer for the window, not one per change
    advance(2_000); // t=5 s: the window ends
    expect(lines).toEqual([
      'cache (redis 7.0.15) unavailable (connect ECONNREFUSED 127.0.0.1:6390): /report/fast answers from the database with X-Cache: BYPASS until it returns',
      'cache (redis 7.0.15) is back: a write succeeded; /report/fast caches reports again ' +
        '[3 state changes since the last line, this state since 2025-01-02T03:04:08.000Z; cache state lines are limited to one per 5 s]',
    ]);
    // A window in which the state went and came back still says so, as "again".
    health.read(false, REFUSED); // t=5 s: within the new window
    advance(1_000);
    health.write(true); // t=6 s
    advance(4_000); // t=10 s
    expect(lines[2]).toBe('cache (redis 7.0.15) is back again: a write succeeded; /report/fast caches reports again ' +
      '[2 state changes since the last line, this state since 2025-01-02T03:04:11.000Z; cache state lines are limited to one per 5 s]');
    // After a quiet window, the next change is logged at once.
    advance(10_000);
    health.read(false, REFUSED);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/^cache \(redis 7\.0\.15\) unavailable \(connect ECONNREFUSED/);
  });

  it('flapping for 5 s logs 2 lines, not 557', () => {
    const { health, lines, advance } = fixture(5_000);
    // The log: 279 "unavailable" and 278 "back" lines in 5 s.
    for (let i = 0; i < 279; i++) {
      health.read(false, REFUSED);
      advance(8);
      if (i < 278) health.write(true);
      advance(8);
    }
    advance(5_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^cache \(redis 7\.0\.15\) unavailable again \(connect ECONNREFUSED 127\.0\.0\.1:6390\): .* \[556 state changes since the last line/);
  });

  it('tells a held-back change on close, and cancels its timer', () => {
    const { health, lines, pending } = fixture();
    health.read(false, REFUSED);
    health.write(true);
    expect(lines).toHaveLength(1);
    health.close();
    expect(pending()).toBe(0);
    expect(lines[1]).toMatch(/^cache \(redis 7\.0\.15\) is back: .* \[1 state change since the last line/);
    health.close();
    expect(lines).toHaveLength(2);
  });
});
