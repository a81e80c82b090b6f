import { describe, expect, it } from 'vitest';
import { BinaryRowWriter, copyHeader, copyTrailer } from '../../src/db/copy-binary.js';

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
