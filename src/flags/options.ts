/** Flags layer: what the commands share to turn flag text into typed values. */
import { usageError } from '../errors.js';
import { printable } from '../workload/identifiers.js';

/**
 * Flag parsers shared by the commands: each returns a typed value or throws a one-line usage
 * error naming the flag, the bad value and the accepted range.
 */
export function integerOption(text: string, flag: string, min: number, max: number): number {
  const cleaned = text.replace(/_/g, '');
  const value = Number(cleaned);
  if (!/^-?\d+$/.test(cleaned) || value < min || value > max) {
    throw usageError(`${flag} '${printable(text)}' is not a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`);
  }
  return value;
}

export function numberOption(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw usageError(`${flag} '${printable(text)}' is not a number from ${min} to ${max}`);
  }
  return value;
}

const MAX_DURATION_MS = 24 * 3600 * 1000;

/** `5s`, `500ms`, `1.5s`, `2m`, or a bare number of seconds -> milliseconds. */
export function durationOption(text: string, flag: string, allowZero = false): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(text.trim());
  const value = match ? Number(match[1]) * (match[2] === 'ms' ? 1 : match[2] === 'm' ? 60_000 : 1000) : NaN;
  if (!match || !Number.isFinite(value) || value > MAX_DURATION_MS || (allowZero ? value < 0 : value <= 0)) {
    throw usageError(`${flag} '${printable(text)}' is not a duration`, `write it like 500ms, 5s or 2m${allowZero ? ' (0 for none)' : ''}`);
  }
  return Math.round(value);
}

/** Commander's collector for a repeatable flag: every value, in order. */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function choiceOption<T extends string>(text: string, flag: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw usageError(`${flag} '${printable(text)}' is not one of ${choices.join(', ')}`);
  }
  return text as T;
}
