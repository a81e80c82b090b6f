/**
 * Workload domain (pure): table and column names from flags, read the way PostgreSQL reads a name
 * written in SQL. Unquoted parts fold to lower case (`Events` is `events`); quoted parts keep case,
 * spaces and any character (`"Order Items"`, `"Customer Id"`, `"select"`); `schema.table` names a
 * schema. In SQL every part is always double-quoted, and values never go into SQL text (they are
 * parameters), so a name can be anything PostgreSQL accepts.
 */
import { usageError } from '../errors.js';

/** A parsed, possibly schema-qualified name, with its quoted SQL form. */
export interface Identifier {
  /** For messages: the name in SQL's own notation, quoted only where needed (`"Sales"."Order Items"`). */
  readonly text: string;
  /** Quoted for SQL, every part: `"Sales"."Order Items"`. */
  readonly sql: string;
  /** The schema as the catalog spells it, when given (or once resolved through the catalog). */
  readonly schema: string | undefined;
  /** The name as the catalog spells it (`Order Items`, `events`). */
  readonly name: string;
}

/** PostgreSQL's NAMEDATALEN - 1: a longer name would be silently truncated by the server. */
const MAX_NAME_BYTES = 63;
const UNQUOTED = /^[\p{L}_][\p{L}\p{N}_$]*$/u;
const PLAIN = /^[a-z_][a-z0-9_$]*$/;

/**
 * Words PostgreSQL reserves (Appendix C, "reserved" and "reserved (can be function or type)"):
 * as a bare name they would not parse, so `displayName` quotes them.
 */
const RESERVED = new Set(('all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation ' +
  'column concurrently constraint create cross current_catalog current_date current_role current_schema current_time current_timestamp ' +
  'current_user default deferrable desc distinct do else end except false fetch for foreign freeze from full grant group having ilike in ' +
  'initially inner intersect into is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset ' +
  'on only or order outer overlaps placing primary references returning right select session_user similar some symmetric system_user table ' +
  'tablesample then to trailing true union unique user using variadic verbose when where window with').split(' '));

/** One part of a name as written: its catalog spelling, and whether it was quoted. */
interface NamePart {
  value: string;
  quoted: boolean;
}

/** Splits `a."B c".d` into parts; undefined when the text is not a well-formed SQL name. */
function splitName(text: string): NamePart[] | undefined {
  const parts: NamePart[] = [];
  let i = 0;
  while (i <= text.length) {
    if (text[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return undefined;
        if (text[j] === '"') {
          if (text[j + 1] === '"') {
            value += '"';
            j += 2;
            continue;
          }
          break;
        }
        value += text[j++];
      }
      if (value === '') return undefined;
      parts.push({ value, quoted: true });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && text[j] !== '.' && text[j] !== '"') j++;
      const raw = text.slice(i, j);
      if (!UNQUOTED.test(raw)) return undefined;
      // PostgreSQL folds only ASCII letters of an unquoted name (downcase_identifier, UTF-8).
      parts.push({ value: raw.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()), quoted: false });
      i = j;
    }
    if (i === text.length) return parts;
    if (text[i] !== '.') return undefined;
    i++;
  }
  return undefined;
}

/** The parts of a name written as in SQL (`a."B c".d`), as the catalog spells them; undefined when malformed. */
export function nameParts(text: string): string[] | undefined {
  return splitName(text)?.map((part) => part.value);
}

function identifierOf(parts: readonly string[]): Identifier {
  const [schema, name] = parts.length === 2 ? [parts[0], parts[1]!] : [undefined, parts[0]!];
  return { text: parts.map(displayName).join('.'), sql: parts.map(quote).join('.'), schema, name };
}

function parseName(text: string, flag: string, what: string, maxParts: number): string[] {
  const parts = splitName(text.trim());
  const hint = maxParts === 2
    ? 'write it as in SQL: products, analytics.events, or with double quotes for other names, e.g. \'"Sales"."Order Items"\''
    : 'write it as in SQL: category, or with double quotes for other names, e.g. \'"Customer Id"\'';
  if (!parts || parts.length > maxParts) throw usageError(`${flag} '${printable(text)}' is not a valid ${what} name`, hint);
  const tooLong = parts.find((part) => Buffer.byteLength(part.value) > MAX_NAME_BYTES);
  if (tooLong) throw usageError(`${flag} '${printable(text)}' is longer than ${MAX_NAME_BYTES} bytes`, 'PostgreSQL would truncate it; pass the name as the catalog has it');
  return parts.map((part) => part.value);
}

/** `--table`: `name`, `schema.name`, either part quoted as in SQL. */
export function tableIdentifier(text: string, flag = '--table'): Identifier {
  return identifierOf(parseName(text, flag, 'table', 2));
}

/** `--column`: one name, quoted as in SQL when it needs it. */
export function columnIdentifier(text: string, flag = '--column'): Identifier {
  return identifierOf(parseName(text, flag, 'column', 1));
}

/** A name as the catalog has it, e.g. after resolution: `schema` and `name` exactly. */
export function catalogIdentifier(schema: string | undefined, name: string): Identifier {
  return identifierOf(schema === undefined ? [name] : [schema, name]);
}

/** The same name, schema-qualified with the schema the catalog resolved it to. */
export function qualify(identifier: Identifier, schema: string): Identifier {
  return catalogIdentifier(schema, identifier.name);
}

/** The name with its schema (once resolved), as a person writes it in SQL: what printed commands use. */
export function qualifiedText(identifier: Identifier): string {
  return identifier.schema === undefined ? displayName(identifier.name) : `${displayName(identifier.schema)}.${displayName(identifier.name)}`;
}

/** Double-quoted for SQL, `"` doubled: safe for any name. */
export function quote(part: string): string {
  return `"${part.replace(/"/g, '""')}"`;
}

/** A name part as a person writes it in SQL: bare when PostgreSQL reads it back unchanged, else quoted. */
export function displayName(part: string): string {
  return PLAIN.test(part) && !RESERVED.has(part) ? part : quote(part);
}

/** A shell word that passes `text` through unchanged (single-quoted unless it is plain). */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Bad input is echoed back shortened and without control characters, so the error stays one line. */
export function printable(text: string, max = 60): string {
  // C0 and C1 controls (ESC and CSI start terminal escape sequences) and the Unicode line separators.
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
