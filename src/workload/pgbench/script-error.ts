/**
 * Workload domain (pure): the one error a pgbench script raises, with its file and line, printed as
 * one line: `tpcb.sql:7: \gset is not supported yet (perfbench runs each statement on its own;
 * remove it or use \set)`. A script perfbench refuses, or one that does not parse, is a usage error
 * (exit 2) found before anything runs; an error while a script is evaluated (an overflow, an
 * undefined variable) is a runtime failure (exit 1).
 */
import { ExitCode, UserError } from '../../errors.js';

export type ScriptErrorPhase = 'parse' | 'run';

export class ScriptError extends UserError {
  constructor(
    /** The script's name as the user gave it (its file name, or the built-in's name). */
    readonly source: string,
    /** 1-based line the error points at; 0 when it concerns the whole script. */
    readonly lineNumber: number,
    /** What is wrong and what to do, without the location. */
    readonly reason: string,
    readonly phase: ScriptErrorPhase = 'parse',
  ) {
    super(lineNumber > 0 ? `${source}:${lineNumber}: ${reason}` : `${source}: ${reason}`, '', phase === 'parse' ? ExitCode.usage : ExitCode.failure);
    this.name = 'ScriptError';
  }
}
