import { describe, expect, it } from 'vitest';
import { BinaryRowWriter, copyHeader, copyTrailer } from '../../src/db/copy-binary.js';
import { choiceOption, formatBytes, formatCount, integerOption, numberOption } from '../../src/flags/options.js';
import { columnIdentifier, printable, tableIdentifier } from '../../src/workload/identifiers.js';
import { describeError, ExitCode, interruptedError, usageError, UserError } from '../../src/errors.js';
import { colorLevel, memoryOutput } from '../../src/output.js';

describe('binary COPY encoding', () => {
  it('writes the signature, flags and extension length, and the -1 trailer', () => {
    expect(copyHeader().toString('hex')).toBe('5047434f50590aff0d0a00' + '00000000' + '00000000');
    expect(copyTrailer().toString('hex')).toBe('ffff');
  });

  it('encodes one product tuple field by field', () => {
    const chunks: Buffer[] = [];
    const writer = new BinaryRowWriter((chunk) => chunks.push(Buffer.from(chunk)), 4096);
    writer.write({ id: 258, namePrefix: 'A', category: 'c', priceCents: 123456, createdAtPgMicros: 1 });
    writer.end();
    writer.end(); // nothing buffered: no empty chunk
    expect(chunks).toHaveLength(1);
    const hex = chunks[0]!.toString('hex');
    expect(hex).toBe([
      '0005', // 5 fields
      '00000008', '0000000000000102', // id 258 as int8
      '00000004', '41323538', // "A258": prefix and id
      '00000001', '63', // "c"
      // numeric 1234.56: 12 bytes; ndigits 2, weight 0, sign +, dscale 2, digits 1234 and 5600
      '0000000c', '0002', '0000', '0000', '0002', '04d2', '15e0',
      '00000008', '0000000000000001', // timestamptz: 1 µs after 2000-01-01
    ].join(''));
  });

  it('hands over full chunks before they overflow', () => {
    const chunks: Buffer[] = [];
    const writer = new BinaryRowWriter((chunk) => chunks.push(Buffer.from(chunk)), 1024);
    for (let id = 1; id <= 100; id++) writer.write({ id: 7, namePrefix: 'n', category: 'c', priceCents: 100, createdAtPgMicros: 0 });
    writer.end();
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((chunk) => chunk.length <= 1024)).toBe(true);
    expect(chunks.reduce((sum, chunk) => sum + chunk.length, 0)).toBe(100 * (2 + 12 + 6 + 5 + 16 + 12));
  });
});

describe('flag parsers', () => {
  it('parses whole numbers within a range, with underscores', () => {
    expect(integerOption('1_000', '--rows', 1, 10_000)).toBe(1000);
    expect(() => integerOption('0', '--rows', 1, 10)).toThrow("--rows '0' is not a whole number from 1 to 10");
    expect(() => integerOption('1.5', '--rows', 1, 10)).toThrow(UserError);
    expect(() => integerOption('abc', '--rows', 1, 10)).toThrow(UserError);
    expect(() => integerOption('99999999999', '--rows', 1, 10)).toThrow('from 1 to 10');
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

  it('formats sizes and counts', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(107_000_000)).toBe('107.0 MB');
    expect(formatCount(1234567.4)).toBe('1,234,567');
  });
});

describe('identifiers', () => {
  it('quotes valid table and column names', () => {
    expect(tableIdentifier('products')).toMatchObject({ sql: '"products"', schema: undefined, name: 'products' });
    expect(tableIdentifier('shop.Products_2')).toMatchObject({ sql: '"shop"."Products_2"', schema: 'shop', name: 'Products_2' });
    expect(columnIdentifier('category').sql).toBe('"category"');
  });

  it.each([
    "products; DROP TABLE products; --", 'a.b.c', '1abc', '', 'x"y', 'a b', 'x'.repeat(64), 'bad\u0000name',
  ])('refuses %j', (name) => {
    expect(() => tableIdentifier(name)).toThrow(UserError);
    expect(() => columnIdentifier(name)).toThrow(/is not a valid column name/);
  });

  it('prints bad input on one short line', () => {
    expect(printable('a\nb\u0000c')).toBe('a?b?c');
    expect(printable('x'.repeat(100))).toBe(`${'x'.repeat(60)}…`);
  });
});

describe('errors', () => {
  it('prints a UserError as one line with its hint and exit code', () => {
    const error = usageError('bad --rows', 'use a number');
    expect(describeError(error)).toEqual({ line: 'bad --rows — use a number', exitCode: ExitCode.usage });
    expect(new UserError('plain').line).toBe('plain');
    expect(interruptedError('seed stopped').exitCode).toBe(130);
  });

  it('prints a PostgreSQL error as one line and a bug with its stack', () => {
    const pgError = Object.assign(new Error('permission denied for table x\nDETAIL: more'), { code: '42501', severity: 'ERROR' });
    expect(describeError(pgError)).toEqual({ line: 'PostgreSQL error 42501: permission denied for table x', exitCode: ExitCode.failure });
    const bug = describeError(new TypeError('boom'));
    expect(bug.line).toBe('unexpected error: boom');
    expect(bug.stack).toContain('TypeError: boom');
    expect(describeError('a string').line).toBe('unexpected error: a string');
  });
});

describe('output', () => {
  it('colours only on a TTY and honours NO_COLOR and FORCE_COLOR', () => {
    expect(colorLevel({ isTTY: true }, {})).toBe(2);
    expect(colorLevel({ isTTY: false }, {})).toBe(0);
    expect(colorLevel({ isTTY: true }, { NO_COLOR: '1' })).toBe(0);
    expect(colorLevel({ isTTY: false }, { FORCE_COLOR: '3' })).toBe(3);
    expect(colorLevel({ isTTY: false }, { FORCE_COLOR: '' })).toBe(1);
    expect(colorLevel({ isTTY: false }, { FORCE_COLOR: 'yes' })).toBe(1);
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
