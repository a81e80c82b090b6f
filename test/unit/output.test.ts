import { describe, expect, it } from 'vitest';
import { colorLevel, memoryOutput } from '../../src/output.js';

describe('output', () => {
  it.each<[boolean, NodeJS.ProcessEnv, number]>([
    [true, {}, 2],
    [false, {}, 0],
    [true, { NO_COLOR: '1' }, 0],
    [false, { FORCE_COLOR: '3' }, 3],
    [false, { FORCE_COLOR: '' }, 1],
    [false, { FORCE_COLOR: 'yes' }, 1],
  ])('colours only on a TTY and honours NO_COLOR and FORCE_COLOR: TTY %s, env %j -> level %i', (isTTY, env, level) => {
    expect(colorLevel({ isTTY }, env)).toBe(level);
  });

  it('collects data and talk separately in memory', () => {
    const out = memoryOutput();
    out.data('table');
    out.say('status');
    out.warn('careful');
    expect(out.stdout).toBe('table\n');
    expect(out.stderr).toBe('status\nwarning: careful\n');
  });
});
