/**
 * Shared: Exit codes, documented in `--help` and README. Scripts and CI rely on them: keep them stable.
 */
export const ExitCode = {
  ok: 0,
  /** A runtime failure: a server unreachable, a query failed, a bug. */
  failure: 1,
  /** Bad usage or configuration: fix the command line or the environment. */
  usage: 2,
  /** A regression gate tripped (`bench --fail-if-slower`). */
  regression: 3,
  /** Stopped by Ctrl-C (SIGINT) after restoring what the command had changed; 128 + SIGINT by shell convention. */
  interrupted: 130,
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

/** The first line of a message, trimmed: errors are reported on one line. */
export function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** A usage or configuration problem (exit 2). */
export function usageError(message: string, hint = ''): UserError {
  return new UserError(message, hint, ExitCode.usage);
}

/** Thrown when Ctrl-C stopped a command after it restored the database. */
export function interruptedError(what: string): UserError {
  return new UserError(`interrupted: ${what}`, '', ExitCode.interrupted);
}

/** An error PostgreSQL sent (node-postgres DatabaseError): it carries an SQLSTATE and a severity. */
export interface PostgresError {
  code: string;
  severity: string;
  message: string;
  /** 1-based character of the statement the error points at, when it does. */
  position?: string;
}

export function isPostgresError(error: unknown): error is PostgresError {
  const e = error as { code?: unknown; severity?: unknown } | undefined;
  return typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';
}

/**
 * How any thrown value is reported: a UserError or a PostgreSQL error (it carries an SQLSTATE
 * and is about the user's data or server) as one line; anything else is a bug and keeps its stack.
 */
export function describeError(error: unknown): { line: string; exitCode: ExitCode; stack?: string } {
  if (error instanceof UserError) return { line: error.line, exitCode: error.exitCode };
  if (isPostgresError(error)) {
    return { line: `PostgreSQL error ${error.code}: ${firstLine(String(error.message))}`, exitCode: ExitCode.failure };
  }
  const err = error instanceof Error ? error : new Error(String(error));
  return { line: `unexpected error: ${err.message}`, exitCode: ExitCode.failure, stack: err.stack };
}
