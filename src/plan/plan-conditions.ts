/**
 * Plan domain (pure): reads the conditions and keys EXPLAIN prints (`Filter`, `Index Cond`,
 * `Hash Cond`, `Sort Key`…) far enough to tell which columns an index could serve. EXPLAIN prints
 * them through PostgreSQL's ruleutils.c, so the shapes are regular: every operator expression is
 * parenthesized, identifiers are double-quoted when they need it (`"Customer Id"`, `"select"`),
 * a scan's own columns are unqualified in its own conditions, and columns of other relations
 * (outer references, join keys) carry their alias (`c.id`). This is a reader of those shapes, not
 * a SQL parser: anything it does not recognize is "not simple", and no candidate comes from it.
 */

/** One lexical token of a printed expression. */
interface Token {
  kind: 'string' | 'ident' | 'quoted' | 'number' | 'param' | 'punct' | 'op';
  text: string;
  /** For `ident` and `quoted`: the name as the catalog spells it. */
  value: string;
  /** Where it starts in the printed expression. */
  at: number;
}

const WORD = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/y;
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const PARAM = /\$\d+/y;
const OPERATOR = /[+\-*/<>=~!@#%^&|`?]+/y;

/** Splits a printed expression into tokens; undefined when a quote never closes. */
function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  const at = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    return re.exec(text)?.[0];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= text.length) return undefined;
        if (text[j] === c) {
          if (text[j + 1] === c) {
            value += c;
            j += 2;
            continue;
          }
          break;
        }
        value += text[j++];
      }
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', text: text.slice(i, j + 1), value, at: i });
      i = j + 1;
    } else if (text.startsWith('::', i)) {
      tokens.push({ kind: 'punct', text: '::', value: '::', at: i });
      i += 2;
    } else if ('(),.[]'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, value: c, at: i });
      i++;
    } else {
      const token = [['ident', WORD], ['number', NUMBER], ['param', PARAM], ['op', OPERATOR]]
        .map(([kind, re]) => ({ kind, text: at(re as RegExp) }))
        .find((candidate) => candidate.text !== undefined) as { kind: Token['kind']; text: string } | undefined;
      if (token === undefined) return undefined;
      tokens.push({ ...token, value: token.text, at: i });
      i += token.text.length;
    }
  }
  return tokens;
}

/** True when every `(` in the tokens closes in order. */
function balanced(tokens: readonly Token[]): boolean {
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(' && t.kind === 'punct') depth++;
    if (t.text === ')' && t.kind === 'punct' && --depth < 0) return false;
  }
  return depth === 0;
}

/** Drops parentheses that enclose the whole expression: `((a = 1))` -> `a = 1`. */
function unwrap(tokens: Token[]): Token[] {
  let out = tokens;
  while (out.length >= 2 && out[0]!.text === '(' && out.at(-1)!.text === ')' && out[0]!.kind === 'punct' && balanced(out.slice(1, -1))) out = out.slice(1, -1);
  return out;
}

/** Splits tokens at a top-level word (`AND`, `OR`), outside parentheses and brackets. */
function splitTopLevel(tokens: Token[], word: string): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) depth++;
    if (t.kind === 'punct' && (t.text === ')' || t.text === ']')) depth--;
    if (depth === 0 && t.kind === 'ident' && t.text.toUpperCase() === word) parts.push([]);
    else parts.at(-1)!.push(t);
  }
  return parts;
}

function joinTokens(tokens: readonly Token[]): string {
  let out = '';
  for (const t of tokens) {
    const tight = t.text === ')' || t.text === ',' || t.text === '.' || t.text === '::' || t.text === ']' || t.text === '[';
    const afterTight = out.endsWith('(') || out.endsWith('.') || out.endsWith('::') || out.endsWith('[');
    out += out === '' || tight || afterTight ? t.text : ` ${t.text}`;
  }
  return out;
}

/** A column reference as EXPLAIN prints it: `col`, `"Col"`, `alias.col`, `(col)::text`. */
export interface ColumnRef {
  /** The alias it is qualified with, as the catalog spells it; undefined when bare. */
  qualifier?: string;
  /** The column name as the catalog spells it. */
  column: string;
}

/**
 * Casts that relabel a string column without a function call, so a plain B-tree on the column
 * still serves the comparison (EXPLAIN prints `((category)::text = 'x'::text)` for varchar).
 */
const RELABEL_CASTS = new Set(['text', 'character varying', 'varchar']);

