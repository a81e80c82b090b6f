/**
 * The GET channel's RESP reader (cache/get-channel.ts) gets its replies in socket chunks that may
 * split anywhere: inside a length line, inside a value, between a value and its CRLF. Every split
 * of a stream of replies must give the same replies, in order, with the value bytes intact.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand, ReplyReader } from '../../src/cache/get-channel.js';

type Seen = string | number | null | { error: string };

/**
 * The replies read from `chunks`, each fed as a view of one reused buffer (as the socket's reads
 * are) that is overwritten after the call; with `keep: false`, bulk values are counted only.
 */
function read(chunks: Buffer[], keep = true): Seen[] {
  const seen: Seen[] = [];
  const reader = new ReplyReader((reply) => {
    if (reply === null) seen.push(null);
    else if (reply instanceof Error) seen.push({ error: reply.message });
    else if (typeof reply === 'string') seen.push(`+${reply}`);
    else if (typeof reply === 'number') seen.push(reply);
    else seen.push(reply.toString('latin1'));
  }, () => keep);
  const reused = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  for (const chunk of chunks) {
    chunk.copy(reused);
    reader.feed(reused.subarray(0, chunk.length));
    reused.fill(0x58);
  }
  return seen;
}

const value = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
const stream = Buffer.concat([
  Buffer.from('+OK\r\n'),
  Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n'),
  Buffer.from('$-1\r\n'),
  Buffer.from('$0\r\n\r\n'),
  Buffer.from('$4\r\n\r\n\r\n\r\n'),
  Buffer.from('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'),
  Buffer.from('$3\r\nabc\r\n'),
]);
const expected: Seen[] = ['+OK', value.toString('latin1'), null, '', '\r\n\r\n', { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' }, 'abc'];

describe('the GET channel reply reader', () => {
  it('reads bulk values (binary, empty, holding CRLF), nil, simple strings and errors in order', () => {
    expect(read([stream])).toEqual(expected);
  });

  it('gives the same replies whichever byte a chunk ends at, in two or three pieces', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      expect(read([stream.subarray(0, cut), stream.subarray(cut)]), `cut at ${cut}`).toEqual(expected);
    }
    for (let cut = 1; cut < stream.length - 7; cut += 7) {
      expect(read([stream.subarray(0, cut), stream.subarray(cut, cut + 7), stream.subarray(cut + 7)]), `cuts at ${cut}, ${cut + 7}`).toEqual(expected);
    }
    expect(read([...stream].map((byte) => Buffer.from([byte])))).toEqual(expected);
  });

  it('counts a value that is not kept: its length, in every split, with nothing of it kept', () => {
    const sizes: Seen[] = ['+OK', value.length, null, 0, 4, { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' }, 3];
    expect(read([stream], false)).toEqual(sizes);
    for (let cut = 1; cut < stream.length; cut += 3) expect(read([stream.subarray(0, cut), stream.subarray(cut)], false), `cut at ${cut}`).toEqual(sizes);
  });

  it('refuses a reply a GET cannot have, and a bad length', () => {
    expect(read([Buffer.from(':12\r\n*2\r\n$x\r\n')])).toEqual([
      { error: 'unexpected Redis reply to GET: :12' }, { error: 'unexpected Redis reply to GET: *2' }, { error: 'Redis sent a bad bulk length: $x' },
    ]);
  });

  it('encodes commands as RESP arrays of bulk strings, counting bytes, not characters', () => {
    expect(encodeCommand('GET', 'perfbench:report:v1:é').toString()).toBe('*2\r\n$3\r\nGET\r\n$22\r\nperfbench:report:v1:é\r\n');
  });
});
