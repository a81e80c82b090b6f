/**
 * Planning one execution of a script: statements with their parameter values and sleeps, after
 * \set, \if and \pb_from. The key property: operation i gets the same values on every path and at
 * any concurrency (the generator is seeded from (seed, i), not per client). Also the built-in
 * scripts, the weighted choice among scripts, -D and FILE@WEIGHT.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../src/errors.js';
import {
  BUILTIN_SCRIPT_NAMES,
  BUILTIN_SCRIPT_TEXT,
  ScriptError,
  builtinScript,
  checkScriptVariables,
  chooseScript,
  defaultSeed,
  isBuiltinScriptName,
  parseDefine,
  parseScript,
  parseScriptSpec,
  pbFromSampler,
  planExecution,
  type PlanContext,
  type Script,
  type Step,
} from '../../src/workload/pgbench/index.js';

const context = (overrides: Partial<PlanContext> = {}): PlanContext => ({
  executionIndex: 0,
  clientId: 0,
  scale: 1,
  defines: {},
  seed: 42,
  draw: () => {
    throw new Error('no \\pb_from expected');
  },
  ...overrides,
});

const script = (text: string, name = 't.sql'): Script => parseScript(text, { name });

/** The steps as short lines: `name: v1, v2` for SQL, `sleep N us`. */
const lines = (steps: readonly Step[]): string[] => steps.map((step) => (step.kind === 'sql' ? `${step.statement.name}: ${step.values.join(', ')}` : `sleep ${step.us} us`));

const sqlValues = (steps: readonly Step[]): string[][] => steps.filter((step) => step.kind === 'sql').map((step) => [...(step as Extract<Step, { kind: 'sql' }>).values]);

function runError(text: string, overrides: Partial<PlanContext> = {}): ScriptError {
  try {
    planExecution(script(text), context(overrides));
  } catch (error) {
    expect(error).toBeInstanceOf(ScriptError);
    return error as ScriptError;
  }
  throw new Error('the execution was planned');
}

describe('the built-in scripts', () => {
  const dir = fileURLToPath(new URL('../../fixtures/pgbench/', import.meta.url));

  it.each(BUILTIN_SCRIPT_NAMES.map((name) => [name]))('%s has the text pgbench --show-script prints', (name) => {
    expect(BUILTIN_SCRIPT_TEXT[name]).toBe(readFileSync(`${dir}builtin-${name}.sql`, 'utf8'));
    expect(isBuiltinScriptName(name)).toBe(true);
  });

  it('parses them with the same parser: statements, parameters and what each does', () => {
    const tpcb = builtinScript('tpcb-like');
    expect(tpcb.statements.map((s) => [s.name, s.access, s.parameters.join(',')])).toEqual([
      ['tpcb-like#1', 'transaction', ''],
      ['tpcb-like#2', 'write', 'delta,aid'],
      ['tpcb-like#3', 'read', 'aid'],
      ['tpcb-like#4', 'write', 'delta,tid'],
      ['tpcb-like#5', 'write', 'delta,bid'],
      ['tpcb-like#6', 'write', 'tid,bid,aid,delta'],
      ['tpcb-like#7', 'transaction', ''],
    ]);
    expect(tpcb.statements[1]!.text).toBe('UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2');
    expect(builtinScript('simple-update').statements).toHaveLength(5);
    const selectOnly = builtinScript('select-only', 3);
    expect(selectOnly.weight).toBe(3);
    expect(selectOnly.statements.map((s) => [s.name, s.text, s.access])).toEqual([['select-only#1', 'SELECT abalance FROM pgbench_accounts WHERE aid = $1', 'read']]);
    expect(isBuiltinScriptName('tpcb')).toBe(false);
  });

  it.each([1, 10])('select-only draws aid in 1..100000 x scale (scale %i), uniformly', (scale) => {
    const selectOnly = builtinScript('select-only');
    const max = 100000 * scale;
    const aids = Array.from({ length: 20_000 }, (_, i) => Number(sqlValues(planExecution(selectOnly, context({ executionIndex: i, scale })))[0]![0]));
    expect(Math.min(...aids)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...aids)).toBeLessThanOrEqual(max);
    expect(aids.every(Number.isInteger)).toBe(true);
    // Uniform: the mean is (1 + max) / 2 within three standard errors (max / sqrt(12) / sqrt(n)).
    const mean = aids.reduce((a, b) => a + b, 0) / aids.length;
    expect(Math.abs(mean - (1 + max) / 2)).toBeLessThan((3 * max) / Math.sqrt(12) / Math.sqrt(aids.length));
    expect(aids.filter((aid) => aid > max / 2).length / aids.length).toBeCloseTo(0.5, 1);
  });

  it('tpcb-like binds the same aid, tid, bid and delta wherever a statement uses them', () => {
    for (let i = 0; i < 500; i++) {
      const [begin, update, select, tellers, branches, history, end] = sqlValues(planExecution(builtinScript('tpcb-like'), context({ executionIndex: i, scale: 2 })));
      const [delta, aid] = update!;
      expect([begin, end]).toEqual([[], []]);
      expect(select).toEqual([aid]);
      expect(tellers![0]).toBe(delta);
      expect(branches![0]).toBe(delta);
      const [tid, bid] = [tellers![1]!, branches![1]!];
      expect(history).toEqual([tid, bid, aid, delta]);
      expect(Number(aid)).toBeGreaterThanOrEqual(1);
      expect(Number(aid)).toBeLessThanOrEqual(200000);
      expect(Number(tid)).toBeGreaterThanOrEqual(1);
      expect(Number(tid)).toBeLessThanOrEqual(20);
      expect(['1', '2']).toContain(bid);
      expect(Math.abs(Number(delta))).toBeLessThanOrEqual(5000);
    }
  });
});

