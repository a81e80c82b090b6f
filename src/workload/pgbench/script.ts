/**
 * Workload domain (pure): reads a pgbench custom script (PostgreSQL docs, pgbench, "Custom
 * Scripts") into commands perfbench can plan, and refuses, with the line and the reason, anything
 * it cannot run as pgbench would. Nothing is skipped silently.
 *
 * The text is split the way pgbench's psqlscan-based reader splits it:
 * - a backslash outside quotes and comments starts a meta-command, which ends at the end of its
 *   line (a backslash just before the newline continues it); SQL before it on the same line is a
 *   statement of its own, as in pgbench;
 * - everything else is SQL; a statement may span lines and ends at a `;` outside quotes ('…',
 *   E'…', "…", $tag$…$tag$), comments (--, nested /* *\/) and parentheses, or at the end of the
 *   script;
 * - `:name` becomes a parameter `$n`, one per occurrence, as `pgbench -M prepared` does; `::type`
 *   casts, `:=` and `[1:2]` slices are left alone. Unlike pgbench, a `:name` inside a string
 *   literal, a quoted identifier, a dollar-quoted body or a comment is left as written (pgbench
 *   would bind a parameter there, which PostgreSQL then rejects as untyped).
 *
 * Meta-commands: \set, \sleep, \if/\elif/\else/\endif (nesting checked here) and perfbench's own
 * `\pb_from NAME RELATION.COLUMN [uniform|zipf S]`. Refused: \setshell, \shell, \gset, \aset,
 * \startpipeline, \syncpipeline, \endpipeline, `\;`, psql's :'name' / :"name", a literal `$1`,
 * unterminated quotes or comments, and any unknown meta-command.
 */
import { createHash } from 'node:crypto';
import type { Distribution } from '../../measure/random.js';
import { DEFAULT_ZIPF_SKEW } from '../dataset.js';
import { type Identifier, catalogIdentifier, nameParts } from '../identifiers.js';
import type { Statement } from '../workload.js';
import { ExpressionSyntaxError, parseExpression, type Expr } from './expression.js';
import { ScriptError } from './script-error.js';
import { classifyStatement, type SqlToken, type StatementAccess } from './statement-access.js';
import { isValidVariableName, parseDouble } from './values.js';

/** Where a script comes from: its name (the file name as given) and its weight (FILE@WEIGHT). */
export interface ScriptSource {
  readonly name: string;
  /** Relative frequency among several scripts (pgbench's @WEIGHT): an integer >= 0; default 1. */
  readonly weight?: number;
}

/** One SQL statement of a script, ready for the extended protocol. */
export interface ScriptStatement extends Statement {
  /** `-- name: x` on the lines above it, else `<script name>#<k>` (k counts the script's statements from 1). */
  readonly name: string;
  /** True when the name came from a `-- name:` comment. */
  readonly named: boolean;
  /** 0-based position among the script's statements. */
  readonly index: number;
  /** 1-based line of the statement's first word. */
  readonly line: number;
  /** The text with `$1…$n` in place of the `:name`s (without the closing `;`). */
  readonly text: string;
  /** The variable bound to each parameter, `$1` first (a variable used twice is bound twice). */
  readonly parameters: readonly string[];
  /** Whether it reads, writes or controls the transaction: the executor's cache decision. */
  readonly access: StatementAccess;
  /** Why, for the report: `UPDATE changes rows`, `SELECT … FOR UPDATE locks rows`. */
  readonly accessReason: string;
}

/** A `\pb_from` source: values drawn from a column's actual values, loaded by the use case. */
export interface PbFromSource {
  /** The variable it sets. */
  readonly name: string;
  readonly relation: Identifier;
  readonly column: Identifier;
  readonly distribution: Distribution;
  /** The Zipf exponent (0 for uniform). */
  readonly skew: number;
  /** The line of its first \pb_from. */
  readonly line: number;
}

export type SleepUnit = 'us' | 'ms' | 's';

