import { usageError } from '../errors.js';

/**
 * Table and column names come from flags, so they are validated against a strict pattern and
 * then double-quoted; values never go into SQL text (they are always parameters).
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A validated, possibly schema-qualified name, with its quoted SQL form. */
export interface Identifier {
  /** As the user wrote it, e.g. "public.products". */
  readonly text: string;
  /** Quoted for SQL, e.g. "public"."products". */
  readonly sql: string;
  readonly schema: string | undefined;
  readonly name: string;
}

export function tableIdentifier(text: string, flag = '--table'): Identifier {
  const parts = text.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw usageError(
      `${flag} '${printable(text)}' is not a valid table name`,
      'use letters, digits and _ (at most 63, not starting with a digit), optionally schema.table',
    );
  }
  const [schema, name] = parts.length === 2 ? [parts[0], parts[1]!] : [undefined, parts[0]!];
  return { text, sql: parts.map(quote).join('.'), schema, name };
}

export function columnIdentifier(text: string, flag = '--column'): Identifier {
  if (!IDENTIFIER.test(text)) {
    throw usageError(
      `${flag} '${printable(text)}' is not a valid column name`,
      'use letters, digits and _ (at most 63, not starting with a digit)',
    );
  }
  return { text, sql: quote(text), schema: undefined, name: text };
}

export function quote(part: string): string {
  return `"${part.replace(/"/g, '""')}"`;
}

/** Bad input is echoed back shortened and without control characters, so the error stays one line. */
export function printable(text: string, max = 60): string {
  // C0 and C1 controls (ESC and CSI start terminal escape sequences) and the Unicode line separators.
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