describe('determinism: operation i gets the same values on every path', () => {
  const tpcb = builtinScript('tpcb-like');

  it('plans the same steps for the same operation, in any order and any number of times', () => {
    const forward = Array.from({ length: 50 }, (_, i) => lines(planExecution(tpcb, context({ executionIndex: i }))));
    const backward = Array.from({ length: 50 }, (_, k) => 49 - k).map((i) => lines(planExecution(tpcb, context({ executionIndex: i }))));
    expect(backward.reverse()).toEqual(forward);
    expect(new Set(forward.map((steps) => steps.join('|'))).size).toBe(50);
  });

  it('gives every client the same values for operation i (pgbench would draw per client)', () => {
    for (let i = 0; i < 20; i++) {
      const client0 = lines(planExecution(tpcb, context({ executionIndex: i, clientId: 0 })));
      expect(lines(planExecution(tpcb, context({ executionIndex: i, clientId: 7 })))).toEqual(client0);
    }
  });

  it('changes values with the client only in a script that reads :client_id', () => {
    const perClient = script('\\set k random(1, 1000000) + :client_id * 1000000\nSELECT :k, :client_id;');
    const a = sqlValues(planExecution(perClient, context({ executionIndex: 3, clientId: 0 })))[0]!;
    const b = sqlValues(planExecution(perClient, context({ executionIndex: 3, clientId: 2 })))[0]!;
    expect(b[1]).toBe('2');
    expect(Number(b[0]) - Number(a[0])).toBe(2 * 1000000);
  });

  it('changes values with the seed and the operation number', () => {
    const at = (seed: number | bigint, executionIndex: number): string[] => lines(planExecution(tpcb, context({ seed, executionIndex })));
    expect(at(42, 1)).not.toEqual(at(42, 2));
    expect(at(43, 1)).not.toEqual(at(42, 1));
    expect(at(42n, 1)).toEqual(at(42, 1));
  });

  it('starts every execution afresh: a \\set of one execution is not seen by the next (unlike pgbench)', () => {
    const counter = script('\\if :scale = 1\n\\set n 1\n\\endif\nSELECT :n;');
    expect(sqlValues(planExecution(counter, context({ executionIndex: 0 })))).toEqual([['1']]);
    expect(runError('\\if :scale = 2\n\\set n 1\n\\endif\nSELECT :n;').reason).toBe('statement t.sql#1 uses the undefined variable "n" (set it with \\set, \\pb_from or -D n=VALUE)');
  });
});

