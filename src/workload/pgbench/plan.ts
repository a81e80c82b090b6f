/**
 * Workload domain (pure): one execution of a pgbench script, planned ahead of the database: the
 * statements to send with their parameter values, and the sleeps, after \set, \if and \pb_from are
 * evaluated. One execution is one transaction in tps, whatever BEGIN/END it contains (pgbench).
 *
 * Deterministic by design: operation i draws from a generator seeded with (seed, i) and starts
 * from the same variables (the -D defines and the automatic :scale, :client_id, :random_seed,
 * :default_seed), so every path of a benchmark, at any concurrency, sends exactly the same values
 * for operation i. :client_id changes values only in a script that reads it. Unlike pgbench, a
 * variable \set in one execution is not seen by the next: each execution starts afresh.
 */
import { UserError, usageError } from '../../errors.js';
import { compileCommands, type PlannedCommand } from './compile.js';
import { evaluate, type EvaluationEnvironment } from './evaluate.js';
import { variablesOf, type Expr } from './expression.js';
import { executionRandom, streamKey, type Prng } from './prng.js';
import { ScriptError } from './script-error.js';
import { forEachCommand, type Command, type Script, type ScriptStatement } from './script.js';
import { EvaluationError, debugText, intValue, isValidVariableName, truth, valueFromText, valueText, type PgValue } from './values.js';

/** What planning one execution needs from the caller. */
export interface PlanContext {
  /** The operation number i: the same i plans the same steps on every path. */
  readonly executionIndex: number;
  /** :client_id (pgbench's client number, 0-based). */
  readonly clientId: number;
  /** :scale (pgbench's scale factor). */
  readonly scale: number;
  /**
   * -D NAME=VALUE definitions; they override the automatic variables of the same name. Pass the same
   * object for a whole run and do not change it: the starting variables are built, and each script
   * compiled against them, once per object (a new object per call would recompile every time).
   */
  readonly defines: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** The benchmark's seed (an integer): :random_seed, and the root of every random draw. */
  readonly seed: number | bigint;
  /** The value of \pb_from `name` for operation `executionIndex`, its k-th draw in that execution (0-based). */
  readonly draw: (pbFromName: string, executionIndex: number, k: number) => string;
  /** debug(): told one line per value (pgbench prints it to stderr). */
  readonly debug?: (line: string) => void;
}

/** One thing an execution does, in order. */
export type Step =
  | {
      readonly kind: 'sql';
      readonly statement: ScriptStatement;
      /** One text per parameter, `$1` first (PostgreSQL infers the types). */
      readonly values: readonly string[];
    }
  | { readonly kind: 'sleep'; readonly us: number; readonly line: number };

/** :default_seed for a benchmark seed (pgbench draws it once per run; here it derives from the seed). */
export function defaultSeed(seed: number | bigint): bigint {
  return BigInt.asIntN(64, streamKey(seed, 0, 'default-seed'));
}

/**
 * A variable holds text (from -D or \pb_from; typed when an expression reads it), a value (\set),
 * or an integer as a number (a uniform draw; a bigint value only if an expression reads it).
 */
interface Variable {
  text?: string;
  value?: PgValue;
  number?: number;
}

/**
 * The variables every execution starts from, except :client_id: built once per (defines, seed,
 * scale), with each script's commands compiled against them (compile.ts).
 */
class BaseVariables {
  private readonly map = new Map<string, Variable>();
  private readonly compiled = new WeakMap<Script, PlannedCommand[]>();
  private lastScript: Script | undefined;
  private lastCommands: PlannedCommand[] | undefined;

  constructor(readonly defines: PlanContext['defines'], readonly seed: number | bigint, readonly scale: number) {
    const entries = defines instanceof Map ? defines.entries() : Object.entries(defines as Readonly<Record<string, string>>);
    for (const [name, text] of entries) this.map.set(name, { text });
    const automatic: [string, bigint][] = [
      ['scale', BigInt(scale)],
      ['default_seed', defaultSeed(seed)],
      ['random_seed', BigInt.asIntN(64, BigInt(seed))],
    ];
    for (const [name, value] of automatic) if (!this.map.has(name)) this.map.set(name, { value: intValue(value) });
  }

