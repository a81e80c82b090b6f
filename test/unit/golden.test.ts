import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectGolden, GOLDEN_DIR } from '../support/golden.js';

describe('the golden-file helper', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'pb-golden-'));

  it('passes when the output equals the file byte for byte', () => {
    const where = dir();
    writeFileSync(join(where, 'a.txt'), 'line\n');
    expectGolden('a.txt', 'line\n', { dir: where, update: false });
  });

  it('fails on any difference, a trailing newline too', () => {
    const where = dir();
    writeFileSync(join(where, 'a.txt'), 'line\n');
    expect(() => expectGolden('a.txt', 'line', { dir: where, update: false })).toThrow('output differs from test/golden/a.txt');
  });

  it('fails on a missing golden instead of writing one', () => {
    const where = dir();
    expect(() => expectGolden('new.md', 'x', { dir: where, update: false })).toThrow('missing golden new.md: run with UPDATE_GOLDEN=1 and review it');
    expect(existsSync(join(where, 'new.md'))).toBe(false);
  });

  it('rewrites the file when asked to', () => {
    const where = dir();
    writeFileSync(join(where, 'a.txt'), 'old\n');
    expectGolden('a.txt', 'new\n', { dir: where, update: true });
    expectGolden('sub/b.txt', 'b\n', { dir: where, update: true });
    expect(readFileSync(join(where, 'a.txt'), 'utf8')).toBe('new\n');
    expect(readFileSync(join(where, 'sub/b.txt'), 'utf8')).toBe('b\n');
  });

  it('reads test/golden/ by default', () => {
    expect(GOLDEN_DIR.replaceAll('\\', '/')).toMatch(/\/test\/golden\/$/);
    expectGolden('bench.csv', readFileSync(join(GOLDEN_DIR, 'bench.csv'), 'utf8'), { update: false });
  });
});
