/**
 * A script compiled for planning (compile.ts): folding what every execution computes alike, and
 * uniform draws in plain numbers. Both must leave every value as the general evaluator gives it,
 * errors included (at the same line, in the execution that reaches them).
 */
import { describe, expect, it } from 'vitest';
import { compileCommands, fold, type PlannedCommand } from '../../src/workload/pgbench/compile.js';
import { evaluate } from '../../src/workload/pgbench/evaluate.js';
import { parseExpression } from '../../src/workload/pgbench/expression.js';
import { parseScript, planExecution, ScriptError, type PlanContext, type Step } from '../../src/workload/pgbench/index.js';
import { executionRandom } from '../../src/workload/pgbench/prng.js';
import { intValue, valueText, type PgValue } from '../../src/workload/pgbench/values.js';

const context = (overrides: Partial<PlanContext> = {}): PlanContext => ({
  executionIndex: 0,
  clientId: 0,
  scale: 3,
  defines: {},
  seed: 7,
  draw: () => {
    throw new Error('no \\pb_from expected');
  },
  ...overrides,
});

const values = (steps: readonly Step[]): string[] => steps.flatMap((step) => (step.kind === 'sql' ? [...step.values] : []));

const compiled = (text: string, runWide: Record<string, PgValue> = {}): PlannedCommand[] =>
  compileCommands(parseScript(text, { name: 'c.sql' }).commands, (name) => runWide[name]);

describe('folding', () => {
  const scale = (name: string): PgValue | undefined => (name === 'scale' ? intValue(3n) : undefined);

  it('evaluates constants and run-wide variables once, and leaves draws, debug() and other variables alone', () => {
    expect(fold(parseExpression('100000 * :scale'), scale)).toEqual({ kind: 'const', value: intValue(300000n) });
    expect(fold(parseExpression('random(1, 10 * :scale) + 2 * 3'), scale)).toEqual({
      kind: 'call',
      fn: '+',
      args: [
        { kind: 'call', fn: 'random', args: [{ kind: 'const', value: intValue(1n) }, { kind: 'const', value: intValue(30n) }] },
        { kind: 'const', value: intValue(6n) },
      ],
    });
    expect(fold(parseExpression('debug(:scale)'), scale)).toMatchObject({ kind: 'call', fn: 'debug' });
    expect(fold(parseExpression(':other * 2'), scale)).toMatchObject({ kind: 'call', args: [{ kind: 'var', name: 'other' }, { kind: 'const' }] });
  });

  it('leaves a subexpression that fails as written, to fail where the execution reaches it', () => {
    expect(fold(parseExpression('1 / 0'), scale)).toMatchObject({ kind: 'call', fn: '/' });
    expect(fold(parseExpression('9223372036854775807 + :scale'), scale)).toMatchObject({ kind: 'call', fn: '+' });
  });

  it('does not fold a run-wide name the script sets itself, in any branch', () => {
    const [first] = compiled('\\set x :scale * 2\n\\if :x > 1\n\\set scale 5\n\\endif\n', { scale: intValue(3n) });
    expect(first).toMatchObject({ kind: 'set', expression: { kind: 'call', args: [{ kind: 'var', name: 'scale' }, { kind: 'const' }] } });
  });

  it('a uniform draw in numbers only for integer bounds JavaScript holds exactly, and a non-empty range', () => {
    expect(compiled('\\set a random(1, 100000 * :scale)\n', { scale: intValue(3n) })[0]).toEqual({ kind: 'uniform', line: 1, variable: 'a', min: 1, range: 299999 });
    expect(compiled('\\set a random(-9007199254740991, 9007199254740991)\n')[0]).toMatchObject({ kind: 'set' });
    expect(compiled('\\set a random(0, 9007199254740991)\n')[0]).toMatchObject({ kind: 'uniform', range: 9007199254740991 });
    expect(compiled('\\set a random(0, 9007199254740992)\n')[0]).toMatchObject({ kind: 'set' });
    expect(compiled('\\set a random(5, 1)\n')[0]).toMatchObject({ kind: 'set' });
    expect(compiled('\\set a random(1.5, 3)\n')[0]).toMatchObject({ kind: 'set' });
    expect(compiled('\\set a random(1, :n)\n')[0]).toMatchObject({ kind: 'set' });
  });
});

describe('planning with a compiled script gives the general evaluator\'s values', () => {
  it('a uniform draw: the same integers as random() evaluated on the operation\'s generator, at any bound size', () => {
    const bounds: Array<[string, string]> = [['1', '100000 * :scale'], ['-5000', '5000'], ['0', '0'], ['-9007199254740991', '-9007199254740000'], ['1', '9007199254740991']];
    for (const [low, high] of bounds) {
      const script = parseScript(`\\set v random(${low}, ${high})\nSELECT :v;\n`, { name: 'u.sql' });
      for (let i = 0; i < 2000; i++) {
        const expected = evaluate(parseExpression(`random(${low}, ${high.replace(':scale', '3')})`), { lookup: () => undefined, random: executionRandom(7, i) });
        expect(values(planExecution(script, context({ executionIndex: i })))).toEqual([valueText(expected)]);
      }
    }
  });

  it('a drawn number read by an expression is the bigint it stands for', () => {
    const script = parseScript('\\set v random(1, 1000)\n\\set w :v * 9007199254740 + 1\nSELECT :v, :w;\n', { name: 'w.sql' });
    for (let i = 0; i < 200; i++) {
      const [v, w] = values(planExecution(script, context({ executionIndex: i })));
      expect(w).toBe((BigInt(v!) * 9007199254740n + 1n).toString());
    }
  });

  it('an error left unfolded still fails at its line, only in the executions that reach it', () => {
    const script = parseScript('\\set v random(0, 1)\n\\if :v = 1\n\\set boom 1 / 0\n\\endif\nSELECT :v;\n', { name: 'e.sql' });
    const outcomes = Array.from({ length: 40 }, (_, i) => {
      try {
        return values(planExecution(script, context({ executionIndex: i })))[0];
      } catch (error) {
        expect(error).toBeInstanceOf(ScriptError);
        expect((error as ScriptError).message).toContain('e.sql:3');
        expect((error as ScriptError).message).toContain('division by zero');
        return 'failed';
      }
    });
    expect(outcomes).toContain('0');
    expect(outcomes).toContain('failed');
    expect(outcomes).not.toContain('1');
  });

  it('debug() inside a folded expression still speaks once per execution', () => {
    const script = parseScript('\\set v debug(2 * :scale) + 1\nSELECT :v;\n', { name: 'd.sql' });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) planExecution(script, context({ executionIndex: i, debug: (line) => seen.push(line) }));
    expect(seen).toEqual(['debug(d.sql:1): int 6', 'debug(d.sql:1): int 6', 'debug(d.sql:1): int 6']);
  });

  it('a -D define folds as the value its text reads as, and is still sent as written', () => {
    const script = parseScript('\\set v :width * 2\nSELECT :v, :width;\n', { name: 'd.sql' });
    expect(values(planExecution(script, context({ defines: { width: '007' } })))).toEqual(['14', '007']);
  });
});
