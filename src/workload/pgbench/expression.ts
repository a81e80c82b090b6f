/**
 * Workload domain (pure): pgbench's \set / \if expression language, read into a tree.
 *
 * The grammar is pgbench's (src/bin/pgbench/exprparse.y, exprscan.l), re-expressed as a precedence
 * climbing parser. From lowest to highest binding:
 *   OR  <  AND  <  NOT (prefix)  <  IS, ISNULL, NOTNULL  <  = <> != < <= > >= (do not chain)
 *   <  | # & << >> and prefix ~  <  + -  <  * / %  <  prefix + -
 * Operators become function calls with pgbench's argument order, because the order in which
 * arguments are evaluated decides which random draw each one gets: `a > b` is `<`(b, a), `-x` is
 * 0 - x, `~x` is -1 # x, and hash()/permute() without a seed get :default_seed as last argument.
 */
import { EvaluationError, INT64_MIN, NULL_VALUE, TRUE_VALUE, FALSE_VALUE, doubleValue, intValue, parseDouble, parseInt64, type PgValue } from './values.js';

/** The functions and operators an expression can call; `!…` are operators, as in pgbench. */
export type FunctionId =
  | '+' | '-' | '*' | '/' | 'mod'
  | 'abs' | 'least' | 'greatest' | 'debug' | 'pi' | 'sqrt' | 'ln' | 'exp' | 'int' | 'double'
  | 'random' | 'random_gaussian' | 'random_exponential' | 'random_zipfian' | 'pow'
  | '!and' | '!or' | '!not' | '&' | '|' | '#' | '<<' | '>>'
  | '=' | '<>' | '<=' | '<' | '!is' | '!case'
  | 'hash_murmur2' | 'hash_fnv1a' | 'permute';

export type Expr =
  | { readonly kind: 'const'; readonly value: PgValue }
  | { readonly kind: 'var'; readonly name: string }
  | { readonly kind: 'call'; readonly fn: FunctionId; readonly args: readonly Expr[] };

/** A syntax error in an expression; `column` is 1-based within the text handed to parseExpression. */
export class ExpressionSyntaxError extends Error {
  constructor(message: string, readonly column: number) {
    super(message);
    this.name = 'ExpressionSyntaxError';
  }
}

/** Arity: a count, or pgbench's special cases (least/greatest: 1+; hash: 1-2; permute: 2-3). */
type Arity = number | 'variadic' | 'hash' | 'permute';

const FUNCTIONS: ReadonlyMap<string, { fn: FunctionId; arity: Arity }> = new Map([
  ['abs', { fn: 'abs', arity: 1 }],
  ['least', { fn: 'least', arity: 'variadic' }],
  ['greatest', { fn: 'greatest', arity: 'variadic' }],
  ['debug', { fn: 'debug', arity: 1 }],
  ['pi', { fn: 'pi', arity: 0 }],
  ['sqrt', { fn: 'sqrt', arity: 1 }],
  ['ln', { fn: 'ln', arity: 1 }],
  ['exp', { fn: 'exp', arity: 1 }],
  ['int', { fn: 'int', arity: 1 }],
  ['double', { fn: 'double', arity: 1 }],
  ['random', { fn: 'random', arity: 2 }],
  ['random_gaussian', { fn: 'random_gaussian', arity: 3 }],
  ['random_exponential', { fn: 'random_exponential', arity: 3 }],
  ['random_zipfian', { fn: 'random_zipfian', arity: 3 }],
  ['pow', { fn: 'pow', arity: 2 }],
  ['power', { fn: 'pow', arity: 2 }],
  ['hash', { fn: 'hash_murmur2', arity: 'hash' }],
  ['hash_murmur2', { fn: 'hash_murmur2', arity: 'hash' }],
  ['hash_fnv1a', { fn: 'hash_fnv1a', arity: 'hash' }],
  ['permute', { fn: 'permute', arity: 'permute' }],
] as const);

/** Every function name a script may call, for messages and docs. */
export const FUNCTION_NAMES: readonly string[] = [...FUNCTIONS.keys()];

type TokenKind =
  | 'op' | 'keyword' | 'variable' | 'int' | 'maxint+1' | 'double' | 'function' | 'end';

