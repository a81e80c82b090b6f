/**
 * Workload domain (pure): evaluates a pgbench expression with pgbench's semantics
 * (src/bin/pgbench/pgbench.c, evalStandardFunc / evalLazyFunc):
 * - integer arithmetic on 64 bits, where overflow and division by zero are errors; any double
 *   operand makes + - * / and comparisons work on doubles (division by 0.0 gives ±Infinity);
 *   `%` always works on integers (a double is rounded half to even first);
 * - a NULL argument makes a function NULL, except IS and debug(); AND, OR and CASE evaluate lazily,
 *   and AND/OR take only booleans (1 is not true), while CASE WHEN and \if take any value's truth;
 * - random(lb, ub) is inclusive; the distribution functions check their parameter as pgbench does.
 * Errors are EvaluationErrors in pgbench's wording; the script layer adds the file and line.
 */
import { exponentialInt, gaussianInt, hashFnv1a, hashMurmur2, permute, uniformInt, zipfianInt } from './distributions.js';
import type { Expr, FunctionId } from './expression.js';
import type { Prng } from './prng.js';
import {
  EvaluationError,
  INT64_MAX,
  INT64_MIN,
  NULL_VALUE,
  boolValue,
  checkedInt,
  doubleValue,
  formatFixed,
  intValue,
  toBool,
  toDouble,
  toInt,
  truth,
  type PgValue,
} from './values.js';

/** What an expression can read: variables and the operation's random generator. */
export interface EvaluationEnvironment {
  /** A variable's value, or undefined when it is not defined. */
  lookup(name: string): PgValue | undefined;
  readonly random: Prng;
  /** debug(): told each value (pgbench prints it to stderr); the value passes through. */
  debug?(value: PgValue): void;
}

// pgbench.c's limits for the distribution parameters.
const MIN_GAUSSIAN_PARAM = 2.0;
const MIN_ZIPFIAN_PARAM = 1.001;
const MAX_ZIPFIAN_PARAM = 1000.0;
// evalStandardFunc evaluates at most this many arguments (least/greatest).
const MAX_FARGS = 16;

export function evaluate(expr: Expr, env: EvaluationEnvironment): PgValue {
  switch (expr.kind) {
    case 'const':
      return expr.value;
    case 'var': {
      const value = env.lookup(expr.name);
      if (value === undefined) throw new EvaluationError(`undefined variable "${expr.name}"`);
      return value;
    }
    case 'call':
      return expr.fn === '!and' || expr.fn === '!or' || expr.fn === '!case'
        ? evaluateLazy(expr.fn, expr.args, env)
        : evaluateStandard(expr.fn, evaluateArgs(expr.args, env), env);
  }
}

/** Each argument's value, in order (a loop, not map: this runs for every call of every operation). */
function evaluateArgs(args: readonly Expr[], env: EvaluationEnvironment): PgValue[] {
  const values = new Array<PgValue>(args.length);
  for (let i = 0; i < args.length; i++) values[i] = evaluate(args[i]!, env);
  return values;
}

function evaluateLazy(fn: '!and' | '!or' | '!case', args: readonly Expr[], env: EvaluationEnvironment): PgValue {
  if (fn === '!case') {
    for (let i = 0; i + 1 < args.length; i += 2) {
      if (truth(evaluate(args[i]!, env))) return evaluate(args[i + 1]!, env);
    }
    return evaluate(args[args.length - 1]!, env);
  }
  const first = evaluate(args[0]!, env);
  if (first.type === 'null') return NULL_VALUE;
  const decided = toBool(first);
  if (fn === '!and' ? !decided : decided) return boolValue(decided);
  const second = evaluate(args[1]!, env);
  return second.type === 'null' ? NULL_VALUE : boolValue(toBool(second));
}

function hasNull(args: readonly PgValue[]): boolean {
  for (let i = 0; i < args.length; i++) if (args[i]!.type === 'null') return true;
  return false;
}

function evaluateStandard(fn: Exclude<FunctionId, '!and' | '!or' | '!case'>, args: readonly PgValue[], env: EvaluationEnvironment): PgValue {
  if (args.length > MAX_FARGS) throw new EvaluationError(`too many function arguments, maximum is ${MAX_FARGS}`);
  if (fn !== '!is' && fn !== 'debug' && hasNull(args)) return NULL_VALUE;
  const [a, b, c] = args as [PgValue, PgValue, PgValue];
  switch (fn) {
    case '+': case '-': case '*': case '/': case 'mod':
    case '=': case '<>': case '<=': case '<':
      return fn !== 'mod' && (a.type === 'double' || b.type === 'double') ? doubleOperator(fn, toDouble(a), toDouble(b)) : intOperator(fn, toInt(a), toInt(b));
    case '&': case '|': case '#': case '<<': case '>>':
      return bitOperator(fn, toInt(a), toInt(b));
    case '!not':
      return boolValue(!toBool(a));
    case 'pi':
      return doubleValue(Math.PI);
    case 'abs':
      if (a.type === 'int') {
        // pgbench wraps abs(-2^63) to itself; an out-of-range error is what it means.
        if (a.value === INT64_MIN) throw new EvaluationError('bigint abs out of range');
        return intValue(a.value < 0n ? -a.value : a.value);
      }
      return doubleValue(Math.abs(toDouble(a)));
    case 'debug':
      env.debug?.(a);
      return a;
    case 'double':
      return doubleValue(toDouble(a));
    case 'sqrt':
      return doubleValue(Math.sqrt(toDouble(a)));
    case 'ln':
      return doubleValue(Math.log(toDouble(a)));
    case 'exp':
      return doubleValue(Math.exp(toDouble(a)));
    case 'int':
      return intValue(toInt(a));
    case 'least':
    case 'greatest':
      return extremum(fn, args);
    case 'random':
    case 'random_gaussian':
    case 'random_exponential':
    case 'random_zipfian':
      return randomValue(fn, args, env.random);
    case 'pow':
      return doubleValue(Math.pow(toDouble(a), toDouble(b)));
    case '!is':
      // pgbench: same type and same boolean payload (NULL IS NULL is true, 1 IS TRUE is false).
      return boolValue(a.type === b.type && (a.type !== 'boolean' || a.value === (b as { value: boolean }).value));
    case 'hash_murmur2':
      return intValue(hashMurmur2(toInt(a), toInt(b)));
    case 'hash_fnv1a':
      return intValue(hashFnv1a(toInt(a), toInt(b)));
    case 'permute': {
      const value = toInt(a);
      const size = toInt(b);
      const seed = toInt(c);
      if (size <= 0n) throw new EvaluationError('permute size parameter must be greater than zero');
      return intValue(permute(value, size, seed));
    }
  }
}

