/**
 * Plan domain: classifies a user's `explain --query` before anything runs: EXPLAIN ANALYZE executes
 * the statement, so perfbench accepts only what EXPLAIN can run and a rollback can undo (queries
 * and DML), and refuses DDL, transaction control and utility commands with one line. Pure: text in,
 * verdict out.
 *
 * The check is conservative rather than a parser: comments, string literals, dollar-quoted bodies
 * and quoted identifiers are blanked first (so `'DROP TABLE'` in a literal or a column named
 * "delete" decides nothing), then the first keyword is checked against an allow-list. What slips
 * past a keyword check (a function with side effects) is still undone by the ROLLBACK that ends
 * every explain, except effects PostgreSQL never rolls back (sequences, dblink, pg_terminate_backend).
 */

/** The statements `explain --query` runs; anything else is refused. */
export type StatementKind = 'read' | 'write';

/** A statement perfbench will explain. */
export interface AcceptedStatement {
  ok: true;
  /** `write` when it modifies rows (DML, or a data-modifying CTE): the output then says the writes were rolled back. */
  kind: StatementKind;
  /** The first keyword, upper-cased: SELECT, WITH, VALUES, TABLE, INSERT, UPDATE, DELETE, MERGE (`(` counts as SELECT). */
  verb: string;
  /** The highest `$n` placeholder used: the number of `--param` values it needs. */
  parameters: number;
}

/** A statement perfbench refuses to explain, with the one-line reason. */
export interface RefusedStatement {
  ok: false;
  /** `ddl` (schema or privileges), `transaction` (transaction control, session state, utility), `multiple`, `invalid`. */
  reason: 'ddl' | 'transaction' | 'multiple' | 'invalid';
  message: string;
}

export type StatementVerdict = AcceptedStatement | RefusedStatement;

/** First keywords EXPLAIN (ANALYZE) can run and a ROLLBACK undoes. */
const READ_VERBS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE']);
const WRITE_VERBS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/** Schema, privilege and maintenance commands (some, like CREATE TABLE AS, EXPLAIN would even run). */
const DDL_VERBS = new Set([
  'CREATE', 'ALTER', 'DROP', 'TRUNCATE', 'GRANT', 'REVOKE', 'COMMENT', 'SECURITY', 'REINDEX', 'CLUSTER',
  'VACUUM', 'ANALYZE', 'ANALYSE', 'REFRESH', 'IMPORT', 'REASSIGN',
]);

/** Transaction control, session state and utility commands. */
const TRANSACTION_VERBS = new Set([
  'BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT', 'SAVEPOINT', 'RELEASE', 'PREPARE', 'SET', 'RESET',
  'DISCARD', 'COPY', 'CALL', 'DO', 'EXECUTE', 'DEALLOCATE', 'DECLARE', 'FETCH', 'MOVE', 'CLOSE', 'LOCK',
  'LISTEN', 'UNLISTEN', 'NOTIFY', 'LOAD', 'CHECKPOINT', 'SHOW',
]);

/** Blanked text, or why it could not be blanked. */
type Stripped = { ok: true; text: string } | { ok: false; message: string };

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/**
 * Replaces comments with a space, string literals with `''`, dollar-quoted bodies with `$$` and
 * quoted identifiers with `"_"`, keeping everything else. Follows PostgreSQL's lexer where it
 * matters: block comments nest, `''` escapes a quote, E'…' strings take backslash escapes, a
 * dollar-quote tag cannot start with a digit (so `$1` stays a parameter).
 */
export function stripSql(text: string): Stripped {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? n : end;
      out += ' ';
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === '/') {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
      if (depth > 0) return { ok: false, message: 'the query has an unterminated /* comment' };
      out += ' ';
    } else if (c === "'") {
      // E'…' (also e'…') takes backslash escapes; the prefix letter must start a token.
      const prefix = text[i - 1];
      const escapes = (prefix === 'E' || prefix === 'e') && (i < 2 || !IDENT_CHAR.test(text[i - 2]!));
      i = skipQuoted(text, i + 1, "'", escapes);
      if (i === -1) return { ok: false, message: 'the query has an unterminated string literal' };
      out += "''";
    } else if (c === '"') {
      i = skipQuoted(text, i + 1, '"', false);
      if (i === -1) return { ok: false, message: 'the query has an unterminated quoted identifier' };
      out += '"_"';
    } else if (c === '$' && (i === 0 || !IDENT_CHAR.test(text[i - 1]!))) {
      const tag = DOLLAR_TAG.exec(text.slice(i))?.[0];
      if (tag === undefined) {
        out += c;
        i++;
      } else {
        const end = text.indexOf(tag, i + tag.length);
        if (end === -1) return { ok: false, message: `the query has an unterminated dollar-quoted string ${tag}` };
        i = end + tag.length;
        out += '$$';
      }
    } else {
      out += c;
      i++;
    }
  }
  return { ok: true, text: out };
}

