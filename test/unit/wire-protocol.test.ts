/**
 * The wire-protocol reader and message builders of the timed DB paths (src/db/wire-protocol.ts),
 * on byte sequences built here as PostgreSQL sends them: every answer is also fed split at every
 * possible offset (and byte by byte), since socket chunks fall anywhere. The same reader against a
 * real server: test/integration/wire-channel.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AnswerReader, COPY_FAIL_SYNC, EXECUTE_SYNC, bindExecuteSync, parseAndDescribe, rowCountMismatch, type ExchangeAnswer } from '../../src/db/wire-protocol.js';

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type.charCodeAt(0);
  header.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
const cstr = (text: string): Buffer => Buffer.from(`${text}\0`, 'utf8');
const int16 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff]);

function dataRow(values: (string | null)[]): Buffer {
  return message('D', Buffer.concat([int16(values.length), ...values.map((value) => {
    const length = Buffer.alloc(4);
    if (value === null) {
      length.writeInt32BE(-1);
      return length;
    }
    const bytes = Buffer.from(value, 'utf8');
    length.writeInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  })]));
}
function rowDescription(columns: string[]): Buffer {
  return message('T', Buffer.concat([int16(columns.length), ...columns.map((name) => Buffer.concat([cstr(name), Buffer.alloc(18)]))]));
}
function errorResponse(fields: Record<string, string>): Buffer {
  return message('E', Buffer.concat([...Object.entries(fields).map(([code, text]) => Buffer.concat([Buffer.from(code), cstr(text)])), Buffer.from([0])]));
}
const parseComplete = message('1', Buffer.alloc(0));
const bindComplete = message('2', Buffer.alloc(0));
const parameterDescription = message('t', Buffer.concat([int16(1), Buffer.from([0, 0, 0, 25])]));
const commandComplete = (tag: string): Buffer => message('C', cstr(tag));
const notice = message('N', Buffer.concat([Buffer.from('S'), cstr('NOTICE'), Buffer.from('M'), cstr('just so you know'), Buffer.from([0])]));
const readyForQuery = (status = 'I'): Buffer => message('Z', Buffer.from(status));

/** Feeds `chunks` in order; the answer and the bytes after ReadyForQuery (undefined if it never came). */
function read(chunks: Buffer[], expectColumns?: number): { answer: ExchangeAnswer; rest: Buffer | undefined } {
  const reader = new AnswerReader(expectColumns);
  for (const [i, chunk] of chunks.entries()) {
    const rest = reader.feed(chunk);
    if (rest !== undefined) return { answer: reader.answer, rest: Buffer.concat([rest, ...chunks.slice(i + 1)]) };
  }
  return { answer: reader.answer, rest: undefined };
}

/** Every way of cutting `bytes` into two chunks, plus one byte at a time. */
function splits(bytes: Buffer): Buffer[][] {
  const ways: Buffer[][] = [];
  for (let at = 0; at <= bytes.length; at++) ways.push([bytes.subarray(0, at), bytes.subarray(at)]);
  ways.push([...bytes].map((byte) => Buffer.from([byte])));
  return ways;
}

const rows = [
  ['1', 'Ünïcode name', 'cat-001', '12.50', '2024-01-01 00:00:00+00'],
  ['2', '', 'cat-001', '0.00', null],
  ['3', 'x'.repeat(300), 'cat-001', '1.00', '2024-01-02 00:00:00+00'],
];
const rowBytes = rows.map(dataRow);
const firstRun = Buffer.concat([parseComplete, parameterDescription, rowDescription(['id', 'name', 'category', 'price', 'created_at']),
  bindComplete, notice, ...rowBytes, commandComplete('SELECT 3'), readyForQuery()]);

