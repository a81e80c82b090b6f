/**
 * Database adapter: column values in PostgreSQL's text format turned into the JS values
 * node-postgres gives for them (its default pg-types parsers), for the lean session: code written
 * against pg's rows reads the lean session's rows unchanged.
 *
 * The types a catalog query mostly returns are decoded here (text-like types and int8 as strings,
 * int2/int4/oid and floats as numbers, bool). For any other type, pg-types itself (the exact
 * version pg uses) is loaded on first need, so a date, an array or JSON comes out as pg's would,
 * and a query that returns none of them never pays for loading it.
 */
import { createRequire } from 'node:module';

export type TextParser = (text: string) => unknown;

const asText: TextParser = (text) => text;
const asInteger: TextParser = (text) => parseInt(text, 10);
const asFloat: TextParser = (text) => parseFloat(text);
const asBoolean: TextParser = (text) => text === 'TRUE' || text === 't' || text === 'true' || text === 'y' || text === 'yes' || text === 'on' || text === '1';

/** By type OID; each as pg-types 2 parses it (int8 and numeric stay strings there: no precision lost). */
const INLINE = new Map<number, TextParser>([
  [16, asBoolean], // bool
  [18, asText], // "char"
  [19, asText], // name
  [20, asText], // int8
  [21, asInteger], // int2
  [23, asInteger], // int4
  [25, asText], // text
  [26, asInteger], // oid
  [700, asFloat], // float4
  [701, asFloat], // float8
  [1042, asText], // bpchar
  [1043, asText], // varchar
  [1700, asText], // numeric
]);

let pgTypes: { getTypeParser(oid: number, format: 'text'): TextParser } | undefined;

/** The parser node-postgres would use for a column of type `oid`, in text format. */
export function textParser(oid: number): TextParser {
  const inline = INLINE.get(oid);
  if (inline) return inline;
  pgTypes ??= createRequire(import.meta.url)('pg-types') as NonNullable<typeof pgTypes>;
  return pgTypes.getTypeParser(oid, 'text');
}

/**
 * A parameter as node-postgres sends it in text format, for the types the lean session's callers
 * pass (identifiers, names, numbers, flags, NULL). Anything else is a bug in the caller: pg would
 * have serialised it its own way (dates, buffers, arrays, JSON), and guessing would differ.
 */
export function textParameter(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  throw new TypeError(`the lean session sends strings, numbers, booleans and NULL, not ${Object.prototype.toString.call(value)}`);
}