interface Token {
  readonly kind: TokenKind;
  /** Operators and keywords: the canonical spelling (keywords upper case); others: the text. */
  readonly text: string;
  readonly start: number;
  readonly value?: PgValue;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IS', 'ISNULL', 'NOTNULL', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'NULL', 'TRUE', 'FALSE']);
const TWO_CHAR_OPS = new Set(['<>', '!=', '<=', '>=', '<<', '>>']);
const ONE_CHAR_OPS = new Set(['+', '-', '*', '/', '%', '=', '<', '>', '|', '&', '#', '~', '(', ')', ',']);
// exprscan.l: alpha [a-zA-Z\200-\377_], alnum adds digits; every non-ASCII byte counts as a letter.
const ALPHA = /[A-Za-z_\u0080-\uffff]/;
const ALNUM = /[A-Za-z0-9_\u0080-\uffff]/;
const DIGIT = /[0-9]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\n') {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      tokens.push({ kind: 'op', text: two === '!=' ? '<>' : two, start: i });
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPS.has(c)) {
      tokens.push({ kind: 'op', text: c, start: i });
      i++;
      continue;
    }
    if (c === ':' && i + 1 < text.length && ALNUM.test(text[i + 1]!)) {
      let j = i + 1;
      while (j < text.length && ALNUM.test(text[j]!)) j++;
      tokens.push({ kind: 'variable', text: text.slice(i + 1, j), start: i });
      i = j;
      continue;
    }
    if (DIGIT.test(c) || (c === '.' && DIGIT.test(text[i + 1] ?? ''))) {
      tokens.push(numberToken(text, i));
      i += tokens[tokens.length - 1]!.text.length;
      continue;
    }
    if (ALPHA.test(c)) {
      let j = i + 1;
      while (j < text.length && ALNUM.test(text[j]!)) j++;
      const word = text.slice(i, j);
      const upper = word.toUpperCase();
      tokens.push(KEYWORDS.has(upper) ? { kind: 'keyword', text: upper, start: i } : { kind: 'function', text: word, start: i });
      i = j;
      continue;
    }
    throw new ExpressionSyntaxError(`unexpected character "${c}"`, i + 1);
  }
  tokens.push({ kind: 'end', text: '', start: text.length });
  return tokens;
}

/** Flex takes the longest match: digits alone are an integer, with a fraction or exponent a double. */
function numberToken(text: string, start: number): Token {
  const rest = text.slice(start);
  const digits = /^[0-9]*/.exec(rest)![0];
  const double = /^(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?)/.exec(rest)![0];
  if (double.length > digits.length) {
    const value = parseDouble(double);
    if (value === undefined) throw new ExpressionSyntaxError(`double constant ${double} is out of range`, start + 1);
    return { kind: 'double', text: double, start, value: doubleValue(value) };
  }
  // exprscan.l: 2^63 only as the operand of a unary minus, where it makes INT64_MIN.
  if (digits === '9223372036854775808') return { kind: 'maxint+1', text: digits, start };
  const value = parseInt64(digits);
  if (typeof value !== 'bigint') throw new ExpressionSyntaxError(`integer constant ${digits} is out of range for bigint`, start + 1);
  return { kind: 'int', text: digits, start, value: intValue(value) };
}

// Binding levels, lowest first (exprparse.y's %left/%right/%nonassoc lines).
const LEVEL_OR = 1;
const LEVEL_AND = 2;
const LEVEL_NOT = 3;
const LEVEL_IS = 4;
const LEVEL_COMPARE = 5;
const LEVEL_BITS = 6;
const LEVEL_ADD = 7;
const LEVEL_MUL = 8;
const LEVEL_UNARY = 9;

function infixLevel(token: Token): number {
  if (token.kind === 'keyword') {
    if (token.text === 'OR') return LEVEL_OR;
    if (token.text === 'AND') return LEVEL_AND;
    if (token.text === 'IS' || token.text === 'ISNULL' || token.text === 'NOTNULL') return LEVEL_IS;
    return 0;
  }
  if (token.kind !== 'op') return 0;
  switch (token.text) {
    case '=': case '<>': case '<': case '>': case '<=': case '>=':
      return LEVEL_COMPARE;
    case '|': case '#': case '&': case '<<': case '>>':
      return LEVEL_BITS;
    case '+': case '-':
      return LEVEL_ADD;
    case '*': case '/': case '%':
      return LEVEL_MUL;
    default:
      return 0;
  }
}

