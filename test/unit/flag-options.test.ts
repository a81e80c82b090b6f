import { describe, expect, it } from 'vitest';
import { choiceOption, integerOption, numberOption } from '../../src/flags/options.js';
import { formatBytes, formatInt } from '../../src/report/format.js';
import { ExitCode, UserError } from '../../src/errors.js';

describe('flag parsers', () => {
  it('parses whole numbers within a range, with underscores', () => {
    expect(integerOption('1_000', '--rows', 1, 10_000)).toBe(1000);
  });

  it.each<[string, string | typeof UserError]>([
    ['0', "--rows '0' is not a whole number from 1 to 10"],
    ['1.5', UserError],
    ['abc', UserError],
    ['99999999999', 'from 1 to 10'],
  ])('refuses %j for a whole number from 1 to 10', (text, expected) => {
    expect(() => integerOption(text, '--rows', 1, 10)).toThrow(expected);
  });

  it('parses numbers and choices', () => {
    expect(numberOption('1.5', '--skew', 0.01, 10)).toBe(1.5);
    expect(() => numberOption('', '--skew', 0, 1)).toThrow(UserError);
    expect(() => numberOption('NaN', '--skew', 0, 1)).toThrow("--skew 'NaN' is not a number from 0 to 1");
    expect(choiceOption('zipf', '--distribution', ['uniform', 'zipf'] as const)).toBe('zipf');
    const error = (() => { try { choiceOption('gauss', '--distribution', ['uniform', 'zipf']); } catch (e) { return e as UserError; } })();
    expect(error?.exitCode).toBe(ExitCode.usage);
    expect(error?.message).toBe("--distribution 'gauss' is not one of uniform, zipf");
  });

  it.each([
    ['formatBytes', 999, '999 B', formatBytes],
    ['formatBytes', 107_000_000, '107.0 MB', formatBytes],
    ['formatInt', 1234567.4, '1,234,567', formatInt],
  ])('formats sizes and counts: %s(%s) is %j', (_, value, expected, format) => {
    expect(format(value)).toBe(expected);
  });
});