export type Command =
  | { readonly kind: 'sql'; readonly line: number; readonly statement: ScriptStatement }
  | { readonly kind: 'set'; readonly line: number; readonly variable: string; readonly expression: Expr }
  | { readonly kind: 'sleep'; readonly line: number; readonly duration: { readonly variable: string } | { readonly amount: number }; readonly unit: SleepUnit }
  | { readonly kind: 'if'; readonly line: number; readonly branches: readonly IfBranch[] }
  | { readonly kind: 'pb_from'; readonly line: number; readonly source: PbFromSource };

/** One branch of \if … \endif: \if and \elif have a condition, \else has none. */
export interface IfBranch {
  readonly line: number;
  readonly condition: Expr | undefined;
  readonly body: readonly Command[];
}

/** Calls `visit` on every command, those inside \if branches too, in the order written. */
export function forEachCommand(commands: readonly Command[], visit: (command: Command) => void): void {
  for (const command of commands) {
    visit(command);
    if (command.kind === 'if') for (const branch of command.branches) forEachCommand(branch.body, visit);
  }
}

/**
 * What tells one served statement from another of the same name: its text and the variables bound
 * to it, hashed. perfbench serve --workload lists it per name on /healthz, and bench --http URL
 * compares, so a server started on another version of a script is refused, not timed.
 */
export function statementSignature(statement: Pick<ScriptStatement, 'text' | 'parameters'>): string {
  return createHash('sha1').update(statement.text).update('\u0000').update(statement.parameters.join(',')).digest('hex').slice(0, 16);
}

/**
 * The name a statement is served under (perfbench serve --workload, /q/<name>/…) and asked for by
 * bench --http: its `-- name:`, else `<file>#<k>` with the script's file name without its
 * directories, so a server started on `scripts/orders.sql` and a bench given `./scripts/orders.sql`
 * (or the script's own directory) agree.
 */
export function servedStatementName(script: Script, statement: ScriptStatement): string {
  if (statement.named) return statement.name;
  const file = script.name.slice(Math.max(script.name.lastIndexOf('/'), script.name.lastIndexOf('\\')) + 1);
  return `${file}#${statement.index + 1}`;
}

/** Whether any execution of `script` can \sleep (in any branch). */
export function hasSleep(script: Pick<Script, 'commands'>): boolean {
  let found = false;
  forEachCommand(script.commands, (command) => {
    if (command.kind === 'sleep') found = true;
  });
  return found;
}

/** A parsed script: its commands (\if blocks nested), its statements and its \pb_from sources. */
export interface Script {
  readonly name: string;
  readonly weight: number;
  readonly commands: readonly Command[];
  /** Every SQL statement, in the order written (also those inside \if branches). */
  readonly statements: readonly ScriptStatement[];
  /** One source per \pb_from variable. */
  readonly pbFrom: readonly PbFromSource[];
}

const MAX_WEIGHT = 2147483647;
/** PostgreSQL's protocol carries at most 65535 parameters per statement. */
const MAX_PARAMETERS = 65535;
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;
const SPACE = /[ \t\r\f\v]/;

/** What the scanner hands the parser: a statement's pieces, or a meta-command's line. */
type Item =
  | { readonly kind: 'sql'; readonly line: number; readonly text: string; readonly parameters: string[]; readonly tokens: SqlToken[]; readonly name?: { value: string; line: number } }
  | { readonly kind: 'meta'; readonly line: number; readonly body: string; readonly segments: readonly Segment[] };

/** Where a physical line of a continued meta-command starts in its body: its line and column there. */
interface Segment {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

const REFUSED: ReadonlyMap<string, string> = new Map([
  ['setshell', 'is not supported (perfbench runs no shell commands while it measures; compute the value with \\set, or pass it with -D NAME=VALUE)'],
  ['shell', 'is not supported (perfbench runs no shell commands while it measures; run the command before the benchmark)'],
  ['gset', 'is not supported yet (perfbench runs each statement on its own; remove it or use \\set)'],
  ['aset', 'is not supported yet (perfbench runs each statement on its own; remove it or use \\set)'],
  ['startpipeline', 'is not supported yet (perfbench sends one statement at a time and times each one; remove \\startpipeline, \\syncpipeline and \\endpipeline)'],
  ['syncpipeline', 'is not supported yet (perfbench sends one statement at a time and times each one; remove \\startpipeline, \\syncpipeline and \\endpipeline)'],
  ['endpipeline', 'is not supported yet (perfbench sends one statement at a time and times each one; remove \\startpipeline, \\syncpipeline and \\endpipeline)'],
]);

/** Splits a script's text into statements and meta-command lines (psqlscan's rules, see the header). */
class Scanner {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  readonly items: Item[] = [];
  // The statement being collected.
  private pieces: string[] = [];
  private parameters: string[] = [];
  private tokens: SqlToken[] = [];
  private startLine = 0;
  private depth = 0;
  private lastWordEnd = -1;
  private lastWord = '';
  private pendingName: { value: string; line: number } | undefined;