const call = (fn: FunctionId, ...args: Expr[]): Expr => ({ kind: 'call', fn, args });
const constant = (value: PgValue): Expr => ({ kind: 'const', value });
const DEFAULT_SEED: Expr = { kind: 'var', name: 'default_seed' };

class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private get token(): Token {
    return this.tokens[this.position]!;
  }

  private advance(): Token {
    return this.tokens[this.position++]!;
  }

  private fail(token: Token = this.token): never {
    const what = token.kind === 'end' ? 'end of expression' : `"${token.text}"`;
    throw new ExpressionSyntaxError(`syntax error: unexpected ${what}`, token.start + 1);
  }

  private isOp(text: string): boolean {
    return this.token.kind === 'op' && this.token.text === text;
  }

  private isKeyword(text: string): boolean {
    return this.token.kind === 'keyword' && this.token.text === text;
  }

  private expectOp(text: string): void {
    if (!this.isOp(text)) this.fail();
    this.advance();
  }

  private expectKeyword(text: string): void {
    if (!this.isKeyword(text)) this.fail();
    this.advance();
  }

  parse(): Expr {
    const expr = this.expression(0);
    if (this.token.kind !== 'end') this.fail();
    return expr;
  }

  /** Parses operators that bind tighter than `minLevel` (so equal levels associate to the left). */
  private expression(minLevel: number): Expr {
    let left = this.prefix();
    for (;;) {
      const token = this.token;
      const level = infixLevel(token);
      if (level === 0 || level <= minLevel) return left;
      this.advance();
      if (level === LEVEL_IS) {
        left = this.postfixIs(token, left);
        continue;
      }
      const right = this.expression(level);
      left = binary(token, left, right);
      // Comparisons are %nonassoc: `a < b < c` is a syntax error, as in pgbench.
      if (level === LEVEL_COMPARE && infixLevel(this.token) === LEVEL_COMPARE) this.fail();
    }
  }

  private postfixIs(operator: Token, operand: Expr): Expr {
    const isNull = call('!is', operand, constant(NULL_VALUE));
    if (operator.text === 'ISNULL') return isNull;
    if (operator.text === 'NOTNULL') return call('!not', isNull);
    const negated = this.isKeyword('NOT');
    if (negated) this.advance();
    let target: PgValue;
    if (this.isKeyword('NULL')) target = NULL_VALUE;
    else if (this.isKeyword('TRUE')) target = TRUE_VALUE;
    else if (this.isKeyword('FALSE')) target = FALSE_VALUE;
    else this.fail();
    this.advance();
    const is = call('!is', operand, constant(target));
    return negated ? call('!not', is) : is;
  }

  private prefix(): Expr {
    const token = this.token;
    if (token.kind === 'op') {
      switch (token.text) {
        case '(': {
          this.advance();
          const inner = this.expression(0);
          this.expectOp(')');
          return inner;
        }
        case '+':
          this.advance();
          return this.expression(LEVEL_UNARY);
        case '-':
          this.advance();
          if (this.token.kind === 'maxint+1') {
            this.advance();
            return constant(intValue(INT64_MIN));
          }
          return call('-', constant(intValue(0n)), this.expression(LEVEL_UNARY));
        case '~':
          // The rule takes ~'s own level (the bit operators'), so `~1 + 2` is ~(1 + 2).
          this.advance();
          return call('#', constant(intValue(-1n)), this.expression(LEVEL_BITS));
        default:
          this.fail();
      }
    }
    if (token.kind === 'keyword') {
      switch (token.text) {
        case 'NOT':
          this.advance();
          return call('!not', this.expression(LEVEL_NOT - 1));
        case 'NULL':
          this.advance();
          return constant(NULL_VALUE);
        case 'TRUE':
          this.advance();
          return constant(TRUE_VALUE);
        case 'FALSE':
          this.advance();
          return constant(FALSE_VALUE);
        case 'CASE':
          this.advance();
          return this.caseExpression();
        default:
          this.fail();
      }
    }
    switch (token.kind) {
      case 'maxint+1':
        throw new ExpressionSyntaxError(`integer constant ${token.text} is out of range for bigint`, token.start + 1);
      case 'int':
      case 'double':
        this.advance();
        return constant(token.value!);
      case 'variable':
        this.advance();
        return { kind: 'var', name: token.text };
      case 'function':
        this.advance();
        return this.functionCall(token);
      default:
        return this.fail();
    }
  }

  private caseExpression(): Expr {
    const args: Expr[] = [];
    if (!this.isKeyword('WHEN')) this.fail();
    while (this.isKeyword('WHEN')) {
      this.advance();
      args.push(this.expression(0));
      this.expectKeyword('THEN');
      args.push(this.expression(0));
    }
    if (this.isKeyword('ELSE')) {
      this.advance();
      args.push(this.expression(0));
    } else {
      args.push(constant(NULL_VALUE));
    }
    this.expectKeyword('END');
    return { kind: 'call', fn: '!case', args };
  }

  private functionCall(name: Token): Expr {
    if (!this.isOp('(')) this.fail();
    this.advance();
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      for (;;) {
        args.push(this.expression(0));
        if (this.isOp(',')) {
          this.advance();
          continue;
        }
        break;
      }
    }
    this.expectOp(')');
    const known = FUNCTIONS.get(name.text.toLowerCase());
    const column = name.start + 1;
    if (!known) throw new ExpressionSyntaxError(`unknown function ${name.text}()`, column);
    const label = name.text.toLowerCase();
    switch (known.arity) {
      case 'variadic':
        if (args.length === 0) throw new ExpressionSyntaxError(`${label}() expects at least one argument`, column);
        break;
      case 'hash':
        if (args.length < 1 || args.length > 2) throw new ExpressionSyntaxError(`${label}() expects 1 or 2 arguments, got ${args.length}`, column);
        if (args.length === 1) args.push(DEFAULT_SEED);
        break;
      case 'permute':
        if (args.length < 2 || args.length > 3) throw new ExpressionSyntaxError(`${label}() expects 2 or 3 arguments, got ${args.length}`, column);
        if (args.length === 2) args.push(DEFAULT_SEED);
        break;
      default:
        if (args.length !== known.arity) {
          throw new ExpressionSyntaxError(`${label}() expects ${known.arity} argument${known.arity === 1 ? '' : 's'}, got ${args.length}`, column);
        }
    }
    return { kind: 'call', fn: known.fn, args };
  }
}