describe('variables: -D and the automatic ones', () => {
  it('provides :scale, :client_id, :random_seed and :default_seed', () => {
    const steps = planExecution(script('SELECT :scale, :client_id, :random_seed, :default_seed;'), context({ scale: 10, clientId: 4, seed: 1234 }));
    expect(sqlValues(steps)).toEqual([['10', '4', '1234', String(defaultSeed(1234))]]);
    expect(defaultSeed(1234)).not.toBe(defaultSeed(1235));
    expect(defaultSeed(1234)).toBe(defaultSeed(1234n));
  });

  it('lets -D override an automatic variable and passes its text unchanged to SQL', () => {
    const steps = planExecution(script('\\set next :scale + 1\nSELECT :scale, :next, :label, :amount;'), context({ scale: 10, defines: new Map([['scale', '3'], ['label', 'a b'], ['amount', ' 007']]) }));
    expect(sqlValues(steps)).toEqual([['3', '4', 'a b', ' 007']]);
  });

  it('types -D text when an expression reads it, as pgbench does (booleans, integers, doubles, NULL)', () => {
    const typed = script('\\set a :t AND :f\n\\set b :n IS NULL\n\\set c :i * 2\n\\set d :x * 2\nSELECT :a, :b, :c, :d;');
    expect(sqlValues(planExecution(typed, context({ defines: { t: 'yes', f: 'OFF', n: 'null', i: '-21', x: '1.25' } })))).toEqual([['false', 'true', '-42', '2.5']]);
    expect(runError('\\set a :v + 1\nSELECT :a;', { defines: { v: 'abc' } }).message).toBe('t.sql:1: \\set a: malformed variable "v" value: "abc"');
    expect(runError('\\set a :v + 1\nSELECT :a;', { defines: { v: '99999999999999999999' } }).reason).toBe('\\set a: value "99999999999999999999" is out of range for type bigint');
  });

  it('writes values as pgbench writes them: integers in full, doubles as %.15g, booleans, NULL as the text NULL', () => {
    const values = script('\\set i 9223372036854775807\n\\set d 1.0 / 3\n\\set e 1e20 * 3\n\\set s 0.00001\n\\set b 1 < 2\n\\set n NULL\nSELECT :i, :d, :e, :s, :b, :n;');
    expect(sqlValues(planExecution(values, context()))).toEqual([['9223372036854775807', '0.333333333333333', '3e+20', '1e-05', 'true', 'NULL']]);
  });
});