  /** A variable; :client_id is per execution, so it is not here unless -D defined it. */
  get(name: string): Variable | undefined {
    return this.map.get(name);
  }

  /** `script`'s commands, folded over these variables (once per script). */
  commands(script: Script): readonly PlannedCommand[] {
    if (script === this.lastScript) return this.lastCommands!;
    let commands = this.compiled.get(script);
    if (!commands) {
      commands = compileCommands(script.commands, (name) => {
        const variable = this.map.get(name);
        if (!variable) return undefined;
        try {
          return variableValue(name, variable);
        } catch (error) {
          if (error instanceof EvaluationError) return undefined;
          throw error;
        }
      });
      this.compiled.set(script, commands);
    }
    // The last answer is kept: a run usually plans one script over and over.
    this.lastScript = script;
    this.lastCommands = commands;
    return commands;
  }
}

let lastBase: BaseVariables | undefined;

function baseVariables(context: PlanContext): BaseVariables {
  if (lastBase?.defines !== context.defines || lastBase.seed !== context.seed || lastBase.scale !== context.scale) {
    lastBase = new BaseVariables(context.defines, context.seed, context.scale);
  }
  return lastBase;
}

/** Reads a variable's typed value, typing (and keeping) text on first read. */
function variableValue(name: string, variable: Variable): PgValue {
  if (variable.value === undefined) variable.value = variable.number !== undefined ? intValue(BigInt(variable.number)) : valueFromText(name, variable.text!);
  return variable.value;
}

/** A variable as a statement parameter receives it (a safe integer's String is its bigint's decimal). */
function variableText(variable: Variable): string {
  if (variable.text === undefined) variable.text = variable.number !== undefined ? String(variable.number) : valueText(variable.value!);
  return variable.text;
}

/** One execution being planned: its variables, its generator, its steps. */
class Execution implements EvaluationEnvironment {
  // The variables this execution set, as two arrays searched from the end: a script sets a handful,
  // and a Map per operation cost more than the search.
  private readonly localNames: string[] = [];
  private readonly localValues: Variable[] = [];
  private clientIdVariable: Variable | undefined;
  private draws: Map<string, number> | undefined;
  private line = 0;
  private generator: Prng | undefined;
  readonly steps: Step[] = [];
  readonly debug: ((value: PgValue) => void) | undefined;

  constructor(private readonly script: Script, private readonly context: PlanContext, private readonly base: BaseVariables) {
    const sink = context.debug;
    this.debug = sink ? (value) => sink(`debug(${script.name}:${this.line}): ${debugText(value)}`) : undefined;
  }

  /** The operation's generator, seeded on first use (an execution that draws nothing seeds none). */
  get random(): Prng {
    return (this.generator ??= executionRandom(this.context.seed, this.context.executionIndex));
  }

  private variable(name: string): Variable | undefined {
    const names = this.localNames;
    for (let v = names.length - 1; v >= 0; v--) if (names[v] === name) return this.localValues[v];
    const base = this.base.get(name);
    if (base) return base;
    if (name === 'client_id') return (this.clientIdVariable ??= { value: intValue(BigInt(this.context.clientId)) });
    return undefined;
  }

  private assign(name: string, variable: Variable): void {
    const names = this.localNames;
    let v = names.length - 1;
    while (v >= 0 && names[v] !== name) v--;
    if (v < 0) {
      names.push(name);
      this.localValues.push(variable);
    } else {
      this.localValues[v] = variable;
    }
  }

  lookup(name: string): PgValue | undefined {
    const variable = this.variable(name);
    return variable && variableValue(name, variable);
  }

