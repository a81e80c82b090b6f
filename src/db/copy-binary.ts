/** Database adapter: PostgreSQL's binary COPY encoding of the generated product rows. */
import type { ProductRow } from '../workload/dataset.js';

/**
 * PostgreSQL's binary COPY format for product rows. Binary rather than text because the server
 * then skips parsing numerics and timestamps, which is most of its COPY cost for this table.
 * Format: https://www.postgresql.org/docs/current/sql-copy.html (File Formats, Binary Format).
 */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const FIELD_COUNT = 5;

/** Signature, flags (0) and header-extension length (0). */
export function copyHeader(): Buffer {
  const header = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(header);
  return header;
}

/** The file trailer: a field count of -1. */
export function copyTrailer(): Buffer {
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1);
  return trailer;
}

/** The longest tuple we can emit: fixed fields plus generous text lengths. */
const MAX_TUPLE_BYTES = 2 + 12 + 4 + 256 + 4 + 256 + 16 + 12;

/**
 * Accumulates tuples into fixed-size buffers and hands each full one to `flush`. Reusing one
 * buffer per chunk keeps a million-row load from allocating per row, and every byte is written by
 * index rather than through Buffer's write*BE methods and `copy`: their bounds checks and native
 * calls cost more than the few bytes they move (they made the encoder's CPU time per million rows
 * ~440 ms; written by index, ~220 ms), and the encoder is what the COPY waits on.
 */
export class BinaryRowWriter {
  private buffer: Buffer;
  private offset = 0;
  /** Each distinct string (categories, name prefixes) as its UTF-8 bytes, encoded once. */
  private readonly encoded = new Map<string, Buffer>();

  constructor(private readonly flush: (chunk: Buffer) => void, private readonly chunkBytes = 1 << 20) {
    this.buffer = newChunk(chunkBytes);
  }

  write(row: Readonly<ProductRow>): void {
    if (this.offset + MAX_TUPLE_BYTES > this.chunkBytes) this.end();
    const b = this.buffer;
    let o = this.offset;
    b[o] = 0;
    b[o + 1] = FIELD_COUNT;
    o = writeInt64(b, o + 2, row.id);
    const prefix = this.utf8(row.namePrefix);
    const digits = decimalDigits(row.id);
    o = writeInt32(b, o, prefix.length + digits);
    o = writeBytes(b, o, prefix);
    o = writeDecimal(b, o, row.id, digits);
    const category = this.utf8(row.category);
    o = writeInt32(b, o, category.length);
    o = writeBytes(b, o, category);
    o = writeNumericCents(b, o, row.priceCents);
    o = writeInt64(b, o, row.createdAtPgMicros);
    this.offset = o;
  }

  private utf8(text: string): Buffer {
    let bytes = this.encoded.get(text);
    if (!bytes) {
      bytes = Buffer.from(text, 'utf8');
      this.encoded.set(text, bytes);
    }
    return bytes;
  }

  /** Hands over what is buffered (if anything) and starts a fresh chunk. */
  end(): void {
    if (this.offset === 0) return;
    this.flush(this.buffer.subarray(0, this.offset));
    this.buffer = newChunk(this.chunkBytes);
    this.offset = 0;
  }
}

/**
 * Unpooled (allocUnsafeSlow): each chunk owns its ArrayBuffer, so a worker thread can transfer
 * it to the main thread instead of copying it (a pooled small buffer would share one with others).
 */
function newChunk(bytes: number): Buffer {
  return Buffer.allocUnsafeSlow(bytes);
}

/** Big-endian, like every integer of the format. `value` is below 2^31 here (lengths, halves of int8). */
function writeInt32(b: Buffer, o: number, value: number): number {
  b[o] = value >>> 24;
  b[o + 1] = value >>> 16;
  b[o + 2] = value >>> 8;
  b[o + 3] = value;
  return o + 4;
}

function writeInt16(b: Buffer, o: number, value: number): number {
  b[o] = value >>> 8;
  b[o + 1] = value;
  return o + 2;
}

/** A byte loop: the strings are a few dozen bytes, shorter than a native copy call is worth. */
function writeBytes(b: Buffer, o: number, bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) b[o + i] = bytes[i]!;
  return o + bytes.length;
}

/** A length-prefixed int8 from a non-negative safe integer, without BigInt (which costs per row). */
function writeInt64(b: Buffer, o: number, value: number): number {
  o = writeInt32(b, o, 8);
  o = writeInt32(b, o, Math.floor(value / 0x1_0000_0000));
  return writeInt32(b, o, value >>> 0);
}

function decimalDigits(value: number): number {
  let digits = 1;
  while (value >= 10) {
    value = Math.floor(value / 10);
    digits++;
  }
  return digits;
}

/** ASCII digits of a non-negative integer, written right to left. */
function writeDecimal(b: Buffer, o: number, value: number, digits: number): number {
  for (let i = o + digits - 1; i >= o; i--) {
    b[i] = 48 + (value % 10);
    value = Math.floor(value / 10);
  }
  return o + digits;
}

/**
 * numeric(…, 2) from whole cents: base-10000 digits [integer part, fraction x 100], weight 0,
 * display scale 2. The server normalises leading and trailing zero digits (make_result), so the
 * integer part must only stay below 10,000 (prices here are below 1,000.00).
 */
function writeNumericCents(b: Buffer, o: number, cents: number): number {
  o = writeInt32(b, o, 12);
  o = writeInt16(b, o, 2); // ndigits
  o = writeInt16(b, o, 0); // weight
  o = writeInt16(b, o, 0); // sign: positive
  o = writeInt16(b, o, 2); // dscale
  o = writeInt16(b, o, Math.floor(cents / 100));
  return writeInt16(b, o, (cents % 100) * 100);
}