  constructor(private readonly text: string, private readonly source: string) {}

  private fail(line: number, reason: string): never {
    throw new ScriptError(this.source, line, reason);
  }

  private get started(): boolean {
    return this.startLine > 0;
  }

  /** Appends statement text, counting the lines it spans. */
  private emit(piece: string, token?: SqlToken): void {
    if (!this.started) this.startLine = this.line;
    this.pieces.push(piece);
    if (token) this.tokens.push(token);
    this.advance(piece.length);
  }

  /** Moves past `length` characters of the text, counting newlines. */
  private advance(length: number): void {
    const end = this.i + length;
    for (let j = this.i; j < end; j++) {
      if (this.text.charCodeAt(j) === 10) {
        this.line++;
        this.lineStart = j + 1;
      }
    }
    this.i = end;
  }

  private flush(): void {
    if (this.started) {
      if (this.parameters.length > MAX_PARAMETERS) {
        this.fail(this.startLine, `the statement has ${this.parameters.length} parameters; PostgreSQL takes at most ${MAX_PARAMETERS}`);
      }
      const item: Item = {
        kind: 'sql',
        line: this.startLine,
        text: this.pieces.join('').replace(/\s+$/, ''),
        parameters: this.parameters,
        tokens: this.tokens,
        ...(this.pendingName ? { name: this.pendingName } : {}),
      };
      this.items.push(item);
      this.pendingName = undefined;
    }
    this.pieces = [];
    this.parameters = [];
    this.tokens = [];
    this.startLine = 0;
    this.depth = 0;
  }

  scan(): Item[] {
    const text = this.text;
    while (this.i < text.length) {
      const c = text[this.i]!;
      const next = text[this.i + 1] ?? '';
      if (c === '\n' || SPACE.test(c)) {
        if (this.started) this.emit(c);
        else this.advance(1);
      } else if (c === '-' && next === '-') {
        this.lineComment();
      } else if (c === '/' && next === '*') {
        this.blockComment();
      } else if (c === "'") {
        this.quoted("'", this.lastWordEnd === this.i && (this.lastWord === 'E' || this.lastWord === 'e'));
      } else if (c === '"') {
        this.quoted('"', false);
      } else if (c === '$') {
        this.dollar();
      } else if (c === ':') {
        this.colon();
      } else if (c === '\\') {
        this.backslash();
      } else if (c === ';' && this.depth === 0) {
        this.advance(1);
        this.flush();
      } else if (WORD_START.test(c) || DIGIT.test(c)) {
        let j = this.i + 1;
        while (j < text.length && WORD_CHAR.test(text[j]!)) j++;
        const word = text.slice(this.i, j);
        this.emit(word, { kind: 'word', upper: word.toUpperCase() });
        this.lastWord = word;
        this.lastWordEnd = j;
      } else {
        if (c === '(') this.depth++;
        if (c === ')' && this.depth > 0) this.depth--;
        this.emit(c, { kind: 'punct', text: c });
      }
    }
    this.flush();
    if (this.pendingName) this.fail(this.pendingName.line, `-- name: ${this.pendingName.value} names no statement (it must come before the statement it names)`);
    return this.items;
  }

  private lineComment(): void {
    let end = this.text.indexOf('\n', this.i);
    if (end < 0) end = this.text.length;
    const comment = this.text.slice(this.i, end);
    if (this.started) {
      this.emit(comment);
      return;
    }
    const name = /^--\s*name\s*:\s*(.*?)\s*$/i.exec(comment);
    if (name) {
      const value = name[1]!;
      if (!NAME_PATTERN.test(value)) {
        this.fail(this.line, `-- name: ${JSON.stringify(value)} is not a valid statement name (letters, digits, _, . and -, not starting with . or -: it becomes the route /q/<name>)`);
      }
      this.pendingName = { value, line: this.line };
    }
    this.advance(comment.length);
  }

