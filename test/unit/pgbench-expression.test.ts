/**
 * pgbench's \set expression language: precedence, integer vs double arithmetic, overflow and
 * division errors, NULL and boolean rules, every function. Expected values are written as the
 * arithmetic that produces them; pgbench's own results for the same expressions are checked in
 * pgbench-oracle.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/workload/pgbench/evaluate.js';
import { ExpressionSyntaxError, parseExpression, variablesOf } from '../../src/workload/pgbench/expression.js';
import { Prng } from '../../src/workload/pgbench/prng.js';
import { EvaluationError, debugText, doubleValue, intValue, valueText, type PgValue } from '../../src/workload/pgbench/values.js';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function run(text: string, variables: Record<string, PgValue> = {}, random = new Prng(1n), debug?: (value: PgValue) => void): PgValue {
  return evaluate(parseExpression(text), { lookup: (name) => variables[name], random, ...(debug ? { debug } : {}) });
}

/** The value as pgbench's debug() prints it: `int 7`, `double 3.5`, `boolean true`, `null`. */
const shown = (text: string, variables: Record<string, PgValue> = {}): string => debugText(run(text, variables));

function evaluationError(text: string, variables: Record<string, PgValue> = {}): string {
  try {
    run(text, variables);
  } catch (error) {
    expect(error).toBeInstanceOf(EvaluationError);
    return (error as Error).message;
  }
  throw new Error(`${text} did not fail`);
}

function syntaxError(text: string): { message: string; column: number } {
  try {
    parseExpression(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionSyntaxError);
    return { message: (error as ExpressionSyntaxError).message, column: (error as ExpressionSyntaxError).column };
  }
  throw new Error(`${text} parsed`);
}

describe('precedence and associativity (exprparse.y)', () => {
  it.each([
    ['1 + 2 * 3', `int ${1 + 2 * 3}`],
    ['(1 + 2) * 3', `int ${(1 + 2) * 3}`],
    ['10 - 4 - 3', `int ${10 - 4 - 3}`],
    ['100 / 10 / 5', `int ${100 / 10 / 5}`],
    ['2 * 3 % 4', `int ${(2 * 3) % 4}`],
    ['-2 * 3', `int ${-2 * 3}`],
    ['- - 4', 'int 4'],
    ['+5 - -5', 'int 10'],
    // Shifts and bit operators bind looser than + and -, tighter than comparisons.
    ['2 + 3 * 4 - 1 << 1', `int ${(2 + 3 * 4 - 1) << 1}`],
    ['1 | 2 & 3', `int ${(1 | 2) & 3}`],
    ['6 # 3 | 8', `int ${(6 ^ 3) | 8}`],
    // Prefix ~ has the bit operators' level: it takes `1 + 2` whole but stops at `|`.
    ['~1 + 2', `int ${~(1 + 2)}`],
    ['~1 | 2', `int ${~1 | 2}`],
    ['1 + 1 = 2', 'boolean true'],
    ['(1 < 2) IS TRUE', 'boolean true'],
    ['NOT 1 = 2', 'boolean true'],
    ['NOT true AND false', 'boolean false'],
    ['true OR true AND false', 'boolean true'],
    ['false AND true OR true', 'boolean true'],
    ['1 = 1 IS TRUE', 'boolean true'],
    ['NOT NULL IS NULL', 'boolean false'],
    ['-1 ISNULL', 'boolean false'],
    ['null ISNULL ISNULL', 'boolean false'],
  ])('%s is %s', (text, expected) => {
    expect(shown(text)).toBe(expected);
  });

  it('writes > and >= as < and <= with the operands swapped, so the right operand is evaluated first (as pgbench draws)', () => {
    const tree = parseExpression('random(1, 10) > 3');
    expect(tree).toMatchObject({ kind: 'call', fn: '<', args: [{ kind: 'const' }, { kind: 'call', fn: 'random' }] });
    expect(parseExpression('-:x')).toMatchObject({ kind: 'call', fn: '-', args: [{ kind: 'const', value: intValue(0n) }, { kind: 'var', name: 'x' }] });
  });

  it('adds :default_seed as the last argument of hash() and permute() when no seed is given', () => {
    expect(parseExpression('hash(1)')).toMatchObject({ fn: 'hash_murmur2', args: [{ kind: 'const' }, { kind: 'var', name: 'default_seed' }] });
    expect(parseExpression('permute(1, 10)')).toMatchObject({ fn: 'permute', args: [{}, {}, { kind: 'var', name: 'default_seed' }] });
    expect(variablesOf(parseExpression('hash_fnv1a(:a + :b, :a)'))).toEqual(['a', 'b']);
  });

  it('reads keywords and function names in any case', () => {
    expect(shown('CaSe WhEn TrUe AnD NoT FaLsE ThEn RANDOM(4, 4) eLsE 0 EnD')).toBe('int 4');
    expect(shown('Sqrt(4) + POW(2, 2)')).toBe(`double ${Math.sqrt(4) + 2 ** 2}`);
  });
});

