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
 * buffer per chunk keeps a million-row load from allocating per row.
 */
export class BinaryRowWriter {
  private buffer: Buffer;
  private offset = 0;
  /** UTF-8 of the few distinct strings (categories, name prefixes), encoded once. */
  private readonly encoded = new Map<string, Buffer>();

  constructor(private readonly flush: (chunk: Buffer) => void, private readonly chunkBytes = 1 << 20) {
    this.buffer = Buffer.allocUnsafe(chunkBytes);
  }

  write(row: Readonly<ProductRow>): void {
    if (this.offset + MAX_TUPLE_BYTES > this.chunkBytes) this.end();
    const b = this.buffer;
    let o = this.offset;
    o = b.writeInt16BE(FIELD_COUNT, o);
    o = writeInt64(b, o, row.id);
    const prefix = this.utf8(row.namePrefix);
    const digits = decimalDigits(row.id);
    o = b.writeInt32BE(prefix.length + digits, o);
    o += prefix.copy(b, o);
    o = writeDecimal(b, o, row.id, digits);
    const category = this.utf8(row.category);
    o = b.writeInt32BE(category.length, o);
    o += category.copy(b, o);
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
    this.buffer = Buffer.allocUnsafe(this.chunkBytes);
    this.offset = 0;
  }
}

/** A length-prefixed int8 from a non-negative safe integer, without BigInt (which costs per row). */
function writeInt64(b: Buffer, o: number, value: number): number {
  o = b.writeInt32BE(8, o);
  o = b.writeUInt32BE(Math.floor(value / 0x1_0000_0000), o);
  return b.writeUInt32BE(value >>> 0, o);
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
  o = b.writeInt32BE(12, o);
  o = b.writeInt16BE(2, o); // ndigits
  o = b.writeInt16BE(0, o); // weight
  o = b.writeInt16BE(0, o); // sign: positive
  o = b.writeInt16BE(2, o); // dscale
  o = b.writeInt16BE(Math.floor(cents / 100), o);
  return b.writeInt16BE((cents % 100) * 100, o);
}