  private text(name: string): string | undefined {
    const variable = this.variable(name);
    return variable && variableText(variable);
  }

  /**
   * Evaluates `expr` of a `command` (\set `variable`, \if, \elif) at `line`; pgbench's evaluation
   * errors become a ScriptError there. (The label is built only then: this runs for every \set of
   * every operation.)
   */
  private evaluate(command: '\\set' | '\\if' | '\\elif', variable: string, line: number, expr: Expr): PgValue {
    this.line = line;
    try {
      return evaluate(expr, this);
    } catch (error) {
      if (!(error instanceof EvaluationError)) throw error;
      throw new ScriptError(this.script.name, line, `${command === '\\set' ? `\\set ${variable}` : command}: ${error.message}`, 'run');
    }
  }

  run(commands: readonly PlannedCommand[]): void {
    for (const command of commands) {
      switch (command.kind) {
        case 'sql': {
          const { parameters } = command.statement;
          const values: string[] = [];
          for (let i = 0; i < parameters.length; i++) {
            const text = this.text(parameters[i]!);
            if (text === undefined) {
              throw new ScriptError(this.script.name, command.line, `statement ${command.statement.name} uses the undefined variable "${parameters[i]}" (set it with \\set, \\pb_from or -D ${parameters[i]}=VALUE)`, 'run');
            }
            values.push(text);
          }
          this.steps.push({ kind: 'sql', statement: command.statement, values });
          break;
        }
        case 'set':
          this.assign(command.variable, { value: this.evaluate('\\set', command.variable, command.line, command.expression) });
          break;
        case 'uniform':
          this.assign(command.variable, { number: command.min + this.random.upToSmall(command.range) });
          break;
        case 'if': {
          const branch = command.branches.find((candidate, i) => candidate.condition === undefined || truth(this.evaluate(i === 0 ? '\\if' : '\\elif', '', candidate.line, candidate.condition)));
          if (branch) this.run(branch.body);
          break;
        }
        case 'sleep':
          this.steps.push({ kind: 'sleep', us: this.sleepMicroseconds(command), line: command.line });
          break;
        case 'pb_from': {
          const name = command.source.name;
          const draws = (this.draws ??= new Map());
          const k = draws.get(name) ?? 0;
          draws.set(name, k + 1);
          this.assign(name, { text: this.context.draw(name, this.context.executionIndex, k) });
          break;
        }
      }
    }
  }

  /** pgbench's evaluateSleep: a variable is read like C's atoi; a negative time sleeps 0. */
  private sleepMicroseconds(command: Extract<Command, { kind: 'sleep' }>): number {
    let amount: number;
    if ('variable' in command.duration) {
      const name = command.duration.variable;
      const text = this.text(name);
      if (text === undefined) throw new ScriptError(this.script.name, command.line, `\\sleep: undefined variable "${name}"`, 'run');
      const leading = /^\s*([-+]?[0-9]+)/.exec(text);
      amount = leading ? Number(leading[1]) : 0;
      if (amount === 0 && !/^[0-9]/.test(text)) throw new ScriptError(this.script.name, command.line, `\\sleep: invalid sleep time "${text}" for variable "${name}"`, 'run');
    } else {
      amount = command.duration.amount;
    }
    return Math.max(0, amount * MICROSECONDS[command.unit]);
  }
}

/** Plans execution `context.executionIndex` of `script`; throws ScriptError (phase 'run') with the line on an evaluation error. */
export function planExecution(script: Script, context: PlanContext): Step[] {
  const base = baseVariables(context);
  const execution = new Execution(script, context, base);
  execution.run(base.commands(script));
  return execution.steps;
}

const MICROSECONDS = { us: 1, ms: 1_000, s: 1_000_000 } as const;


const AUTOMATIC_VARIABLES = ['scale', 'client_id', 'random_seed', 'default_seed'];