  private blockComment(): void {
    const startLine = this.line;
    let depth = 0;
    let j = this.i;
    while (j < this.text.length) {
      if (this.text.startsWith('/*', j)) {
        depth++;
        j += 2;
      } else if (this.text.startsWith('*/', j)) {
        depth--;
        j += 2;
        if (depth === 0) break;
      } else {
        j++;
      }
    }
    if (depth > 0) this.fail(startLine, 'unterminated /* comment (add the closing */)');
    const comment = this.text.slice(this.i, j);
    if (this.started) this.emit(comment);
    else this.advance(comment.length);
  }

  /** A '…' literal (E'…' takes backslash escapes) or a "…" identifier; a doubled quote escapes it. */
  private quoted(quote: string, backslashEscapes: boolean): void {
    const startLine = this.line;
    let j = this.i + 1;
    for (;;) {
      if (j >= this.text.length) {
        this.fail(startLine, quote === '"' ? 'unterminated quoted identifier (add the closing ")' : "unterminated quoted string (add the closing ')");
      }
      const c = this.text[j]!;
      if (backslashEscapes && c === '\\') {
        j += 2;
      } else if (c === quote) {
        if (this.text[j + 1] === quote) j += 2;
        else break;
      } else {
        j++;
      }
    }
    this.emit(this.text.slice(this.i, j + 1), quote === '"' ? { kind: 'ident' } : { kind: 'string' });
  }

  private dollar(): void {
    const rest = this.text.slice(this.i, this.i + 200);
    const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(rest);
    if (tag) {
      const close = this.text.indexOf(tag[0], this.i + tag[0].length);
      if (close < 0) this.fail(this.line, `unterminated dollar-quoted string (add the closing ${tag[0]})`);
      this.emit(this.text.slice(this.i, close + tag[0].length), { kind: 'string' });
      return;
    }
    const positional = /^\$[0-9]+/.exec(rest);
    if (positional) {
      this.fail(this.line, `a literal parameter ${positional[0]} is not supported (perfbench numbers the :variables $1, $2, … as pgbench -M prepared does; use a :variable)`);
    }
    this.emit('$', { kind: 'punct', text: '$' });
  }

  private colon(): void {
    const text = this.text;
    const next = text[this.i + 1] ?? '';
    if (next === ':') {
      // pgbench skips a run of colons: `::type` is a cast, never a variable.
      let j = this.i;
      while (text[j] === ':') j++;
      this.emit(text.slice(this.i, j), { kind: 'punct', text: '::' });
      return;
    }
    if (next === "'" || next === '"') {
      this.fail(this.line, `:${next}…${next} is psql's variable syntax, which pgbench does not substitute (PostgreSQL would reject the statement); write :name to bind the variable as a parameter`);
    }
    if (WORD_START.test(next)) {
      let j = this.i + 2;
      while (j < text.length && /[A-Za-z0-9_\u0080-\uffff]/.test(text[j]!)) j++;
      const name = text.slice(this.i + 1, j);
      this.parameters.push(name);
      if (!this.started) this.startLine = this.line;
      this.pieces.push(`$${this.parameters.length}`);
      this.tokens.push({ kind: 'param' });
      this.advance(j - this.i);
      return;
    }
    this.emit(':', { kind: 'punct', text: ':' });
  }