describe('syntax errors point at the column', () => {
  it.each([
    ['1 < 2 < 3', 'syntax error: unexpected "<"', 7],
    ['1 = 1 <> 2', 'syntax error: unexpected "<>"', 7],
    ['random(1, 2', 'syntax error: unexpected end of expression', 12],
    ['1 +', 'syntax error: unexpected end of expression', 4],
    ['foo(1)', 'unknown function foo()', 1],
    ['random(1)', 'random() expects 2 arguments, got 1', 1],
    ['abs(1, 2)', 'abs() expects 1 argument, got 2', 1],
    ['pi(1)', 'pi() expects 0 arguments, got 1', 1],
    ['least()', 'least() expects at least one argument', 1],
    ['hash(1, 2, 3)', 'hash() expects 1 or 2 arguments, got 3', 1],
    ['permute(1)', 'permute() expects 2 or 3 arguments, got 1', 1],
    ["1 + 'a'", 'unexpected character "\'"', 5],
    ['1 @ 2', 'unexpected character "@"', 3],
    ['!1', 'unexpected character "!"', 1],
    ['9223372036854775808', 'integer constant 9223372036854775808 is out of range for bigint', 1],
    ['99999999999999999999', 'integer constant 99999999999999999999 is out of range for bigint', 1],
    ['1e999', 'double constant 1e999 is out of range', 1],
    ['sqrt', 'syntax error: unexpected end of expression', 5],
    ['case 1 when 1 then 2 end', 'syntax error: unexpected "1"', 6],
    ['1 is 2', 'syntax error: unexpected "2"', 6],
    ['1 2', 'syntax error: unexpected "2"', 3],
    ['', 'syntax error: unexpected end of expression', 1],
  ])('%s: %s at column %i', (text, message, column) => {
    expect(syntaxError(text)).toEqual({ message, column });
  });

  it('reads 2^63 only after a unary minus, where it is the smallest bigint', () => {
    expect(run('-9223372036854775808')).toEqual(intValue(INT64_MIN));
    expect(run('- 9223372036854775808')).toEqual(intValue(INT64_MIN));
    expect(syntaxError('+9223372036854775808')).toEqual({ message: 'integer constant 9223372036854775808 is out of range for bigint', column: 2 });
  });
});