describe('AnswerReader', () => {
  it('counts the rows and their bytes, learns the columns from Describe, and ends at ReadyForQuery, however the answer is cut', () => {
    const trailing = message('S', Buffer.concat([cstr('TimeZone'), cstr('UTC')]));
    for (const chunks of splits(Buffer.concat([firstRun, trailing]))) {
      const { answer, rest } = read(chunks);
      expect(answer).toEqual({
        rows: 3, rowBytes: rowBytes.reduce((sum, row) => sum + row.length, 0), columns: 5, commandTag: 'SELECT 3',
        error: undefined, parsed: true, badRowWidth: undefined, copyIn: false,
      });
      // What follows ReadyForQuery is handed back untouched: it belongs to the next reader (pg's parser).
      expect(rest).toEqual(trailing);
    }
  });

  it('reads a prepared statement\'s later runs, with no rows too', () => {
    for (const chunks of splits(Buffer.concat([bindComplete, commandComplete('SELECT 0'), readyForQuery('T')]))) {
      const { answer, rest } = read(chunks, 5);
      expect([answer.rows, answer.parsed, answer.columns, answer.commandTag, rest?.length]).toEqual([0, false, undefined, 'SELECT 0', 0]);
    }
  });

  it('keeps the server\'s error with every field, and still waits for ReadyForQuery', () => {
    const error = errorResponse({ S: 'ERROR', V: 'ERROR', C: '42P01', M: 'relation "Nö Such" does not exist', P: '15', R: 'parserOpenTable' });
    const answer = Buffer.concat([error, readyForQuery()]);
    for (const chunks of splits(answer)) {
      const read1 = read(chunks);
      expect(read1.answer.error).toEqual({ S: 'ERROR', V: 'ERROR', C: '42P01', M: 'relation "Nö Such" does not exist', P: '15', R: 'parserOpenTable' });
      expect(read1.rest).toEqual(Buffer.alloc(0));
    }
    // Without its ReadyForQuery the answer is not over (a FATAL error is followed by the socket closing).
    expect(read([error]).rest).toBeUndefined();
  });

  it('keeps the first error only, and notes a COPY FROM STDIN the caller must refuse', () => {
    const copyIn = message('G', Buffer.from([0, 0, 0]));
    const { answer } = read([Buffer.concat([bindComplete, copyIn, errorResponse({ S: 'ERROR', C: '57014', M: 'first' }), errorResponse({ S: 'ERROR', C: 'XX000', M: 'second' }), readyForQuery()])]);
    expect([answer.copyIn, answer.error?.M]).toEqual([true, 'first']);
  });

  it('flags a row whose width differs from the statement\'s, described now or before', () => {
    const answer = Buffer.concat([parseComplete, rowDescription(['a', 'b']), bindComplete, dataRow(['1', '2']), dataRow(['1']), dataRow(['1', '2', '3']), commandComplete('SELECT 3'), readyForQuery()]);
    expect(read([answer]).answer.badRowWidth).toBe(1);
    expect(read([Buffer.concat([bindComplete, dataRow(['1', '2']), commandComplete('SELECT 1'), readyForQuery()])], 3).answer.badRowWidth).toBe(2);
  });

  it('skips large messages it does not need, without keeping them, across many chunks', () => {
    const big = dataRow(['y'.repeat(200_000)]);
    const copyData = message('d', Buffer.alloc(100_000, 7));
    const answer = Buffer.concat([bindComplete, big, big, copyData, commandComplete('SELECT 2'), readyForQuery()]);
    const chunks: Buffer[] = [];
    for (let at = 0; at < answer.length; at += 1000) chunks.push(answer.subarray(at, at + 1000));
    const { answer: got, rest } = read(chunks, 1);
    expect([got.rows, got.rowBytes, rest?.length]).toEqual([2, 2 * big.length, 0]);
  });

  it('refuses bytes that cannot be a message', () => {
    expect(() => new AnswerReader().feed(Buffer.from([0x44, 0, 0, 0, 2, 0, 0]))).toThrow(/protocol error: message 'D' with length 2/);
  });
});

describe('rowCountMismatch', () => {
  const answer = (rows: number, commandTag: string | undefined): ExchangeAnswer =>
    ({ rows, rowBytes: 0, columns: undefined, commandTag, error: undefined, parsed: false, badRowWidth: undefined, copyIn: false });
  it('compares a SELECT\'s tag, and a write\'s when it sent rows (RETURNING), with the rows received', () => {
    expect(rowCountMismatch(answer(3, 'SELECT 3'))).toBeUndefined();
    expect(rowCountMismatch(answer(2, 'SELECT 3'))).toBe('the server reported SELECT 3 but sent 2 rows');
    expect(rowCountMismatch(answer(0, 'SELECT 1'))).toBe('the server reported SELECT 1 but sent 0 rows');
    expect(rowCountMismatch(answer(0, 'UPDATE 7'))).toBeUndefined();
    expect(rowCountMismatch(answer(0, 'INSERT 0 1'))).toBeUndefined();
    expect(rowCountMismatch(answer(2, 'INSERT 0 2'))).toBeUndefined();
    expect(rowCountMismatch(answer(1, 'DELETE 2'))).toBe('the server reported DELETE 2 but sent 1 rows');
    expect(rowCountMismatch(answer(0, 'BEGIN'))).toBeUndefined();
    expect(rowCountMismatch(answer(0, undefined))).toBeUndefined();
  });
});

describe('frontend messages', () => {
  it('Parse with the server inferring the parameter types, then Describe of the statement', () => {
    expect(parseAndDescribe('s1', 'SELECT $1').toString('hex')).toBe([
      '50', '00000013', '733100', '53454c454354202431' + '00', '0000',
      '44', '00000008', '53', '733100',
    ].join(''));
  });

  it('Bind in text with a NULL and a multi-byte value, then Execute and Sync', () => {
    expect(bindExecuteSync('s1', ['é', null]).toString('hex')).toBe([
      '42', '00000018', '00', '733100', '0000', '0002', '00000002', 'c3a9', 'ffffffff', '0000',
      EXECUTE_SYNC.toString('hex'),
    ].join(''));
    expect(EXECUTE_SYNC.toString('hex')).toBe('45' + '00000009' + '00' + '00000000' + '53' + '00000004');
  });

  it('CopyFail with its reason, then Sync', () => {
    expect(COPY_FAIL_SYNC.subarray(0, 5).toString('hex')).toBe('660000002' + '1');
    expect(COPY_FAIL_SYNC.subarray(5, -5).toString()).toBe('perfbench sends no COPY data\0');
    expect(COPY_FAIL_SYNC.subarray(-5).toString('hex')).toBe('5300000004');
  });
});