describe('\\if, \\sleep and \\pb_from', () => {
  const branching = script([
    '\\set r random(1, 3)',
    '\\if :r = 1',
    'SELECT 1;',
    '\\elif :r = 2',
    '\\if :scale > 5',
    'SELECT 21;',
    '\\else',
    'SELECT 22;',
    '\\endif',
    '\\else',
    'SELECT 3;',
    '\\endif',
    'SELECT :r;',
  ].join('\n'));

  it('runs the first branch whose condition holds, nested too', () => {
    for (let i = 0; i < 60; i++) {
      for (const scale of [1, 10]) {
        const steps = planExecution(branching, context({ executionIndex: i, scale }));
        const r = sqlValues(steps).at(-1)![0];
        const expected = r === '1' ? 't.sql#1' : r === '2' ? (scale > 5 ? 't.sql#2' : 't.sql#3') : 't.sql#4';
        expect(steps.map((step) => (step.kind === 'sql' ? step.statement.name : ''))).toEqual([expected, 't.sql#5']);
      }
    }
  });

  it('takes any value\'s truth in \\if: non-zero numbers are true, NULL is false', () => {
    const truth = script('\\if :v\nSELECT 1;\n\\else\nSELECT 0;\n\\endif');
    const taken = (v: string): string => {
      const [step] = planExecution(truth, context({ defines: { v } }));
      return step?.kind === 'sql' ? step.statement.text : '?';
    };
    expect(['1', '0', '-3', '0.0', '0.5', 'null', 'true', 'f'].map(taken)).toEqual(['SELECT 1', 'SELECT 0', 'SELECT 1', 'SELECT 0', 'SELECT 1', 'SELECT 0', 'SELECT 1', 'SELECT 0']);
  });

  it('plans sleeps in microseconds, seconds by default, from a number or a variable', () => {
    const sleeps = script('\\set t 3\n\\sleep 2\n\\sleep 5 ms\n\\sleep 7us\n\\sleep :t ms\n\\sleep -4 s\n\\sleep :text\nSELECT 1;');
    expect(lines(planExecution(sleeps, context({ defines: { text: '12 seconds' } })))).toEqual([
      `sleep ${2 * 1_000_000} us`,
      `sleep ${5 * 1_000} us`,
      'sleep 7 us',
      `sleep ${3 * 1_000} us`,
      'sleep 0 us',
      `sleep ${12 * 1_000_000} us`,
      't.sql#1: ',
    ]);
    expect(runError('\\sleep :t').reason).toBe('\\sleep: undefined variable "t"');
    expect(runError('\\sleep :t', { defines: { t: 'soon' } }).reason).toBe('\\sleep: invalid sleep time "soon" for variable "t"');
  });

  it('asks the caller for \\pb_from values: (name, operation, k-th draw of that name in the execution)', () => {
    const asked: string[] = [];
    const drawing = script(['\\pb_from cid customers.id zipf 1.2', '\\pb_from sku items.sku', 'SELECT :cid, :sku;', '\\pb_from cid customers.id zipf 1.2', '\\set next :cid + 1', 'SELECT :cid, :next;'].join('\n'));
    const steps = planExecution(drawing, context({ executionIndex: 9, draw: (name, i, k) => (asked.push(`${name} ${i} ${k}`), name === 'cid' ? String(100 + k) : `SKU-${k}`) }));
    expect(asked).toEqual(['cid 9 0', 'sku 9 0', 'cid 9 1']);
    expect(sqlValues(steps)).toEqual([
      ['100', 'SKU-0'],
      ['101', '102'],
    ]);
  });
});

describe('\\pb_from values: the same draws on every path', () => {
  const sources = script(['\\pb_from cid "Sales"."Customers".id zipf 1.1', '\\pb_from sku items.sku', 'SELECT :cid, :sku;'].join('\n')).pbFrom;
  const [zipf, uniform] = sources as [(typeof sources)[number], (typeof sources)[number]];

  it('depends only on (seed, name, operation, k)', () => {
    const a = pbFromSampler(uniform, 1000, 42);
    const b = pbFromSampler(uniform, 1000, 42);
    const draws = Array.from({ length: 50 }, (_, i) => a(i, 0));
    expect(Array.from({ length: 50 }, (_, i) => b(i, 0))).toEqual(draws);
    expect(Array.from({ length: 50 }, (_, i) => a(i, 1))).not.toEqual(draws);
    expect(Array.from({ length: 50 }, (_, i) => pbFromSampler(uniform, 1000, 43)(i, 0))).not.toEqual(draws);
    expect(Array.from({ length: 50 }, (_, i) => pbFromSampler({ ...uniform, name: 'other' }, 1000, 42)(i, 0))).not.toEqual(draws);
  });

  it('draws uniformly, or Zipf with P(j) proportional to 1/(j+1)^S (index 0 the hottest)', () => {
    const n = 50_000;
    const flat = pbFromSampler(uniform, 10, 7);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) counts[flat(i, 0)]!++;
    for (const count of counts) expect(count / n).toBeCloseTo(1 / 10, 2);
    const skewed = pbFromSampler(zipf, 100, 7);
    let harmonic = 0;
    for (let j = 1; j <= 100; j++) harmonic += j ** -1.1;
    const hot = Array.from({ length: n }, (_, i) => skewed(i, 0));
    expect(hot.filter((j) => j === 0).length / n).toBeCloseTo(1 / harmonic, 2);
    expect(hot.filter((j) => j === 1).length / n).toBeCloseTo(2 ** -1.1 / harmonic, 2);
    expect(Math.max(...hot)).toBeLessThan(100);
  });

  it('draws the only value of a one-value column, and refuses an empty one', () => {
    expect(pbFromSampler(uniform, 1, 1)(5, 0)).toBe(0);
    expect(() => pbFromSampler(uniform, 0, 1)).toThrow('\\pb_from sku: items.sku has no values to draw from');
  });

  it('feeds planExecution the same values whichever client asks', () => {
    const customers = Array.from({ length: 500 }, (_, j) => `C-${j}`);
    const skus = ['a', 'b', 'c'];
    const samplers = { cid: pbFromSampler(zipf, customers.length, 42), sku: pbFromSampler(uniform, skus.length, 42) };
    const draw = (name: string, i: number, k: number): string => (name === 'cid' ? customers[samplers.cid(i, k)]! : skus[samplers.sku(i, k)]!);
    const plan = script(['\\pb_from cid "Sales"."Customers".id zipf 1.1', '\\pb_from sku items.sku', 'SELECT :cid, :sku;'].join('\n'));
    for (let i = 0; i < 20; i++) {
      const first = sqlValues(planExecution(plan, context({ executionIndex: i, clientId: 0, draw })));
      expect(sqlValues(planExecution(plan, context({ executionIndex: i, clientId: 3, draw })))).toEqual(first);
      expect(customers).toContain(first[0]![0]);
    }
  });
});