/**
 * The index just past the quote that closes a quoted run starting at `from` (after the opening
 * quote), or -1 when it never closes. A doubled quote stands for itself; with `backslashEscapes`
 * (E'…' strings) a backslash escapes the next character.
 */
function skipQuoted(text: string, from: number, quote: string, backslashEscapes: boolean): number {
  let i = from;
  while (i < text.length) {
    const ch = text[i];
    if (backslashEscapes && ch === '\\') i += 2;
    else if (ch !== quote) i++;
    else if (text[i + 1] === quote) i += 2;
    else return i + 1;
  }
  return -1;
}

function refuse(reason: RefusedStatement['reason'], message: string): RefusedStatement {
  return { ok: false, reason, message };
}

/** Words of the blanked text, upper-cased (keywords are case-insensitive; quoted identifiers are gone). */
function wordsOf(stripped: string): string[] {
  return (stripped.match(/[A-Za-z_][A-Za-z0-9_$]*/g) ?? []).map((word) => word.toUpperCase());
}

/**
 * True when a DML keyword appears as a statement (a data-modifying CTE or the statement itself),
 * not as part of a locking clause (`FOR UPDATE`, `FOR NO KEY UPDATE`) or `ON CONFLICT DO UPDATE`.
 */
function hasWriteKeyword(words: string[]): boolean {
  return words.some((word, i) => {
    if (!WRITE_VERBS.has(word)) return false;
    if (word !== 'UPDATE') return true;
    const before = words[i - 1];
    return before !== 'FOR' && before !== 'KEY' && before !== 'DO';
  });
}

/** Classifies a `--query` (see the module comment for what is refused and why). */
export function classifyStatement(query: string): StatementVerdict {
  const stripped = stripSql(query);
  if (!stripped.ok) return refuse('invalid', stripped.message);
  // One trailing semicolon is how people end statements; any other one separates statements.
  const body = stripped.text.replace(/;\s*$/, '');
  if (body.includes(';')) {
    return refuse('multiple', '--query holds more than one statement (a ; inside it); explain one statement at a time');
  }
  const words = wordsOf(body);
  const first = /^\s*\(/.test(body) ? 'SELECT' : words[0];
  if (first === undefined) return refuse('invalid', '--query is empty (only blanks or comments)');
  if (first === 'EXPLAIN') {
    return refuse('invalid', '--query starts with EXPLAIN; pass the statement alone, perfbench adds EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)');
  }
  if (DDL_VERBS.has(first)) {
    return refuse('ddl', `--query is a ${first} statement; perfbench explain refuses DDL and maintenance commands (only SELECT, VALUES, TABLE, WITH, INSERT, UPDATE, DELETE, MERGE)`);
  }
  if (TRANSACTION_VERBS.has(first)) {
    return refuse('transaction', `--query is a ${first} statement; perfbench explain refuses transaction control and utility commands (it runs the statement in its own transaction and rolls it back)`);
  }
  if (!READ_VERBS.has(first) && !WRITE_VERBS.has(first)) {
    // The word is echoed back; a 10,000-letter one would make the one-line error unreadable.
    const shown = first.length > 40 ? `${first.slice(0, 40)}…` : first;
    return refuse('invalid', `--query starts with ${shown}; perfbench explain runs only SELECT, VALUES, TABLE, WITH, INSERT, UPDATE, DELETE, MERGE`);
  }
  const writes = WRITE_VERBS.has(first) || hasWriteKeyword(words);
  // SELECT … INTO creates a table (DDL in disguise); INSERT INTO and MERGE INTO are DML.
  if (!writes && words.includes('INTO')) {
    return refuse('ddl', '--query is a SELECT … INTO, which creates a table; perfbench explain refuses DDL (drop the INTO clause)');
  }
  const placeholders = body.match(/(?<![A-Za-z0-9_$])\$\d+/g) ?? [];
  const parameters = placeholders.reduce((max, p) => Math.max(max, Number(p.slice(1))), 0);
  return {
    ok: true,
    kind: writes ? 'write' : 'read',
    verb: first,
    parameters,
  };
}