  private backslash(): void {
    const next = this.text[this.i + 1] ?? '';
    if (next === ';') {
      this.fail(this.line, '\\; (several statements sent as one) is not supported (perfbench binds parameters with the extended protocol, which runs one statement at a time; end each statement with ;)');
    }
    if (next === ':') {
      // psql's \: is a literal colon, never a variable.
      if (!this.started) this.startLine = this.line;
      this.pieces.push(':');
      this.tokens.push({ kind: 'punct', text: ':' });
      this.advance(2);
      return;
    }
    this.flush();
    const line = this.line;
    // The body starts after the backslash, one column to its right.
    const segments: Segment[] = [{ offset: 0, line, column: this.i - this.lineStart + 2 }];
    // The meta-command runs to the end of the line; a backslash before the newline continues it.
    let j = this.i + 1;
    let body = '';
    for (;;) {
      let end = this.text.indexOf('\n', j);
      if (end < 0) end = this.text.length;
      const chunk = this.text.slice(j, end);
      const continued = /\\\r?$/.exec(chunk);
      if (continued && end < this.text.length) {
        // The continuation becomes spaces of the same length, so offsets still point into the text.
        body += chunk.slice(0, continued.index) + ' '.repeat(continued[0].length + 1);
        j = end + 1;
        segments.push({ offset: body.length, line: segments[segments.length - 1]!.line + 1, column: 1 });
        continue;
      }
      body += chunk;
      j = end;
      break;
    }
    this.advance(j - this.i);
    this.items.push({ kind: 'meta', line, body, segments });
  }
}

interface OpenIf {
  readonly line: number;
  readonly branches: { line: number; condition: Expr | undefined; body: Command[] }[];
  elseLine: number;
}

/** Reads a pgbench script; throws ScriptError (usage, exit 2) with the line and reason of the first problem. */
export function parseScript(text: string, source: ScriptSource): Script {
  const weight = source.weight ?? 1;
  if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
    throw new ScriptError(source.name, 0, `weight ${weight} is not an integer from 0 to ${MAX_WEIGHT}`);
  }
  // A byte order mark is not part of the first statement.
  const items = new Scanner(text.replace(/^\uFEFF/, ''), source.name).scan();
  const fail: (line: number, reason: string) => never = (line, reason) => {
    throw new ScriptError(source.name, line, reason);
  };

  const commands: Command[] = [];
  const statements: ScriptStatement[] = [];
  const pbFrom = new Map<string, PbFromSource>();
  const names = new Map<string, number>();
  const open: OpenIf[] = [];
  const body = (): Command[] => {
    const top = open[open.length - 1];
    return top ? top.branches[top.branches.length - 1]!.body : commands;
  };

  for (const item of items) {
    if (item.kind === 'sql') {
      const index = statements.length;
      const name = item.name?.value ?? `${source.name}#${index + 1}`;
      const seen = names.get(name);
      if (seen !== undefined) fail(item.name?.line ?? item.line, `statement name ${name} is used twice (first at line ${seen}); names must be unique in a script`);
      names.set(name, item.name?.line ?? item.line);
      const access = classifyStatement(item.tokens);
      const statement: ScriptStatement = {
        name,
        named: item.name !== undefined,
        index,
        line: item.line,
        text: item.text,
        parameters: item.parameters,
        access: access.access,
        accessReason: access.reason,
      };
      statements.push(statement);
      body().push({ kind: 'sql', line: item.line, statement });
      continue;
    }

    const meta = readMeta(item, fail);
    switch (meta.kind) {
      case 'if': {
        const block: OpenIf = { line: item.line, branches: [{ line: item.line, condition: meta.condition, body: [] }], elseLine: 0 };
        body().push({ kind: 'if', line: item.line, branches: block.branches });
        open.push(block);
        break;
      }
      case 'elif':
      case 'else': {
        const top = open[open.length - 1];
        if (!top) fail(item.line, `\\${meta.kind} without a matching \\if`);
        if (top.elseLine > 0) fail(item.line, `\\${meta.kind} after \\else (the \\else is at line ${top.elseLine}, the \\if at line ${top.line})`);
        if (meta.kind === 'else') top.elseLine = item.line;
        top.branches.push({ line: item.line, condition: meta.kind === 'elif' ? meta.condition : undefined, body: [] });
        break;
      }
      case 'endif':
        if (!open.pop()) fail(item.line, '\\endif without a matching \\if');
        break;
      case 'pb_from': {
        const known = pbFrom.get(meta.source.name);
        if (known && !sameSource(known, meta.source)) {
          fail(item.line, `\\pb_from ${meta.source.name} draws from another column than at line ${known.line}; give each source its own variable`);
        }
        if (!known) pbFrom.set(meta.source.name, meta.source);
        body().push({ kind: 'pb_from', line: item.line, source: known ?? meta.source });
        break;
      }
      default:
        body().push(meta.command);
    }
  }
  const unclosed = open[open.length - 1];
  if (unclosed) fail(unclosed.line, '\\if without a matching \\endif');
  if (commands.length === 0) fail(0, 'the script has no commands (pgbench refuses an empty script too)');
  return { name: source.name, weight, commands, statements, pbFrom: [...pbFrom.values()] };
}