/**
 * Fails fast, before anything runs, on a variable the script reads but nothing can set: no \set or
 * \pb_from anywhere in the script, no -D, not automatic. A usage error (exit 2) at the first line
 * that reads it. (A variable set only in a branch not taken still fails while planning, at its line.)
 */
export function checkScriptVariables(script: Script, defineNames: Iterable<string>): void {
  const known = new Set<string>([...AUTOMATIC_VARIABLES, ...defineNames]);
  forEachCommand(script.commands, (command) => {
    if (command.kind === 'set') known.add(command.variable);
    if (command.kind === 'pb_from') known.add(command.source.name);
  });
  const check = (names: readonly string[], line: number, what: string): void => {
    const missing = names.find((name) => !known.has(name));
    if (missing !== undefined) throw new ScriptError(script.name, line, `${what} reads :${missing}, which no \\set, \\pb_from or -D ${missing}=VALUE sets`);
  };
  forEachCommand(script.commands, (command) => {
    switch (command.kind) {
      case 'sql':
        check(command.statement.parameters, command.line, `statement ${command.statement.name}`);
        break;
      case 'set':
        check(variablesOf(command.expression), command.line, `\\set ${command.variable}`);
        break;
      case 'if':
        command.branches.forEach((branch, i) => {
          if (branch.condition) check(variablesOf(branch.condition), branch.line, i === 0 ? '\\if' : '\\elif');
        });
        break;
      case 'sleep':
        if ('variable' in command.duration) check([command.duration.variable], command.line, '\\sleep');
        break;
      case 'pb_from':
        break;
    }
  });
}

/**
 * Which script operation `executionIndex` runs (an index into `scripts`): a weighted choice, as
 * pgbench makes per transaction (a uniform draw in [0, total weight) walked through the weights),
 * but from a generator seeded with (seed, executionIndex), so every path runs the same mix.
 */
export function chooseScript(scripts: readonly Pick<Script, 'weight' | 'name'>[], executionIndex: number, seed: number | bigint): number {
  if (scripts.length === 0) throw new UserError('no script to run');
  if (scripts.length === 1) return 0;
  const total = scripts.reduce((sum, script) => sum + script.weight, 0);
  if (total <= 0) throw usageError('the scripts\' weights add up to zero', 'give at least one script a weight above 0 (FILE@WEIGHT)');
  const random: Prng = executionRandom(seed, executionIndex, 'choose');
  let w = random.upToSmall(total - 1);
  let i = 0;
  do {
    w -= scripts[i++]!.weight;
  } while (w >= 0);
  return i - 1;
}

/** `-D NAME=VALUE`, checked as pgbench checks it: a name, an =, and a value that is not empty. */
export function parseDefine(text: string): [name: string, value: string] {
  const equals = text.indexOf('=');
  if (equals <= 0 || equals === text.length - 1) throw usageError(`invalid variable definition "${text}"`, 'write -D NAME=VALUE');
  const name = text.slice(0, equals);
  if (!isValidVariableName(name)) throw usageError(`invalid variable name "${name}" in -D ${text}`, 'a name has letters, digits and _, and does not start with a digit');
  return [name, text.slice(equals + 1)];
}

/** `FILE@WEIGHT` as pgbench reads it (the last @; weight 1 when absent, an integer 0 … 2147483647). */
export function parseScriptSpec(spec: string): { path: string; weight: number } {
  const at = spec.lastIndexOf('@');
  if (at < 0) return { path: spec, weight: 1 };
  const weightText = spec.slice(at + 1);
  if (!/^[0-9]+$/.test(weightText)) throw usageError(`invalid weight "@${weightText}" in ${spec}`, 'write FILE@WEIGHT with an integer weight (a file name that contains @ needs one: FILE@1)');
  const weight = Number(weightText);
  if (weight > 2147483647) throw usageError(`weight ${weightText} in ${spec} is out of range`, 'use a weight from 0 to 2147483647');
  return { path: spec.slice(0, at), weight };
}
