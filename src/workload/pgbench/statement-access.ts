/**
 * Workload domain (pure): what a script's SQL statement does to the database, read from its tokens
 * (quotes, comments and parameters already told apart by the script reader). The executor uses it
 * to decide the cache path: only `read` statements may be served from a cache, and a script with a
 * `write` gets no cache path, with the reason in the report.
 *
 * - `transaction`: BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE,
 *   PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED;
 * - `read`: SELECT, VALUES, TABLE, WITH, SHOW that take no row lock (FOR UPDATE / NO KEY UPDATE /
 *   SHARE / KEY SHARE), modify nothing through a data-modifying WITH, create no table
 *   (SELECT … INTO) and call none of the functions known to change state (nextval(), setval(),
 *   set_config(), pg_notify(), advisory locks, large objects);
 * - `write`: everything else, including what perfbench cannot prove read-only (CALL, DO, SET,
 *   EXPLAIN, a function of your own that writes is not detected: its SELECT counts as a read).
 */

/** A lexical token of a statement: enough to classify it without a full SQL parser. */
export type SqlToken =
  | { readonly kind: 'word'; readonly upper: string }
  | { readonly kind: 'punct'; readonly text: string }
  | { readonly kind: 'string' }
  | { readonly kind: 'ident' }
  | { readonly kind: 'param' };

export type StatementAccess = 'read' | 'write' | 'transaction';

export interface AccessClass {
  readonly access: StatementAccess;
  /** Why, in words for the report: `UPDATE changes rows`, `SELECT … FOR UPDATE locks rows`. */
  readonly reason: string;
}

const TRANSACTION_WORDS = new Set(['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT', 'SAVEPOINT', 'RELEASE']);
const QUERY_WORDS = new Set(['SELECT', 'VALUES', 'TABLE', 'WITH', 'SHOW']);
const DATA_CHANGING = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);
/** Built-in functions that change state although they are called from a SELECT. */
const STATE_CHANGING_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ['NEXTVAL', 'changes a sequence'],
  ['SETVAL', 'changes a sequence'],
  ['SET_CONFIG', 'changes a setting'],
  ['PG_NOTIFY', 'sends a notification'],
  ['LO_CREATE', 'creates a large object'],
  ['LO_IMPORT', 'creates a large object'],
  ['LO_UNLINK', 'removes a large object'],
  ['LO_PUT', 'changes a large object'],
  ['LO_FROM_BYTEA', 'creates a large object'],
]);

function word(token: SqlToken | undefined): string | undefined {
  return token?.kind === 'word' ? token.upper : undefined;
}

function punct(token: SqlToken | undefined): string | undefined {
  return token?.kind === 'punct' ? token.text : undefined;
}

/** Classifies one statement from its tokens (comments excluded). */
export function classifyStatement(tokens: readonly SqlToken[]): AccessClass {
  let start = 0;
  while (punct(tokens[start]) === '(') start++;
  const first = word(tokens[start]);
  if (first === undefined) return { access: 'write', reason: 'is not a plain query' };
  const second = word(tokens[start + 1]);
  if (TRANSACTION_WORDS.has(first) || (first === 'PREPARE' && second === 'TRANSACTION')) {
    const what = first === 'START' || first === 'PREPARE' ? `${first} TRANSACTION` : first;
    return { access: 'transaction', reason: `${what} controls the transaction` };
  }
  if (DATA_CHANGING.has(first)) return { access: 'write', reason: `${first} changes rows` };
  if (!QUERY_WORDS.has(first)) return { access: 'write', reason: `${first} is not a read-only query` };
  for (let i = start; i < tokens.length; i++) {
    const current = word(tokens[i]);
    if (current === 'FOR') {
      const lock = lockClause(tokens, i + 1);
      if (lock) return { access: 'write', reason: `${first} … FOR ${lock} locks rows` };
    }
    if (current !== undefined && DATA_CHANGING.has(current) && punct(tokens[i - 1]) === '(') {
      return { access: 'write', reason: `WITH … ${current} changes rows` };
    }
    if (current === 'INTO' && first === 'SELECT') return { access: 'write', reason: 'SELECT … INTO creates a table' };
    if (current !== undefined && punct(tokens[i + 1]) === '(') {
      const effect = STATE_CHANGING_FUNCTIONS.get(current) ?? (current.startsWith('PG_ADVISORY') || current.startsWith('PG_TRY_ADVISORY') ? 'takes an advisory lock' : undefined);
      if (effect) return { access: 'write', reason: `${current.toLowerCase()}() ${effect}` };
    }
  }
  return { access: 'read', reason: `${first} reads only` };
}

/** The lock strength after FOR (UPDATE, NO KEY UPDATE, SHARE, KEY SHARE), if this FOR starts one. */
function lockClause(tokens: readonly SqlToken[], at: number): string | undefined {
  const a = word(tokens[at]);
  const b = word(tokens[at + 1]);
  const c = word(tokens[at + 2]);
  if (a === 'UPDATE' || a === 'SHARE') return a;
  if (a === 'NO' && b === 'KEY' && c === 'UPDATE') return 'NO KEY UPDATE';
  if (a === 'KEY' && b === 'SHARE') return 'KEY SHARE';
  return undefined;
}
