import { expect } from 'vitest';
import { ExitCode, UserError } from '../../src/errors.js';

function checked(error: unknown): string {
  expect(error).toBeInstanceOf(UserError);
  expect((error as UserError).exitCode).toBe(ExitCode.usage);
  expect((error as UserError).line).not.toContain('\n');
  return (error as UserError).line;
}

/** Runs `action`, which must throw a usage error (exit 2) of one line; returns that line. */
export function usageLine(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return checked(error);
  }
  throw new Error('expected a usage error');
}

/** The same for an action that rejects. */
export async function usageLineAsync(action: () => Promise<unknown>): Promise<string> {
  const error = await action().then(() => new Error('expected a usage error'), (e: unknown) => e);
  return checked(error);
}
