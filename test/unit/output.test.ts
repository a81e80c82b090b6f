import { Chalk } from 'chalk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { colorLevel, dataColors, memoryOutput, terminalOutput } from '../../src/output.js';

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

  describe('colour without chalk at start-up', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    function warned(env: NodeJS.ProcessEnv): string {
      let written = '';
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        written += String(chunk);
        return true;
      });
      terminalOutput(env).warn('careful');
      return written;
    }

    it("writes the warning label exactly as chalk's yellow, and plain when the talk is not coloured", () => {
      expect(warned({ FORCE_COLOR: '1' })).toBe(`${new Chalk({ level: 1 }).yellow('warning:')} careful\n`);
      expect(warned({ NO_COLOR: '1' })).toBe('warning: careful\n');
    });

    it('gives the renderers a chalk at the output\'s level, and none when the data is not coloured', async () => {
      expect(await dataColors(memoryOutput())).toBeUndefined();
      const coloured = await dataColors({ ...memoryOutput(), colorLevel: 3 });
      expect(coloured?.level).toBe(3);
      expect(coloured?.red('x')).toBe(new Chalk({ level: 3 }).red('x'));
    });
  });
});
