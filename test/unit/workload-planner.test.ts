/**
 * workloadPlanner (targets/workload-execution.ts) plans ahead in bursts once operations come in an
 * arithmetic sequence. Whatever order and stride the operations are asked in, each gets exactly
 * the execution planExecution gives it alone, and an execution that fails to plan fails at its
 * own turn, not at an earlier one's.
 */
import { describe, expect, it } from 'vitest';
import { workloadPlanner, type PlannedExecution } from '../../src/targets/workload-execution.js';
import { chooseScript, parseScript, planExecution, ScriptError, type Script, type Step } from '../../src/workload/pgbench/index.js';

const scripts: Script[] = [
  parseScript('\\set k random(1, 1000000)\nSELECT * FROM "Ledger Entries" WHERE "Entry Id" = :k;', { name: 'ledger.sql', weight: 3 }),
  parseScript('\\set who :client_id + 1\n\\set n random_zipfian(1, 500, 1.2)\nUPDATE "Ö" SET v = v + :n WHERE id = :who;', { name: 'ö.sql', weight: 1 }),
];
const context = { scripts, scale: 7, defines: {}, seed: 99, draw: (): string => { throw new Error('no \\pb_from here'); } };

/** Operation i planned on its own, as the planner must hand it out. */
const alone = (i: number, concurrency: number): { k: number; steps: Step[] } => {
  const k = chooseScript(scripts, i, context.seed);
  return { k, steps: planExecution(scripts[k]!, { ...context, executionIndex: i, clientId: i % concurrency }) };
};
const shape = ({ k, steps }: Pick<PlannedExecution, 'k' | 'steps'>): unknown => ({ k, steps: steps.map((s) => (s.kind === 'sql' ? [s.statement.name, ...s.values] : s.us)) });

describe('workloadPlanner', () => {
  it.each([
    ['one by one', Array.from({ length: 300 }, (_, i) => i)],
    ['a shard or thread slice (offset 2, stride 3)', Array.from({ length: 300 }, (_, i) => 2 + 3 * i)],
    ['jumps back and forth, a plan check in the middle', [5, 6, 7, 0, 1, 2, 3, 500, 8, 9, 70, 71, 72, 6, 5, 4, 200, 264, 328, 392]],
  ])('hands out operation i as planned alone: %s', (_, indexes) => {
    const plan = workloadPlanner(context);
    for (const concurrency of [4, 1]) {
      for (const i of indexes) expect(shape(plan(i, concurrency))).toEqual(shape(alone(i, concurrency)));
    }
  });

  it('never hands out a burst planned at another concurrency (:client_id differs)', () => {
    const plan = workloadPlanner(context);
    plan(0, 4);
    plan(1, 4); // a burst of 1..64 at concurrency 4
    const indexes = Array.from({ length: 60 }, (_, n) => 2 + n);
    expect(indexes.some((i) => alone(i, 3).k === 1 && i % 4 !== i % 3)).toBe(true);
    for (const i of indexes) expect(shape(plan(i, 3))).toEqual(shape(alone(i, 3)));
  });

  it('fails an execution that cannot be planned at its own turn, and plans the ones around it about once each', () => {
    // About one execution in ten draws r = 0 and divides by zero; \pb_from's draws count the executions planned.
    let draws = 0;
    const failing = {
      ...context,
      scripts: [parseScript('\\pb_from v t.c\n\\set r random(0, 9)\n\\set x 100 / :r\nSELECT :x, :v;', { name: 'div.sql' })],
      draw: (_name: string, i: number): string => (draws++, `v${i}`),
    };
    const outcome = (planning: () => Pick<PlannedExecution, 'k' | 'steps'>): unknown => {
      try {
        return shape(planning());
      } catch (error) {
        expect(error).toBeInstanceOf(ScriptError);
        return (error as Error).message;
      }
    };
    const indexes = Array.from({ length: 400 }, (_, i) => i);
    const expected = indexes.map((i) => outcome(() => ({ k: 0, steps: planExecution(failing.scripts[0]!, { ...failing, executionIndex: i, clientId: 0 }) })));
    draws = 0;
    const plan = workloadPlanner(failing);
    expect(indexes.map((i) => outcome(() => plan(i, 1)))).toEqual(expected);
    const failures = expected.filter((o) => o === 'div.sql:3: \\set x: division by zero').length;
    expect(failures).toBeGreaterThan(10);
    // Each execution planned once, a failing one twice (its burst stops there, then it fails alone),
    // plus the last burst's unused tail: no burst per failure.
    expect(draws).toBeLessThanOrEqual(indexes.length + failures + 64);
  });
});