/** The type words after a `::`, with a typmod `(20)` and `[]` skipped; returns the index past them. */
function typeEnd(tokens: readonly Token[], from: number): { end: number; type: string } {
  let i = from;
  const words: string[] = [];
  while (i < tokens.length && (tokens[i]!.kind === 'ident' || tokens[i]!.kind === 'quoted')) words.push(tokens[i++]!.value.toLowerCase());
  if (tokens[i]?.text === '(') {
    while (i < tokens.length && tokens[i]!.text !== ')') i++;
    i++;
  }
  while (tokens[i]?.text === '[' && tokens[i + 1]?.text === ']') i += 2;
  return { end: i, type: words.join(' ') };
}

/** A name token, plain or double-quoted. */
function isName(token: Token | undefined): boolean {
  return token !== undefined && (token.kind === 'ident' || token.kind === 'quoted');
}

/** The tokens as a column reference, or undefined when they are anything else. */
function columnRefOf(input: Token[]): ColumnRef | undefined {
  let tokens = unwrap(input);
  // `(col)::text`: one relabel cast on the column is transparent to the index.
  const castAt = tokens.findIndex((t) => t.text === '::');
  if (castAt !== -1) {
    const { end, type } = typeEnd(tokens, castAt + 1);
    if (end !== tokens.length || !RELABEL_CASTS.has(type)) return undefined;
    tokens = unwrap(tokens.slice(0, castAt));
  }
  const names = tokens.filter((t) => t.kind === 'ident' || t.kind === 'quoted');
  if (tokens.length === 1 && isName(tokens[0])) return { column: nameOf(tokens[0]!) };
  if (tokens.length === 3 && isName(tokens[0]) && tokens[1]!.text === '.' && isName(tokens[2]) && names.length === 2) {
    return { qualifier: nameOf(tokens[0]!), column: nameOf(tokens[2]!) };
  }
  return undefined;
}

/** An identifier token as the catalog spells it: ruleutils quotes every name that is not already lower case and plain. */
function nameOf(token: Token): string {
  return token.value;
}

/** Words that are not column names when they stand alone in a value. */
const VALUE_KEYWORDS = new Set(['NULL', 'TRUE', 'FALSE', 'ARRAY', 'AND', 'OR', 'NOT', 'IS', 'ANY', 'ALL', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'DISTINCT', 'FROM', 'IN', 'INTERVAL', 'AT', 'TIME', 'ZONE', 'LOCAL']);

/**
 * Whether the tokens are a value that does not depend on the scanned row: constants, `$n`
 * parameters, InitPlan/SubPlan results, function calls over those, and columns of *other*
 * aliases (an outer reference). `own` says whether a qualifier is the scan's own alias; a bare
 * column is always the scan's own (a row-dependent value, so not a value).
 * Returns the outer references it found, or undefined when the tokens are not such a value.
 */
function valueOf(tokens: readonly Token[], own: (qualifier: string) => boolean): { outer: string[] } | undefined {
  const outer: string[] = [];
  if (tokens.length === 0) return undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'string' || t.kind === 'number' || t.kind === 'param' || t.kind === 'op') continue;
    if (t.kind === 'punct') {
      if (t.text === '::') i = typeEnd(tokens, i + 1).end - 1;
      continue;
    }
    // A name: a function (followed by `(`), a qualified column, `(InitPlan 1)`/`(SubPlan 2)` or a keyword.
    if (tokens[i + 1]?.text === '(') continue;
    if ((t.value === 'InitPlan' || t.value === 'SubPlan') && tokens[i + 1]?.kind === 'number') {
      i++;
      continue;
    }
    if (tokens[i + 1]?.text === '.' && tokens[i + 2] && (tokens[i + 2]!.kind === 'ident' || tokens[i + 2]!.kind === 'quoted')) {
      // `(InitPlan 1).col1` (PG 16+) reads an InitPlan's output column.
      if (tokens[i - 1]?.text === ')') {
        i += 2;
        continue;
      }
      if (own(nameOf(t))) return undefined;
      outer.push(`${t.text}.${tokens[i + 2]!.text}`);
      i += 2;
      continue;
    }
    if (tokens[i - 1]?.text === '.' && tokens[i - 2]?.text === ')') continue;
    if (t.kind === 'ident' && VALUE_KEYWORDS.has(t.value.toUpperCase())) continue;
    return undefined;
  }
  return { outer };
}

/** How a conjunct uses its column: what a B-tree can do with it. */
export type ComparisonKind = 'eq' | 'in' | 'range' | 'null';

/** One top-level conjunct of a condition that compares a column with a value. */
export interface Comparison {
  column: ColumnRef;
  kind: ComparisonKind;
  /** The outer references the value reads (`c.id`): non-empty in a correlated or join condition. */
  outer: string[];
  /** The conjunct as printed (without its outer parentheses). */
  text: string;
}

