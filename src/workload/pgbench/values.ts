/**
 * Workload domain (pure): the values of pgbench script variables: null, boolean, 64-bit integer
 * (a bigint, so overflow at ±2^63 is detected exactly) and double; how text from -D or \pb_from
 * becomes one (pgbench's makeVariableValue), and how each is written as a statement parameter
 * (pgbench's getVariable: integers in decimal, doubles as printf("%.15g")).
 */

export type PgValue =
  | { readonly type: 'null' }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'int'; readonly value: bigint }
  | { readonly type: 'double'; readonly value: number };

export const NULL_VALUE: PgValue = { type: 'null' };
export const TRUE_VALUE: PgValue = { type: 'boolean', value: true };
export const FALSE_VALUE: PgValue = { type: 'boolean', value: false };

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;

export function intValue(value: bigint): PgValue {
  return { type: 'int', value };
}

export function doubleValue(value: number): PgValue {
  return { type: 'double', value };
}

export function boolValue(value: boolean): PgValue {
  return value ? TRUE_VALUE : FALSE_VALUE;
}

/** An evaluation error: the message is pgbench's wording; the caller adds the script and line. */
export class EvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvaluationError';
  }
}

/** The type names pgbench uses in its coercion errors. */
export function typeName(value: PgValue): string {
  return value.type === 'int' ? 'int' : value.type;
}

/** pgbench's coerceToBool: only a boolean is a boolean (1 and 0 are not). */
export function toBool(value: PgValue): boolean {
  if (value.type === 'boolean') return value.value;
  throw new EvaluationError(`cannot coerce ${typeName(value)} to boolean`);
}

/** pgbench's valueTruth, for \if and CASE WHEN: NULL and zero are false. */
export function truth(value: PgValue): boolean {
  switch (value.type) {
    case 'null':
      return false;
    case 'boolean':
      return value.value;
    case 'int':
      return value.value !== 0n;
    case 'double':
      return value.value !== 0;
  }
}

/** C's rint() in the default rounding mode: to nearest, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** pgbench's coerceToInt: a double is rounded (rint) and must fit in a bigint. */
export function toInt(value: PgValue): bigint {
  if (value.type === 'int') return value.value;
  if (value.type === 'double') {
    const rounded = roundHalfEven(value.value);
    // FLOAT8_FITS_IN_INT64: -2^63 <= d < 2^63 (NaN fails both).
    if (!(rounded >= -9223372036854775808 && rounded < 9223372036854775808)) {
      throw new EvaluationError(`double to int overflow for ${formatFixed(rounded)}`);
    }
    return BigInt(rounded);
  }
  throw new EvaluationError(`cannot coerce ${typeName(value)} to int`);
}

/** pgbench's coerceToDouble. */
export function toDouble(value: PgValue): number {
  if (value.type === 'double') return value.value;
  if (value.type === 'int') return Number(value.value);
  throw new EvaluationError(`cannot coerce ${typeName(value)} to double`);
}

/** Checks that an integer result fits in a bigint; `what` is pgbench's operator word (add, sub, mul). */
export function checkedInt(result: bigint, what: string): PgValue {
  if (result < INT64_MIN || result > INT64_MAX) throw new EvaluationError(`bigint ${what} out of range`);
  return intValue(result);
}

/** PostgreSQL's snprintf names for the special doubles (pgbench prints through it). */
function special(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return undefined;
}

