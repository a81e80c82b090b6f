import { describe, expect, it } from 'vitest';
import { invokedCommand } from '../../src/cli.js';

describe('the command a command line names (only its module is loaded)', () => {
  it.each([
    [['bench'], 'bench'],
    [['--database-url', 'postgres://x/db', 'index', 'list'], 'index'],
    [['--dotenv', 'bench', 'seed'], 'seed'],
    [['--connect-timeout=500', 'serve', '--port', '0'], 'serve'],
    [['help', 'explain'], 'explain'],
    [['--help'], undefined],
    [[], undefined],
    [['bogus'], undefined],
    [['help'], undefined],
  ])('%j -> %s', (words, expected) => {
    expect(invokedCommand(['node', 'perfbench', ...words])).toBe(expected);
  });
});