const RANGE_OPERATORS = new Set(['<', '>', '<=', '>=']);

/**
 * The top-level conjuncts of a condition (`((a = 1) AND (b > 2))` -> `a = 1`, `b > 2`), each
 * without its own parentheses; undefined when the text is not readable. A top-level OR makes
 * one conjunct of the whole (it is not a column comparison).
 */
export function conjunctsOf(condition: string): string[] | undefined {
  const tokens = tokenize(condition);
  if (tokens === undefined || !balanced(tokens)) return undefined;
  return splitTopLevel(unwrap(tokens), 'AND').map((part) => joinTokens(unwrap(part)));
}

/**
 * The conjuncts of a condition that compare one column with a value a B-tree can look up:
 * `=`, `= ANY (…)`, `<`, `>`, `<=`, `>=` and `IS NULL`, in either operand order. `own` tells
 * whether a qualifier names the relation whose column we want; with `bareIsOwn` a bare column is
 * that relation's (true in a scan's own conditions, where EXPLAIN prints its columns bare).
 * Conjuncts of any other shape (OR, LIKE, <>, functions of the column, column = column of the same
 * relation) are left out.
 */
export function comparisonsOf(condition: string, own: (qualifier: string) => boolean, bareIsOwn: boolean): Comparison[] {
  const tokens = tokenize(condition);
  if (tokens === undefined || !balanced(tokens)) return [];
  const found: Comparison[] = [];
  for (const part of splitTopLevel(unwrap(tokens), 'AND')) {
    const conjunct = unwrap(part);
    const text = joinTokens(conjunct);
    if (splitTopLevel(conjunct, 'OR').length > 1) continue;
    const comparison = comparisonOf(conjunct, own, bareIsOwn);
    if (comparison) found.push({ ...comparison, text });
  }
  return found;
}

/** The tokens either side of their one top-level operator; undefined when there is none, or more than one. */
function operatorSides(tokens: Token[]): { left: Token[]; operator: string; right: Token[] } | undefined {
  let depth = 0;
  let at = -1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) depth++;
    if (t.kind === 'punct' && (t.text === ')' || t.text === ']')) depth--;
    if (depth === 0 && t.kind === 'op') {
      if (at !== -1) return undefined;
      at = i;
    }
  }
  if (at === -1) return undefined;
  return { left: tokens.slice(0, at), operator: tokens[at]!.text, right: tokens.slice(at + 1) };
}

function comparisonOf(tokens: Token[], own: (qualifier: string) => boolean, bareIsOwn: boolean): Omit<Comparison, 'text'> | undefined {
  const isOwn = (ref: ColumnRef) => (ref.qualifier === undefined ? bareIsOwn : own(ref.qualifier));
  const n = tokens.length;
  // `col IS NULL`
  if (n >= 3 && tokens[n - 2]!.value.toUpperCase() === 'IS' && tokens[n - 1]!.value.toUpperCase() === 'NULL') {
    const column = columnRefOf(tokens.slice(0, -2));
    return column && isOwn(column) ? { column, kind: 'null', outer: [] } : undefined;
  }
  const sides = operatorSides(tokens);
  if (!sides) return undefined;
  const { left, operator } = sides;
  if (operator !== '=' && !RANGE_OPERATORS.has(operator)) return undefined;
  let right = sides.right;
  let kind: ComparisonKind = operator === '=' ? 'eq' : 'range';
  const isAny = right[0]?.kind === 'ident' && right[0].value.toUpperCase() === 'ANY' && right[1]?.text === '(';
  if (isAny) {
    if (operator !== '=') return undefined;
    right = right.slice(1);
    kind = 'in';
  }
  for (const [mine, theirs] of [[left, right], [right, left]] as const) {
    if (isAny && mine === right) continue;
    const column = columnRefOf(mine);
    if (!column || !isOwn(column)) continue;
    const value = valueOf(theirs, own);
    if (value) return { column, kind, outer: value.outer };
  }
  return undefined;
}

/**
 * A side of an equality as correlatedColumn reads it: a column, qualified or bare, in at most one
 * pair of parentheses and with at most one cast, to any type (`s.id`, `"S".id`, `(station_id)::bigint`).
 */