describe('integers: 64-bit, overflow and division by zero are errors', () => {
  it.each([
    [`${INT64_MAX} + 1`, 'bigint add out of range'],
    [`-${INT64_MAX} - 2`, 'bigint sub out of range'],
    [`${2n ** 62n} * 2`, 'bigint mul out of range'],
    [`-9223372036854775808 / -1`, 'bigint div out of range'],
    ['-1 - 9223372036854775807 - 1', 'bigint sub out of range'],
    ['3 / 0', 'division by zero'],
    ['3 % 0', 'division by zero'],
    ['3 % 0.4', 'division by zero'],
    ['abs(-9223372036854775808)', 'bigint abs out of range'],
  ])('%s fails: %s', (text, message) => {
    expect(evaluationError(text)).toBe(message);
  });

  it.each([
    [`${INT64_MAX} + 0`, INT64_MAX],
    [`${INT64_MAX - 1n} + 1`, INT64_MAX],
    ['-9223372036854775807 - 1', INT64_MIN],
    [`${2n ** 31n} * ${2n ** 31n}`, 2n ** 62n],
    ['7 / 2', 3n],
    ['-7 / 2', -3n], // C truncates toward zero
    ['7 % 3', 1n],
    ['-7 % 3', -1n], // the remainder takes the dividend's sign
    ['7 % -3', 1n],
    ['-9223372036854775808 % -1', 0n],
    ['9 / -1', -9n],
    ['abs(-5)', 5n],
    ['int(2.5)', 2n], // rint: ties to even
    ['int(3.5)', 4n],
    ['int(-2.5)', -2n],
    ['int(-0.5)', 0n],
    ['5.5 % 2', 0n], // % rounds doubles first: 6 % 2
    ['4.5 % 3', 1n], // 4 % 3
    ['-2.5 % 10', -2n],
    ['1 << 3', 1n << 3n],
    ['1 << 64', 1n], // x86-64 takes shift counts modulo 64
    ['1 << 63', INT64_MIN],
    ['-8 >> 1', -4n], // arithmetic shift
    ['5 & 3', BigInt(5 & 3)],
    ['5 | 3', BigInt(5 | 3)],
    ['5 # 3', BigInt(5 ^ 3)],
    ['~0', -1n],
    ['least(3, 1, 2)', 1n],
    ['greatest(3, 1, 2)', 3n],
    ['greatest(1)', 1n],
  ])('%s = %s', (text, expected) => {
    expect(run(text)).toEqual(intValue(expected));
  });

  it('keeps integers exact beyond 2^53, where a double would round', () => {
    expect(valueText(run('9007199254740993 + 2'))).toBe('9007199254740995');
    expect(valueText(run('9007199254740993 * 1.0'))).toBe('9.00719925474099e+15');
  });
});

describe('doubles: any double operand makes + - * / and comparisons work on doubles', () => {
  it.each([
    ['7.0 / 2', 7.0 / 2],
    ['7 / 2.0', 7 / 2.0],
    ['1 + 0.5', 1.5],
    ['1 / 0.0', Infinity], // no error for doubles, as in C
    ['-1 / 0.0', -Infinity],
    ['double(3)', 3],
    ['abs(-5.5)', 5.5],
    ['greatest(3, 1.5, 2)', 3],
    ['least(3, 1.5, 2)', 1.5],
    ['pi()', Math.PI],
    ['sqrt(2)', Math.SQRT2],
    ['ln(exp(2))', Math.log(Math.exp(2))],
    ['exp(1)', Math.E],
    ['pow(2, 10)', 1024],
    ['power(2, 0.5)', Math.SQRT2],
    ['pow(-8, 1.0 / 3)', NaN],
    ['sqrt(-1)', NaN],
    ['ln(0)', -Infinity],
    ['.5 + 3.', 0.5 + 3],
    ['1e-5 * 2e5', 1e-5 * 2e5],
    ['1.5e300 * 1e10', Infinity],
  ])('%s = %s', (text, expected) => {
    expect(run(text)).toEqual(doubleValue(expected));
  });

  it('compares mixed operands as doubles and integers as integers', () => {
    expect(shown('1 = 1.0')).toBe('boolean true');
    expect(shown('9007199254740993 = 9007199254740992')).toBe('boolean false');
    expect(shown('9007199254740993 = 9007199254740992.0')).toBe('boolean true');
    expect(shown('1 >= 1.0')).toBe('boolean true');
    expect(shown('sqrt(-1) = sqrt(-1)')).toBe('boolean false');
    expect(['1.5 < 2', '2 <= 1.5', '2.0 <> 2', '3 <> 2', '2 <= 2'].map((text) => shown(text))).toEqual(['boolean true', 'boolean false', 'boolean false', 'boolean true', 'boolean true']);
  });

  it('converts to int with rounding and a range check', () => {
    expect(evaluationError('int(1e30)')).toBe('double to int overflow for 1000000000000000019884624838656.000000');
    expect(evaluationError('int(sqrt(-1))')).toBe('double to int overflow for NaN');
    expect(evaluationError('int(9223372036854775807.0)')).toBe('double to int overflow for 9223372036854775808.000000');
    expect(run('int(-9223372036854775808.0)')).toEqual(intValue(INT64_MIN));
  });
});

