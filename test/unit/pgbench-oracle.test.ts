/**
 * perfbench's script evaluator against real pgbench (15.20): fixtures/pgbench/ holds what pgbench
 * printed for the same expressions and scripts (regenerate with test/fixtures/capture-pgbench.sh).
 *
 * To replay pgbench's draws, the test seeds generators the way pgbench does for one client with
 * --random-seed=42: a base generator seeded with 42; the client's generator seeded with its first
 * output, :default_seed its second. Integers, booleans and NULLs must be equal; doubles may differ
 * in the last bit (V8's Math.exp/pow against glibc's), so they are compared to 14 significant digits.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/workload/pgbench/evaluate.js';
import { ExpressionSyntaxError, parseExpression } from '../../src/workload/pgbench/expression.js';
import { Prng } from '../../src/workload/pgbench/prng.js';
import { parseScript } from '../../src/workload/pgbench/script.js';
import { EvaluationError, debugText, intValue, type PgValue } from '../../src/workload/pgbench/values.js';

const dir = fileURLToPath(new URL('../../fixtures/pgbench/', import.meta.url));
const read = (name: string): string[] => readFileSync(`${dir}${name}`, 'utf8').replace(/\n$/, '').split('\n');

/** pgbench's generators for client 0 of a run with --random-seed=42. */
function pgbenchClient(): { random: Prng; defaultSeed: bigint } {
  const base = new Prng(42n);
  const random = new Prng(base.uint64());
  return { random, defaultSeed: BigInt.asIntN(64, base.uint64()) };
}

/** Equal, or both doubles equal to 14 significant digits. */
function sameOutput(actual: string, expected: string): boolean {
  if (actual === expected) return true;
  const a = /^double (.*)$/.exec(actual);
  const b = /^double (.*)$/.exec(expected);
  if (!a || !b) return false;
  return Number(Number(a[1]).toPrecision(14)) === Number(Number(b[1]).toPrecision(14));
}

describe('the generators, seeded as pgbench seeds them', () => {
  it('derive the :default_seed pgbench reported for --random-seed=42', () => {
    expect(pgbenchClient().defaultSeed).toBe(4306334408478191133n);
  });
});

describe('random functions, permute, hashes and doubles: 200 transactions of random-seed42.sql', () => {
  const script = parseScript(readFileSync(`${dir}random-seed42.sql`, 'utf8'), { name: 'random-seed42.sql' });
  const expected = read('random-seed42.out');
  const { random, defaultSeed } = pgbenchClient();
  const variables = new Map<string, PgValue>([['default_seed', intValue(defaultSeed)]]);
  const actual: string[] = [];
  for (let transaction = 0; transaction < 200; transaction++) {
    for (const command of script.commands) {
      if (command.kind !== 'set') throw new Error('the oracle script holds \\set commands only');
      variables.set(command.variable, evaluate(command.expression, { lookup: (name) => variables.get(name), random, debug: (value) => actual.push(debugText(value)) }));
    }
  }
  const perCommand = script.commands.length;

  it('prints as many values as pgbench', () => {
    expect(actual).toHaveLength(expected.length);
    expect(expected).toHaveLength(200 * perCommand);
  });

  it.each(script.commands.map((command, index) => [index, command.kind === 'set' ? command.variable : '', command.line] as const))(
    'command %i (\\set %s, line %i) matches pgbench in all 200 transactions',
    (index) => {
      const mismatches: string[] = [];
      for (let t = 0; t < 200; t++) {
        const at = t * perCommand + index;
        if (!sameOutput(actual[at]!, expected[at]!)) mismatches.push(`transaction ${t}: ${actual[at]} (pgbench: ${expected[at]})`);
      }
      expect(mismatches).toEqual([]);
    },
  );

  it('matches every integer exactly (doubles differ at most in the 15th digit)', () => {
    const integers = expected.filter((line) => line.startsWith('int '));
    expect(integers.length).toBeGreaterThan(3000);
    expect(actual.filter((line) => line.startsWith('int '))).toEqual(integers);
  });
});

describe('expressions.txt: each expression as pgbench evaluates it (-s 3, client 0)', () => {
  const expressions = read('expressions.txt');
  const outputs = read('expressions.out');
  /** Where perfbench deliberately differs from pgbench, and what it does instead. */
  const DEVIATIONS: Record<string, string> = {
    // pgbench wraps abs(-2^63) to -2^63; perfbench reports the overflow.
    'abs(-9223372036854775808)': 'error: bigint abs out of range',
    // pgbench reads a boolean's bytes as a double (4.9e-324); perfbench refuses the coercion.
    'abs(true)': 'error: cannot coerce boolean to double',
  };

  it.each(expressions.map((expression, i) => [expression, outputs[i]!] as const))('%s → %s', (expression, pgbench) => {
    const { random, defaultSeed } = pgbenchClient();
    const variables: Record<string, PgValue> = { scale: intValue(3n), client_id: intValue(0n), default_seed: intValue(defaultSeed), random_seed: intValue(42n) };
    const printed: string[] = [];
    let outcome: string;
    try {
      evaluate(parseExpression(`debug(${expression})`), { lookup: (name) => variables[name], random, debug: (value) => printed.push(debugText(value)) });
      outcome = printed.join(' | ');
    } catch (error) {
      if (error instanceof ExpressionSyntaxError) {
        // pgbench's parse errors name the script and line; perfbench words its own: compare the kind.
        expect(pgbench).toMatch(/^error: e\.sql:1: /);
        return;
      }
      if (!(error instanceof EvaluationError)) throw error;
      outcome = `error: ${error.message}`;
    }
    const expected = DEVIATIONS[expression] ?? pgbench;
    expect(sameOutput(outcome, expected), `${outcome} (pgbench: ${pgbench})`).toBe(true);
  });
});