function castColumnOf(tokens: readonly Token[]): ColumnRef | undefined {
  let i = tokens[0]?.text === '(' ? 1 : 0;
  const opened = i === 1;
  if (!isName(tokens[i])) return undefined;
  let ref: ColumnRef = { column: nameOf(tokens[i]!) };
  i++;
  if (tokens[i]?.text === '.' && isName(tokens[i + 1])) {
    ref = { qualifier: ref.column, column: nameOf(tokens[i + 1]!) };
    i += 2;
  }
  if (opened) {
    if (tokens[i]?.text !== ')') return undefined;
    i++;
  }
  if (tokens[i]?.text === '::' && tokens[i + 1]?.kind === 'ident') i = typeEnd(tokens, i + 1).end;
  return i === tokens.length ? ref : undefined;
}

/** True when the first token opens a parenthesis that the last token closes: one pair around them all. */
function wrapped(tokens: readonly Token[]): boolean {
  if (tokens.length < 2 || tokens[0]!.text !== '(' || tokens.at(-1)!.text !== ')') return false;
  let depth = 0;
  for (let i = 0; i < tokens.length - 1; i++) {
    if (tokens[i]!.text === '(') depth++;
    else if (tokens[i]!.text === ')') depth--;
    if (depth === 0) return false;
  }
  return true;
}

/**
 * In a condition evaluated on a scan of `alias`, the scan's column that is compared for equality
 * with a value from outside the scan (a column of another relation, or a `$n` parameter): in a
 * correlated SubPlan `(station_id = s.id)`, on a Nested Loop `(s.id = o.station_id)` with `o` the
 * inner scan. That is the column an index would let each run look up instead of reading every row.
 * `ownUnqualified`: a bare column is the scan's own (true inside the scan's own Filter; false on a
 * join, where every column is qualified). `outer` is the other side as EXPLAIN printed it, without
 * the parentheses around it. Null when no conjunct has that shape.
 */
export function correlatedColumn(condition: string, alias: string | undefined, ownUnqualified: boolean): { column: string; outer: string } | null {
  const tokens = tokenize(condition);
  if (tokens === undefined || !balanced(tokens)) return null;
  const isOwn = (ref: ColumnRef) => (ref.qualifier === undefined ? ownUnqualified : ref.qualifier === alias);
  for (const part of splitTopLevel(unwrap(tokens), 'AND')) {
    const sides = operatorSides(unwrap(part));
    if (sides?.operator !== '=') continue;
    for (const [mine, theirs] of [[sides.left, sides.right], [sides.right, sides.left]] as const) {
      const column = castColumnOf(mine);
      if (!column || !isOwn(column)) continue;
      const other = castColumnOf(theirs);
      const outside = (theirs.length === 1 && theirs[0]!.kind === 'param') || (other?.qualifier !== undefined && other.qualifier !== alias);
      if (!outside) continue;
      // Without the parentheses around the whole side, not those of `(s.id)::numeric(10,2)`.
      const bare = wrapped(theirs) ? theirs.slice(1, -1) : theirs;
      return { column: column.column, outer: condition.slice(bare[0]!.at, bare.at(-1)!.at + bare.at(-1)!.text.length) };
    }
  }
  return null;
}

/** One key of a `Sort Key` or `Group Key`. */
export interface OrderKey {
  column: ColumnRef;
  descending: boolean;
  /** True when the key says NULLS FIRST, false for NULLS LAST, undefined for the direction's default. */
  nullsFirst?: boolean;
}

/**
 * A `Sort Key` / `Group Key` entry as a column with its direction: `placed_at DESC`,
 * `o."Customer Id"`, `name NULLS FIRST`. Undefined for expressions and keys with a COLLATE
 * (an index would need the same collation to return them in order).
 */
export function orderKeyOf(key: string): OrderKey | undefined {
  const tokens = tokenize(key);
  if (tokens === undefined || !balanced(tokens)) return undefined;
  let rest = tokens;
  let nullsFirst: boolean | undefined;
  const upper = (i: number) => rest[rest.length + i]?.value.toUpperCase();
  if (upper(-2) === 'NULLS' && (upper(-1) === 'FIRST' || upper(-1) === 'LAST')) {
    nullsFirst = upper(-1) === 'FIRST';
    rest = rest.slice(0, -2);
  }
  let descending = false;
  if (upper(-1) === 'DESC' || upper(-1) === 'ASC') {
    descending = upper(-1) === 'DESC';
    rest = rest.slice(0, -1);
  }
  if (rest.some((t) => t.kind === 'ident' && t.value.toUpperCase() === 'COLLATE')) return undefined;
  const column = columnRefOf(rest);
  if (!column) return undefined;
  // The direction's default null order is the same as none given (ASC NULLS LAST, DESC NULLS FIRST).
  if (nullsFirst === descending) nullsFirst = undefined;
  return nullsFirst === undefined ? { column, descending } : { column, descending, nullsFirst };
}