describe('NULL and booleans', () => {
  it.each([
    ['null + 1', 'null'],
    ['least(1, null)', 'null'],
    ['hash(null, 1)', 'null'],
    ['null and false', 'null'], // pgbench: a NULL left operand decides, unlike SQL
    ['false and null', 'boolean false'],
    ['true and null', 'null'],
    ['true or null', 'boolean true'],
    ['null or true', 'null'],
    ['not true', 'boolean false'],
    ['1 is null', 'boolean false'],
    ['null is null', 'boolean true'],
    ['null isnull', 'boolean true'],
    ['1 notnull', 'boolean true'],
    ['1 is not null', 'boolean true'],
    ['true is true', 'boolean true'],
    ['true is not false', 'boolean true'],
    ['false is false', 'boolean true'],
    ['1 is true', 'boolean false'], // IS compares types: an int is never TRUE
    ['null is false', 'boolean false'],
    ['case when 1 > 2 then 1 when 2 > 1 then 2 end', 'int 2'],
    ['case when 0 then 1 else 2 end', 'int 2'], // CASE WHEN takes any value's truth
    ['case when 0.5 then 1 else 2 end', 'int 1'],
    ['case when null then 1 end', 'null'],
    ['case when false then 1 end', 'null'],
  ])('%s is %s', (text, expected) => {
    expect(shown(text)).toBe(expected);
  });

  it.each([
    ['true = true', 'cannot coerce boolean to int'],
    ['1 and true', 'cannot coerce int to boolean'],
    ['not 1', 'cannot coerce int to boolean'],
    ['true + 1.5', 'cannot coerce boolean to double'],
    ['abs(true)', 'cannot coerce boolean to double'],
    ['true << 1', 'cannot coerce boolean to int'],
    ['sqrt(false)', 'cannot coerce boolean to double'],
  ])('%s fails: %s', (text, message) => {
    expect(evaluationError(text)).toBe(message);
  });

  it('evaluates AND, OR and CASE lazily: the branch not taken is never evaluated', () => {
    expect(shown('false and 1 / 0 = 1')).toBe('boolean false');
    expect(shown('true or :missing')).toBe('boolean true');
    expect(shown('case when true then 1 else 1 / 0 end')).toBe('int 1');
    expect(evaluationError('true and :missing')).toBe('undefined variable "missing"');
  });

  it('caps a function at 16 evaluated arguments, as pgbench does', () => {
    expect(run(`least(${Array.from({ length: 16 }, (_, i) => 16 - i).join(', ')})`)).toEqual(intValue(1n));
    expect(evaluationError(`least(${Array.from({ length: 17 }, (_, i) => i).join(', ')})`)).toBe('too many function arguments, maximum is 16');
  });
});

describe('variables', () => {
  it('reads variables by name and fails on an undefined one', () => {
    expect(run(':scale * 100000', { scale: intValue(3n) })).toEqual(intValue(300000n));
    expect(evaluationError(':nope + 1')).toBe('undefined variable "nope"');
  });

  it('lets debug() see the value and pass it through (also a NULL)', () => {
    const seen: string[] = [];
    expect(run('debug(1) + debug(null)', {}, new Prng(1n), (value) => seen.push(debugText(value)))).toEqual({ type: 'null' });
    expect(seen).toEqual(['int 1', 'null']);
  });
});

