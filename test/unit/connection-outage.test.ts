/**
 * Issue 15, item 4, the pure parts: the reconnect backoff's schedule, outages folded over trials,
 * and the outage's line in the warnings. The reconnects themselves are tested against a private
 * PostgreSQL stopped mid-bench (test/integration/faults-pg-reconnect.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { combineOutages, combinePaths, type ConnectionOutage } from '../../src/measure/result.js';
import { describeOutage } from '../../src/report/bench-format.js';
import { DEFAULT_RECONNECT, reconnectDelayMs } from '../../src/targets/path.js';
import { pathOf } from './bench-helpers.js';

describe('reconnect backoff', () => {
  it('tries at once, then waits 50 ms, doubling up to 1 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((attempt) => reconnectDelayMs(attempt))).toEqual([0, 50, 100, 200, 400, 800, 1000, 1000, 1000]);
    expect(reconnectDelayMs(4, { firstDelayMs: 10, maxDelayMs: 30 })).toBe(30);
    expect(DEFAULT_RECONNECT).toEqual({ firstDelayMs: 50, maxDelayMs: 1000 });
  });

  it('bounds the attempts of an outage: 10 s down costs at most 15 attempts', () => {
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < 10_000) elapsed += reconnectDelayMs(++attempts);
    // 0 + 50 + 100 + 200 + 400 + 800 = 1,550 ms for the first 6, then one per second.
    expect(attempts).toBe(6 + Math.ceil((10_000 - 1_550) / 1000));
  });
});

const ended: ConnectionOutage = {
  startedAt: '2025-01-02T03:04:05.000Z', endedAt: '2025-01-02T03:04:07.250Z', durationMs: 2250, reconnectAttempts: 6,
  error: 'Connection terminated unexpectedly',
};
const ongoing: ConnectionOutage = {
  startedAt: '2025-01-02T03:05:00.000Z', durationMs: 1630, reconnectAttempts: 1, error: 'cannot connect to PostgreSQL at 127.0.0.1:5432: connection refused',
};

describe('connection outages in the result', () => {
  it('are told in one line each, with their window', () => {
    expect(describeOutage(ended)).toBe('PostgreSQL connection lost from 2025-01-02T03:04:05.000Z to 2025-01-02T03:04:07.250Z ' +
      '(2.25 s, 6 reconnect attempts; first error: Connection terminated unexpectedly); the operations in between failed and are counted as errors');
    expect(describeOutage(ongoing)).toBe('PostgreSQL connection lost since 2025-01-02T03:05:00.000Z, still down when the run ended ' +
      '(1.63 s so far, 1 reconnect attempt; first error: cannot connect to PostgreSQL at 127.0.0.1:5432: connection refused); ' +
      'its operations failed and are counted as errors');
  });

  it('fold over trials in order of start; one outage told twice keeps the record that ended it', () => {
    const first = pathOf('seq', [1000], { trial: 2, errors: 7, outages: [ongoing], flags: ['connection-lost'] });
    const second = pathOf('seq', [1000], { trial: 3, errors: 1, outages: [ended] });
    const folded = combinePaths([first, second], 'sequential');
    expect(folded.outages).toEqual([ended, ongoing]);
    expect(folded.errors).toBe(8);
    expect(combinePaths([pathOf('seq', [1]), pathOf('seq', [2])], 'sequential').outages).toBeUndefined();
    const told = { ...ended, endedAt: undefined, durationMs: 1000 };
    delete told.endedAt;
    expect(combineOutages([told, ended, { ...told, durationMs: 500 }])).toEqual([ended]);
  });
});
