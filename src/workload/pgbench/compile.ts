/**
 * Workload domain (pure): a script's commands made ready for planning many executions, once per
 * run. Planning runs for every operation, at pgbench's rates, and in a blocking libpq client its
 * cost is the client CPU the benchmark is judged by (bench:fidelity); so what is the same in every
 * execution is worked out here, once:
 * - folding: a subexpression that reads only constants and run-wide variables (:scale, the -D
 *   defines, :random_seed, :default_seed, each unless the script sets it) and calls no random
 *   function or debug() has one value in every execution, so it is evaluated now (`100000 * :scale`
 *   becomes `100000`). One whose evaluation fails is left as written, to fail at its line in the
 *   execution that reaches it, as before;
 * - uniform draws: `\set v random(a, b)` whose bounds fold to integers JavaScript holds exactly
 *   (|x| < 2^53) draws with plain numbers: the same generator outputs as uniformInt, with no
 *   bigint, and v keeps the number until an expression needs its bigint.
 * Values are unchanged by both: the oracle tests (pgbench-oracle, pgbench-plan) hold either way.
 */
import { evaluate, type EvaluationEnvironment } from './evaluate.js';
import type { Expr, FunctionId } from './expression.js';
import type { Prng } from './prng.js';
import { forEachCommand, type Command } from './script.js';
import { EvaluationError, type PgValue } from './values.js';

/** A command as planning runs it: a script's command, or a `\set` of a uniform draw in numbers. */
export type PlannedCommand =
  | Exclude<Command, { kind: 'if' }>
  | { readonly kind: 'uniform'; readonly line: number; readonly variable: string; readonly min: number; readonly range: number }
  | { readonly kind: 'if'; readonly line: number; readonly branches: readonly PlannedBranch[] };

export interface PlannedBranch {
  readonly line: number;
  readonly condition: Expr | undefined;
  readonly body: readonly PlannedCommand[];
}

/** Functions whose value differs between executions with the same arguments: never folded. */
const IMPURE: ReadonlySet<FunctionId> = new Set<FunctionId>(['random', 'random_gaussian', 'random_exponential', 'random_zipfian', 'debug']);

/** Folding evaluates only calls whose arguments are all constants: no variable, no draw. */
const CONSTANTS_ONLY: EvaluationEnvironment = {
  lookup: () => undefined,
  get random(): Prng {
    throw new Error('a folded expression drew a random value');
  },
};

/**
 * `commands`, folded and specialised. `runWide(name)` is a run-wide variable's typed value, or
 * undefined when the name is not run-wide or its text is not a value (it then fails at run time).
 */
export function compileCommands(commands: readonly Command[], runWide: (name: string) => PgValue | undefined): PlannedCommand[] {
  const assigned = assignedVariables(commands);
  const constant = (name: string): PgValue | undefined => (assigned.has(name) ? undefined : runWide(name));
  const compile = (list: readonly Command[]): PlannedCommand[] =>
    list.map((command): PlannedCommand => {
      switch (command.kind) {
        case 'set': {
          const expression = fold(command.expression, constant);
          return uniformDraw(command.line, command.variable, expression) ?? { ...command, expression };
        }
        case 'if':
          return {
            kind: 'if',
            line: command.line,
            branches: command.branches.map((branch) => ({ line: branch.line, condition: branch.condition && fold(branch.condition, constant), body: compile(branch.body) })),
          };
        default:
          return command;
      }
    });
  return compile(commands);
}

/** Every variable a command sets (\set, \pb_from), in any branch: those are never run-wide. */
function assignedVariables(commands: readonly Command[]): Set<string> {
  const assigned = new Set<string>();
  forEachCommand(commands, (command) => {
    if (command.kind === 'set') assigned.add(command.variable);
    else if (command.kind === 'pb_from') assigned.add(command.source.name);
  });
  return assigned;
}

/** `expr` with each invariant subexpression replaced by its value. */
export function fold(expr: Expr, constant: (name: string) => PgValue | undefined): Expr {
  switch (expr.kind) {
    case 'const':
      return expr;
    case 'var': {
      const value = constant(expr.name);
      return value === undefined ? expr : { kind: 'const', value };
    }
    case 'call': {
      const args = expr.args.map((arg) => fold(arg, constant));
      const call: Expr = { kind: 'call', fn: expr.fn, args };
      if (IMPURE.has(expr.fn) || !args.every((arg) => arg.kind === 'const')) return call;
      try {
        return { kind: 'const', value: evaluate(call, CONSTANTS_ONLY) };
      } catch (error) {
        if (error instanceof EvaluationError) return call;
        throw error;
      }
    }
  }
}

/** `\set variable random(a, b)` with folded integer bounds JavaScript holds exactly; else undefined. */
function uniformDraw(line: number, variable: string, expr: Expr): PlannedCommand | undefined {
  if (expr.kind !== 'call' || expr.fn !== 'random' || expr.args.length !== 2) return undefined;
  const [low, high] = expr.args as [Expr, Expr];
  if (low.kind !== 'const' || high.kind !== 'const' || low.value.type !== 'int' || high.value.type !== 'int') return undefined;
  const min = low.value.value;
  const max = high.value.value;
  // An empty range is left to the general path, which fails with pgbench's message at run time.
  if (min > max || min < -MAX_SAFE || max > MAX_SAFE) return undefined;
  // Both within ±(2^53 - 1): min + a draw in [0, max - min] is exact, and so is max - min below 2^53.
  if (max - min > MAX_SAFE) return undefined;
  return { kind: 'uniform', line, variable, min: Number(min), range: Number(max - min) };
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
