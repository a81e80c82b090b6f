/**
 * Exit codes, documented in `--help` and README. Scripts and CI rely on them: keep them stable.
 */
export const ExitCode = {
  ok: 0,
  /** A runtime failure: a server unreachable, a query failed, a bug. */
  failure: 1,
  /** Bad usage or configuration: fix the command line or the environment. */
  usage: 2,
  /** A regression gate tripped (`bench --fail-if-slower`). */
  regression: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error the user can cause and fix. The CLI prints it as one line: what went wrong, then what
 * to do, and exits with `exitCode`. Anything that is not a UserError is a bug and prints a stack.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint: string = '',
    readonly exitCode: ExitCode = ExitCode.failure,
  ) {
    super(message);
    this.name = 'UserError';
  }

  /** The one line printed for this error. */
  get line(): string {
    return this.hint ? `${this.message} — ${this.hint}` : this.message;
  }
}

/** A usage or configuration problem (exit 2). */
export function usageError(message: string, hint = ''): UserError {
  return new UserError(message, hint, ExitCode.usage);
}