function sameSource(a: PbFromSource, b: PbFromSource): boolean {
  return a.relation.sql === b.relation.sql && a.column.sql === b.column.sql && a.distribution === b.distribution && a.skew === b.skew;
}

type Meta =
  | { readonly kind: 'if' | 'elif'; readonly condition: Expr }
  | { readonly kind: 'else' | 'endif' }
  | { readonly kind: 'pb_from'; readonly source: PbFromSource }
  | { readonly kind: 'command'; readonly command: Command };

/** Reads one meta-command line (the text after its backslash). */
function readMeta(item: Extract<Item, { kind: 'meta' }>, fail: (line: number, reason: string) => never): Meta {
  const { body, line } = item;
  const nameMatch = /^\s*(\S*)/.exec(body)!;
  const written = nameMatch[1]!;
  const name = written.toLowerCase();
  const restStart = nameMatch[0].length;
  const rest = body.slice(restStart);
  if (written === '') fail(line, 'a backslash with no meta-command after it (write \\set, \\sleep, \\if, … or remove it)');

  const expression = (label: string, text: string, offset: number): Expr => {
    try {
      return parseExpression(text);
    } catch (error) {
      if (error instanceof ExpressionSyntaxError) {
        // The line and column in the script of the body's offset (a continued command spans lines).
        const at = offset + error.column - 1;
        const segment = [...item.segments].reverse().find((candidate) => candidate.offset <= at)!;
        const comment = text.includes('--') ? ' (a meta-command line takes no -- comment)' : '';
        fail(segment.line, `${label}: ${error.message} at column ${segment.column + at - segment.offset}${comment}`);
      }
      throw error;
    }
  };

  switch (name) {
    case 'set': {
      const variable = /^\s*(\S*)/.exec(rest)!;
      const variableName = variable[1]!;
      if (variableName === '') fail(line, '\\set: missing variable name and expression (\\set NAME EXPRESSION)');
      if (!isValidVariableName(variableName)) fail(line, `\\set: invalid variable name "${variableName}" (letters, digits and _, not starting with a digit)`);
      const exprOffset = restStart + variable[0].length;
      return { kind: 'command', command: { kind: 'set', line, variable: variableName, expression: expression(`\\set ${variableName}`, body.slice(exprOffset), exprOffset) } };
    }
    case 'if':
    case 'elif':
      return { kind: name, condition: expression(`\\${name}`, rest, restStart) };
    case 'else':
    case 'endif':
      if (rest.trim() !== '') fail(line, `\\${name} takes no argument (found "${rest.trim()}")`);
      return { kind: name };
    case 'sleep':
      return { kind: 'command', command: readSleep(rest, line, fail) };
    case 'pb_from':
      return { kind: 'pb_from', source: readPbFrom(rest, line, fail) };
    default: {
      const refused = REFUSED.get(name);
      if (refused) fail(line, `\\${name} ${refused}`);
      return fail(line, `\\${written} is not a pgbench meta-command perfbench knows (it runs \\set, \\sleep, \\if, \\elif, \\else, \\endif and \\pb_from)`);
    }
  }
}