describe('errors while planning point at the line (runtime failures, exit 1)', () => {
  it.each([
    ['SELECT 1;\n\\set x 1 / 0', 't.sql:2: \\set x: division by zero'],
    ['\\set x 9223372036854775807 + 1', 't.sql:1: \\set x: bigint add out of range'],
    ['\\set x random(10, 1)', 't.sql:1: \\set x: empty range given to random'],
    ['\\set x random_zipfian(1, 10, 0.5)', 't.sql:1: \\set x: zipfian parameter must be in range [1.001, 1000] (not 0.500000)'],
    ['\\set x :nope', 't.sql:1: \\set x: undefined variable "nope"'],
    ['\\if :nope\n\\endif', 't.sql:1: \\if: undefined variable "nope"'],
    ['\\if false\n\\elif 1 and true\n\\endif', 't.sql:2: \\elif: cannot coerce int to boolean'],
    ['\\set a 1\n\n  SELECT :a,\n  :b;', 't.sql:3: statement t.sql#1 uses the undefined variable "b" (set it with \\set, \\pb_from or -D b=VALUE)'],
  ])('%j fails: %s', (text, message) => {
    const error = runError(text);
    expect(error.message).toBe(message);
    expect(error.phase).toBe('run');
    expect(error.exitCode).toBe(ExitCode.failure);
  });

  it('tells debug() values to the caller with the script and line', () => {
    const seen: string[] = [];
    planExecution(script('\\set x 1\n\\set y debug(:x * 2.5) + debug(3)\nSELECT :y;'), context({ debug: (line) => seen.push(line) }));
    expect(seen).toEqual(['debug(t.sql:2): double 2.5', 'debug(t.sql:2): int 3']);
  });
});

describe('checking variables before anything runs', () => {
  const check = (text: string, defines: string[] = []): string | undefined => {
    try {
      checkScriptVariables(script(text), defines);
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(ScriptError);
      expect((error as ScriptError).exitCode).toBe(ExitCode.usage);
      return (error as ScriptError).message;
    }
  };

  it('accepts variables set anywhere in the script, by -D or automatically', () => {
    expect(check('\\if :scale > 1\n\\set a 1\n\\else\n\\pb_from a t.c\n\\endif\nSELECT :a, :client_id, :random_seed, :default_seed, :d;\n\\sleep :a us', ['d'])).toBeUndefined();
    for (const name of BUILTIN_SCRIPT_NAMES) expect(checkScriptVariables(builtinScript(name), [])).toBeUndefined();
  });

  it.each([
    ['SELECT 1;\nSELECT :aid;', 't.sql:2: statement t.sql#2 reads :aid, which no \\set, \\pb_from or -D aid=VALUE sets'],
    ['\\set x :y + 1', 't.sql:1: \\set x reads :y, which no \\set, \\pb_from or -D y=VALUE sets'],
    ['\\if true\n\\elif :flag\n\\endif', 't.sql:2: \\elif reads :flag, which no \\set, \\pb_from or -D flag=VALUE sets'],
    ['\\sleep :pause ms', 't.sql:1: \\sleep reads :pause, which no \\set, \\pb_from or -D pause=VALUE sets'],
  ])('refuses %j', (text, message) => {
    expect(check(text)).toBe(message);
  });
});