function binary(operator: Token, left: Expr, right: Expr): Expr {
  switch (operator.text) {
    case '+': return call('+', left, right);
    case '-': return call('-', left, right);
    case '*': return call('*', left, right);
    case '/': return call('/', left, right);
    case '%': return call('mod', left, right);
    case '<': return call('<', left, right);
    case '<=': return call('<=', left, right);
    case '>': return call('<', right, left);
    case '>=': return call('<=', right, left);
    case '=': return call('=', left, right);
    case '<>': return call('<>', left, right);
    case '&': return call('&', left, right);
    case '|': return call('|', left, right);
    case '#': return call('#', left, right);
    case '<<': return call('<<', left, right);
    case '>>': return call('>>', left, right);
    case 'AND': return call('!and', left, right);
    case 'OR': return call('!or', left, right);
    default:
      throw new EvaluationError(`internal: unknown operator ${operator.text}`);
  }
}

/** Parses one \set or \if expression; throws ExpressionSyntaxError with a 1-based column. */
export function parseExpression(text: string): Expr {
  return new Parser(tokenize(text)).parse();
}

/** The variables an expression reads (for checks and docs), in order of first use. */
export function variablesOf(expr: Expr, into: string[] = []): string[] {
  if (expr.kind === 'var') {
    if (!into.includes(expr.name)) into.push(expr.name);
  } else if (expr.kind === 'call') {
    for (const arg of expr.args) variablesOf(arg, into);
  }
  return into;
}