/** \sleep N [us|ms|s], N an integer or :variable; `\sleep 10ms` also works, as in pgbench. Default unit: s. */
function readSleep(rest: string, line: number, fail: (line: number, reason: string) => never): Command {
  const args = rest.trim() === '' ? [] : rest.trim().split(/\s+/);
  const usage = '\\sleep N [us|ms|s], N an integer or a :variable';
  if (args.length === 0) fail(line, `\\sleep: missing duration (${usage})`);
  if (args.length > 2) fail(line, `\\sleep: too many arguments (${usage})`);
  let [amount, unit] = args as [string, string | undefined];
  let duration: { variable: string } | { amount: number };
  if (amount.startsWith(':')) {
    if (amount.length === 1) fail(line, `\\sleep: missing variable name after : (${usage})`);
    duration = { variable: amount.slice(1) };
  } else {
    const number = /^([-+]?[0-9]+)(.*)$/.exec(amount);
    if (!number) fail(line, `\\sleep: invalid sleep time "${amount}", must be an integer (${usage})`);
    if (number[2] !== '') {
      if (unit !== undefined) fail(line, `\\sleep: invalid sleep time "${amount}", must be an integer (${usage})`);
      unit = number[2];
    }
    duration = { amount: Number(number[1]) };
  }
  const normalized = (unit ?? 's').toLowerCase();
  if (normalized !== 'us' && normalized !== 'ms' && normalized !== 's') fail(line, `\\sleep: unrecognized time unit "${unit}", must be us, ms or s`);
  return { kind: 'sleep', line, duration, unit: normalized };
}

const PB_FROM_USAGE = '\\pb_from NAME RELATION.COLUMN [uniform | zipf S], e.g. \\pb_from cid "Sales"."Order Items"."Customer Id" zipf 1.1';
/** PostgreSQL's NAMEDATALEN - 1: a longer name would be silently truncated by the server. */
const MAX_NAME_BYTES = 63;

/** Splits on whitespace outside double quotes. */
function words(text: string): string[] | undefined {
  const found: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (!quoted && /\s/.test(c)) {
      if (current !== '') found.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (quoted) return undefined;
  if (current !== '') found.push(current);
  return found;
}

function readPbFrom(rest: string, line: number, fail: (line: number, reason: string) => never): PbFromSource {
  const found = words(rest);
  if (!found) fail(line, `\\pb_from: unterminated quoted name (${PB_FROM_USAGE})`);
  if (found.length < 2) fail(line, `\\pb_from: missing ${found.length === 0 ? 'variable name and ' : ''}RELATION.COLUMN (${PB_FROM_USAGE})`);
  const [name, target, kind, parameter, ...extra] = found as [string, string, string | undefined, string | undefined, ...string[]];
  if (!isValidVariableName(name)) fail(line, `\\pb_from: invalid variable name "${name}" (letters, digits and _, not starting with a digit)`);
  const parts = nameParts(target);
  if (!parts || parts.length < 2 || parts.length > 3) {
    fail(line, `\\pb_from: ${target} is not RELATION.COLUMN or SCHEMA.RELATION.COLUMN (write names as in SQL, double-quoted when they need it: "Order Items"."Customer Id")`);
  }
  const tooLong = parts.find((part) => Buffer.byteLength(part) > MAX_NAME_BYTES);
  if (tooLong !== undefined) fail(line, `\\pb_from: the name "${tooLong}" is longer than ${MAX_NAME_BYTES} bytes (PostgreSQL would truncate it)`);
  const column = parts[parts.length - 1]!;
  const relation = parts.length === 3 ? catalogIdentifier(parts[0], parts[1]!) : catalogIdentifier(undefined, parts[0]!);
  let distribution: Distribution = 'uniform';
  let skew = 0;
  const normalized = kind?.toLowerCase();
  if (normalized === 'zipf') {
    distribution = 'zipf';
    skew = DEFAULT_ZIPF_SKEW;
    if (parameter !== undefined) {
      const value = parseDouble(parameter);
      if (value === undefined || !Number.isFinite(value) || !(value > 0)) fail(line, `\\pb_from: the zipf exponent "${parameter}" must be a number above 0`);
      skew = value;
    }
    if (extra.length > 0) fail(line, `\\pb_from: unexpected "${extra[0]}" (${PB_FROM_USAGE})`);
  } else if (normalized === 'uniform' || normalized === undefined) {
    if (parameter !== undefined) fail(line, `\\pb_from: unexpected "${parameter}" after uniform (${PB_FROM_USAGE})`);
  } else {
    fail(line, `\\pb_from: unknown distribution "${kind}" (uniform, or zipf S)`);
  }
  return { name, relation, column: catalogIdentifier(undefined, column), distribution, skew, line };
}