describe('choosing among weighted scripts', () => {
  const a = { name: 'a.sql', weight: 1 };
  const b = { name: 'b.sql', weight: 3 };

  it('picks in proportion to the weights, the same pick for the same operation', () => {
    const picks = Array.from({ length: 20_000 }, (_, i) => chooseScript([a, b], i, 42));
    expect(picks.filter((pick) => pick === 1).length / picks.length).toBeCloseTo(3 / 4, 2);
    expect(Array.from({ length: 100 }, (_, i) => chooseScript([a, b], i, 42))).toEqual(picks.slice(0, 100));
    expect(Array.from({ length: 100 }, (_, i) => chooseScript([a, b], i, 43))).not.toEqual(picks.slice(0, 100));
  });

  it('never picks a weight-0 script, and always the only script', () => {
    const zero = { name: 'z.sql', weight: 0 };
    expect(new Set(Array.from({ length: 2000 }, (_, i) => chooseScript([zero, a, zero], i, 1)))).toEqual(new Set([1]));
    expect(chooseScript([zero], 5, 1)).toBe(0);
  });

  it('refuses scripts whose weights add up to zero, and an empty list', () => {
    expect(() => chooseScript([{ name: 'z', weight: 0 }, { name: 'y', weight: 0 }], 0, 1)).toThrow(UserError);
    expect(() => chooseScript([{ name: 'z', weight: 0 }, { name: 'y', weight: 0 }], 0, 1)).toThrow("the scripts' weights add up to zero");
    expect(() => chooseScript([], 0, 1)).toThrow('no script to run');
  });

  it('does not disturb the values a script draws (its own stream)', () => {
    const tpcb = builtinScript('tpcb-like');
    const before = lines(planExecution(tpcb, context({ executionIndex: 11 })));
    chooseScript([a, b], 11, 42);
    expect(lines(planExecution(tpcb, context({ executionIndex: 11 })))).toEqual(before);
  });
});

describe('-D NAME=VALUE and FILE@WEIGHT', () => {
  it('splits -D at the first =', () => {
    expect(parseDefine('aid=5')).toEqual(['aid', '5']);
    expect(parseDefine('expr=a=b')).toEqual(['expr', 'a=b']);
  });

  it.each([
    ['aid', 'invalid variable definition "aid" — write -D NAME=VALUE'],
    ['=5', 'invalid variable definition "=5" — write -D NAME=VALUE'],
    ['aid=', 'invalid variable definition "aid=" — write -D NAME=VALUE'],
    ['1x=5', 'invalid variable name "1x" in -D 1x=5 — a name has letters, digits and _, and does not start with a digit'],
  ])('refuses -D %s', (text, line) => {
    try {
      parseDefine(text);
      throw new Error('accepted');
    } catch (error) {
      expect((error as UserError).line).toBe(line);
      expect((error as UserError).exitCode).toBe(ExitCode.usage);
    }
  });

  it('reads FILE@WEIGHT at the last @', () => {
    expect(parseScriptSpec('tpcb.sql')).toEqual({ path: 'tpcb.sql', weight: 1 });
    expect(parseScriptSpec('tpcb.sql@5')).toEqual({ path: 'tpcb.sql', weight: 5 });
    expect(parseScriptSpec('me@host/x.sql@0')).toEqual({ path: 'me@host/x.sql', weight: 0 });
    expect(() => parseScriptSpec('me@host/x.sql')).toThrow('invalid weight "@host/x.sql" in me@host/x.sql');
    expect(() => parseScriptSpec('x.sql@-1')).toThrow('invalid weight');
    expect(() => parseScriptSpec('x.sql@2147483648')).toThrow('weight 2147483648 in x.sql@2147483648 is out of range');
  });
});
