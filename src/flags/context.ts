/** Flags: what the CLI hands each command: a way to run an action with a Runtime. */
import type { Command } from 'commander';
import type { Runtime } from '../runtime.js';

/**
 * What the CLI hands each command's `register`: a way to run an action with a Runtime built from
 * the global flags. The action returns the exit code (0 when omitted); the runtime is closed
 * afterwards whatever happens, so embedded servers stop and the database is restored.
 */
export interface CommandContext {
  run(action: (runtime: Runtime) => Promise<number | void>): Promise<void>;
}

export type Register = (program: Command, context: CommandContext) => void;
