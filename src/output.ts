import { Chalk, type ChalkInstance } from 'chalk';

/**
 * Where a command's words go: data on stdout, talk (progress, warnings, status) on stderr. Colour
 * only on a TTY, honouring NO_COLOR and FORCE_COLOR. Tests pass string sinks.
 */
export interface Output {
  /** Writes data (the chosen format) to stdout. */
  data(text: string): void;
  /** A status or warning line on stderr. */
  say(line: string): void;
  warn(line: string): void;
  /** True when stderr is a terminal: spinners and live progress only then. */
  readonly interactive: boolean;
  readonly color: ChalkInstance;
}

export function colorLevel(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.FORCE_COLOR !== undefined) {
    const forced = Number(env.FORCE_COLOR);
    if (env.FORCE_COLOR === '' || env.FORCE_COLOR === 'true') return 1;
    return Number.isInteger(forced) && forced >= 0 && forced <= 3 ? (forced as 0 | 1 | 2 | 3) : 1;
  }
  return stream.isTTY ? 2 : 0;
}

export function terminalOutput(env: NodeJS.ProcessEnv = process.env): Output {
  const color = new Chalk({ level: colorLevel(process.stdout, env) });
  const talk = new Chalk({ level: colorLevel(process.stderr, env) });
  return {
    data: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    say: (line) => void process.stderr.write(`${line}\n`),
    warn: (line) => void process.stderr.write(`${talk.yellow('warning:')} ${line}\n`),
    interactive: Boolean(process.stderr.isTTY) && env.CI !== 'true',
    color,
  };
}

/** An Output that collects into strings, for tests and for embedding commands in other commands. */
export function memoryOutput(): Output & { stdout: string; stderr: string } {
  const sink = {
    stdout: '',
    stderr: '',
    data(text: string) {
      sink.stdout += text.endsWith('\n') ? text : `${text}\n`;
    },
    say(line: string) {
      sink.stderr += `${line}\n`;
    },
    warn(line: string) {
      sink.stderr += `warning: ${line}\n`;
    },
    interactive: false,
    color: new Chalk({ level: 0 }),
  };
  return sink;
}
