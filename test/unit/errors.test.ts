import { describe, expect, it } from 'vitest';
import { describeError, ExitCode, interruptedError, usageError, UserError } from '../../src/errors.js';

describe('errors', () => {
  it('prints a UserError as one line with its hint and exit code', () => {
    const error = usageError('bad --rows', 'use a number');
    expect(describeError(error)).toEqual({ line: 'bad --rows — use a number', exitCode: ExitCode.usage });
    expect(new UserError('plain').line).toBe('plain');
    expect(interruptedError('seed stopped').exitCode).toBe(130);
  });

  it('prints a PostgreSQL error as one line and a bug with its stack', () => {
    const pgError = Object.assign(new Error('permission denied for table x\nDETAIL: more'), { code: '42501', severity: 'ERROR' });
    expect(describeError(pgError)).toEqual({ line: 'PostgreSQL error 42501: permission denied for table x', exitCode: ExitCode.failure });
    const bug = describeError(new TypeError('boom'));
    expect(bug.line).toBe('unexpected error: boom');
    expect(bug.stack).toContain('TypeError: boom');
    expect(describeError('a string').line).toBe('unexpected error: a string');
  });
});