/** printf("%.15g", x) as PostgreSQL's snprintf writes it: what pgbench sends for a double. */
export function formatDouble(x: number): string {
  const named = special(x);
  if (named !== undefined) return named;
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const precision = 15;
  const [mantissa, exponentText] = x.toExponential(precision - 1).split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= precision) {
    const digits = stripZeros(mantissa!);
    const sign = exponent < 0 ? '-' : '+';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${digits}e${sign}${magnitude}`;
  }
  return stripZeros(x.toFixed(precision - 1 - exponent));
}

function stripZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** printf("%f", x): six decimals, as pgbench's error messages print parameters. */
export function formatFixed(x: number): string {
  const named = special(x);
  if (named !== undefined) return named;
  if (Math.abs(x) < 1e21) return x.toFixed(6);
  // Above 1e21 toFixed switches to exponent form; the double is an integer there, so print it exactly.
  return `${BigInt(x).toString()}.000000`;
}

/** A value written as the text of a statement parameter, as pgbench's getVariable writes it. */
export function valueText(value: PgValue): string {
  switch (value.type) {
    case 'null':
      // pgbench passes the four letters, not an SQL NULL; kept so scripts behave as under pgbench.
      return 'NULL';
    case 'boolean':
      return value.value ? 'true' : 'false';
    case 'int':
      return value.value.toString();
    case 'double':
      return formatDouble(value.value);
  }
}

/** How debug() prints a value: `int 5`, `double 0.333333333333333`, `boolean true`, `null`. */
export function debugText(value: PgValue): string {
  return value.type === 'null' ? 'null' : `${value.type} ${valueText(value)}`;
}

const INT_TEXT = /^\s*[-+]?[0-9]*$/;
const DOUBLE_TEXT = /^\s*[-+]?(?:[0-9]+\.?[0-9]*(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?|inf|infinity|nan)$/i;

/** strtoint64: an optional sign and digits, leading and trailing whitespace allowed. */
export function parseInt64(text: string): bigint | 'syntax' | 'range' {
  const match = /^\s*([-+]?)([0-9]+)\s*$/.exec(text);
  if (!match) return 'syntax';
  const value = BigInt(`${match[1]}${match[2]}`);
  return value < INT64_MIN || value > INT64_MAX ? 'range' : value;
}

/** strtod on the whole text; undefined when it is not a number or overflows/underflows (ERANGE). */
export function parseDouble(text: string): number | undefined {
  if (!DOUBLE_TEXT.test(text)) return undefined;
  const trimmed = text.trim();
  const lower = trimmed.toLowerCase().replace(/^[-+]/, '');
  const negative = trimmed.startsWith('-');
  if (lower === 'inf' || lower === 'infinity') return negative ? -Infinity : Infinity;
  if (lower === 'nan') return NaN;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return undefined;
  // Underflow: non-zero digits that round to zero.
  if (value === 0 && /[1-9]/.test(trimmed.replace(/[eE].*$/, ''))) return undefined;
  return value;
}

/**
 * pgbench's makeVariableValue: a variable set from text (-D, \pb_from) gets its type when an
 * expression first reads it. `null`; a prefix of true/yes, `on`; a prefix of false/no, `off`,
 * `of` are booleans; then an integer; then a double; anything else is malformed.
 */
export function valueFromText(name: string, text: string): PgValue {
  const length = text.length;
  if (length === 0) throw new EvaluationError(`malformed variable "${name}" value: ""`);
  const lower = text.toLowerCase();
  if (lower === 'null') return NULL_VALUE;
  if ('true'.startsWith(lower) || 'yes'.startsWith(lower) || lower === 'on') return TRUE_VALUE;
  if ('false'.startsWith(lower) || 'no'.startsWith(lower) || lower === 'off' || lower === 'of') return FALSE_VALUE;
  if (INT_TEXT.test(text)) {
    const parsed = parseInt64(text);
    if (parsed === 'range') throw new EvaluationError(`value "${text}" is out of range for type bigint`);
    if (parsed === 'syntax') throw new EvaluationError(`invalid input syntax for type bigint: "${text}"`);
    return intValue(parsed);
  }
  const parsed = parseDouble(text);
  if (parsed === undefined) throw new EvaluationError(`malformed variable "${name}" value: "${text}"`);
  return doubleValue(parsed);
}

const VARIABLE_NAME = /^[A-Za-z_\u{80}-\u{10ffff}][A-Za-z0-9_\u{80}-\u{10ffff}]*$/u;

/**
 * pgbench's valid_variable_name: ASCII letters, digits, underscore and any non-ASCII character,
 * not starting with a digit.
 */
export function isValidVariableName(name: string): boolean {
  return VARIABLE_NAME.test(name);
}