describe('random functions: inclusive ranges and parameter checks', () => {
  it('draws random(lb, ub) inclusively: both ends occur, nothing outside', () => {
    const random = new Prng(7n);
    const seen = new Set<bigint>();
    for (let i = 0; i < 2000; i++) seen.add((run('random(-3, 3)', {}, random) as { value: bigint }).value);
    expect([...seen].sort((a, b) => Number(a - b))).toEqual([-3n, -2n, -1n, 0n, 1n, 2n, 3n]);
    expect(run('random(5, 5)')).toEqual(intValue(5n));
  });

  it('draws a range wider than 2^53 exactly (BigInt path)', () => {
    const random = new Prng(11n);
    for (let i = 0; i < 200; i++) {
      const value = (run(`random(0, ${INT64_MAX - 1n})`, {}, random) as { value: bigint }).value;
      expect(value >= 0n && value <= INT64_MAX - 1n).toBe(true);
    }
  });

  it.each([
    ['random(10, 1)', 'empty range given to random'],
    ['random(-9223372036854775808, 9223372036854775807)', 'random range is too large'],
    ['random(0, 9223372036854775807)', 'random range is too large'],
    ['random_gaussian(1, 10, 1.5)', 'gaussian parameter must be at least 2.000000 (not 1.500000)'],
    ['random_gaussian(1, 10, sqrt(-1))', 'gaussian parameter must be at least 2.000000 (not NaN)'],
    ['random_exponential(1, 10, 0)', 'exponential parameter must be greater than zero (not 0.000000)'],
    ['random_exponential(1, 10, -1.5)', 'exponential parameter must be greater than zero (not -1.500000)'],
    ['random_zipfian(1, 10, 1.0)', 'zipfian parameter must be in range [1.001, 1000] (not 1.000000)'],
    ['random_zipfian(1, 10, 1001)', 'zipfian parameter must be in range [1.001, 1000] (not 1001.000000)'],
    ['random(1.4, true)', 'cannot coerce boolean to int'],
    ['permute(1, 0)', 'permute size parameter must be greater than zero'],
  ])('%s fails: %s', (text, message) => {
    expect(evaluationError(text, { default_seed: intValue(1n) })).toBe(message);
  });

  it('accepts the parameter limits themselves', () => {
    expect(() => run('random_gaussian(1, 10, 2.0)')).not.toThrow();
    expect(() => run('random_zipfian(1, 10, 1.001)')).not.toThrow();
    expect(() => run('random_zipfian(1, 10, 1000)')).not.toThrow();
    expect(() => run('random_exponential(1, 10, 0.0001)')).not.toThrow();
  });

  it('rounds double bounds like int()', () => {
    expect(run('random(2.5, 2.5)')).toEqual(intValue(2n));
    expect(run('random(3.5, 3.5)')).toEqual(intValue(4n));
  });
});

describe('permute() is a permutation of [0, size)', () => {
  it.each([1n, 2n, 3n, 7n, 10n, 64n, 1000n])('size %s: every value once, for several seeds', (size) => {
    for (const seed of [0n, 1n, -1n, 42n]) {
      const out = new Set<bigint>();
      for (let v = 0n; v < size; v++) out.add((run(`permute(${v}, ${size}, ${seed})`) as { value: bigint }).value);
      expect(out.size).toBe(Number(size));
      expect([...out].every((value) => value >= 0n && value < size)).toBe(true);
    }
  });

  it('maps a value outside the range like its remainder (as unsigned), and differs with the seed', () => {
    expect(run('permute(13, 10, 5)')).toEqual(run('permute(3, 10, 5)'));
    expect(run('permute(-1, 7, 1)')).toEqual(run(`permute(${(2n ** 64n - 1n) % 7n}, 7, 1)`));
    const a = Array.from({ length: 10 }, (_, v) => debugText(run(`permute(${v}, 1000, 1)`)));
    const b = Array.from({ length: 10 }, (_, v) => debugText(run(`permute(${v}, 1000, 2)`)));
    expect(a).not.toEqual(b);
  });
});