function doubleOperator(fn: '+' | '-' | '*' | '/' | '=' | '<>' | '<=' | '<', left: number, right: number): PgValue {
  switch (fn) {
    case '+': return doubleValue(left + right);
    case '-': return doubleValue(left - right);
    case '*': return doubleValue(left * right);
    case '/': return doubleValue(left / right);
    case '=': return boolValue(left === right);
    case '<>': return boolValue(left !== right);
    case '<=': return boolValue(left <= right);
    case '<': return boolValue(left < right);
  }
}

function intOperator(fn: '+' | '-' | '*' | '/' | 'mod' | '=' | '<>' | '<=' | '<', left: bigint, right: bigint): PgValue {
  switch (fn) {
    case '+': return checkedInt(left + right, 'add');
    case '-': return checkedInt(left - right, 'sub');
    case '*': return checkedInt(left * right, 'mul');
    case '=': return boolValue(left === right);
    case '<>': return boolValue(left !== right);
    case '<=': return boolValue(left <= right);
    case '<': return boolValue(left < right);
    case '/':
    case 'mod':
      if (right === 0n) throw new EvaluationError('division by zero');
      if (right === -1n) {
        if (fn === 'mod') return intValue(0n);
        if (left === INT64_MIN) throw new EvaluationError('bigint div out of range');
        return intValue(-left);
      }
      // BigInt division truncates toward zero and % takes the dividend's sign, as C does.
      return intValue(fn === '/' ? left / right : left % right);
  }
}

function bitOperator(fn: '&' | '|' | '#' | '<<' | '>>', left: bigint, right: bigint): PgValue {
  switch (fn) {
    case '&': return intValue(left & right);
    case '|': return intValue(left | right);
    case '#': return intValue(left ^ right);
    // C leaves shifts by 64 or more undefined; x86-64, where pgbench runs, uses the count modulo 64.
    case '<<': return intValue(BigInt.asIntN(64, left << (right & 63n)));
    case '>>': return intValue(left >> (right & 63n));
  }
}

function extremum(fn: 'least' | 'greatest', args: readonly PgValue[]): PgValue {
  if (args.some((arg) => arg.type === 'double')) {
    let best = toDouble(args[0]!);
    for (const arg of args.slice(1)) {
      const value = toDouble(arg);
      // C's Min/Max macros, NaN handling included: Min(best, value) keeps best only if best < value.
      if (fn === 'least' ? !(best < value) : !(best > value)) best = value;
    }
    return doubleValue(best);
  }
  let best = toInt(args[0]!);
  for (const arg of args.slice(1)) {
    const value = toInt(arg);
    if (fn === 'least' ? value < best : value > best) best = value;
  }
  return intValue(best);
}

function randomValue(fn: 'random' | 'random_gaussian' | 'random_exponential' | 'random_zipfian', args: readonly PgValue[], random: Prng): PgValue {
  const min = toInt(args[0]!);
  const max = toInt(args[1]!);
  if (min > max) throw new EvaluationError('empty range given to random');
  if (max - min + 1n > INT64_MAX) throw new EvaluationError('random range is too large');
  if (fn === 'random') return intValue(uniformInt(random, min, max));
  const parameter = toDouble(args[2]!);
  if (fn === 'random_gaussian') {
    if (!(parameter >= MIN_GAUSSIAN_PARAM)) {
      throw new EvaluationError(`gaussian parameter must be at least ${formatFixed(MIN_GAUSSIAN_PARAM)} (not ${formatFixed(parameter)})`);
    }
    return intValue(gaussianInt(random, min, max, parameter));
  }
  if (fn === 'random_zipfian') {
    if (!(parameter >= MIN_ZIPFIAN_PARAM && parameter <= MAX_ZIPFIAN_PARAM)) {
      throw new EvaluationError(`zipfian parameter must be in range [1.001, 1000] (not ${formatFixed(parameter)})`);
    }
    return intValue(zipfianInt(random, min, max, parameter));
  }
  if (!(parameter > 0.0)) throw new EvaluationError(`exponential parameter must be greater than zero (not ${formatFixed(parameter)})`);
  return intValue(exponentialInt(random, min, max, parameter));
}
