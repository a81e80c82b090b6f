/**
 * Shared: where words go: data on stdout, talk on stderr, colour only on a TTY.
 *
 * An Output carries colour levels, not chalk instances: chalk (with node:process, node:tty and its
 * vendored modules) took ~10 ms of every start (bench:startup, issue 13 item 7), and most commands
 * colour nothing. The renderers that colour load chalk themselves (`dataColors`).
 */
import type { ChalkInstance } from 'chalk';

/** chalk's colour depths: none, 16 colours, 256, truecolor. */
export type ColorLevel = 0 | 1 | 2 | 3;

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
  /** True when stderr is a terminal with a usable width: spinners and live progress only then. */
  readonly interactive: boolean;
  /** Colour depth of the data on stdout. */
  readonly colorLevel: ColorLevel;
  /** Colour of the talk on stderr (warning labels, the spinner glyph): its own TTY and NO_COLOR decide. */
  readonly talkColorLevel: ColorLevel;
}

export function colorLevel(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): ColorLevel {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.FORCE_COLOR !== undefined) {
    const forced = Number(env.FORCE_COLOR);
    if (env.FORCE_COLOR === '' || env.FORCE_COLOR === 'true') return 1;
    return Number.isInteger(forced) && forced >= 0 && forced <= 3 ? (forced as ColorLevel) : 1;
  }
  return stream.isTTY ? 2 : 0;
}

/**
 * True when `stream` is a terminal that reports a width. ora divides by the width to know how many
 * lines to clear: a pty that reports 0 columns (`script` without a size, some `docker -t` and CI
 * ptys) made it loop forever, writing hundreds of MB and deaf to Ctrl-C. 0 or no width is no TTY.
 */
export function usableTerminal(stream: { isTTY?: boolean; columns?: number }): boolean {
  return Boolean(stream.isTTY) && typeof stream.columns === 'number' && Number.isFinite(stream.columns) && stream.columns > 0;
}

/** "warning:" in yellow (SGR 33, closed by 39: chalk's yellow), the one colour the talk uses without chalk. */
const YELLOW_WARNING = '\u001b[33mwarning:\u001b[39m';

export function terminalOutput(env: NodeJS.ProcessEnv = process.env): Output {
  const talkColorLevel = colorLevel(process.stderr, env);
  const label = talkColorLevel > 0 ? YELLOW_WARNING : 'warning:';
  return {
    data: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    say: (line) => void process.stderr.write(`${line}\n`),
    warn: (line) => void process.stderr.write(`${label} ${line}\n`),
    interactive: usableTerminal(process.stderr) && env.CI !== 'true',
    colorLevel: colorLevel(process.stdout, env),
    talkColorLevel,
  };
}

/** A chalk for the data on stdout when it is coloured, else undefined (the renderers' plain default). */
export async function dataColors(out: Output): Promise<ChalkInstance | undefined> {
  if (out.colorLevel === 0) return undefined;
  const { Chalk } = await import('chalk');
  return new Chalk({ level: out.colorLevel });
}

/** A live status line on stderr (ora underneath): what seed and bench drive their progress through. */
export interface Spinner {
  text: string;
  /** Removes the line, to print something else (then `render` draws it again). */
  clear(): void;
  render(): void;
  stop(): void;
}

/**
 * Starts a spinner when `out` is interactive, else returns undefined (the caller prints nothing
 * live). The glyph is coloured only when the talk is (NO_COLOR: ora's own chalk ignores it). If
 * the terminal's width drops to 0 while it runs (a resize), the spinner stops for good rather
 * than spin: Node updates `columns` and emits 'resize' in the same tick, before ora's next frame.
 */
export async function startSpinner(out: Output, text: string, stream: NodeJS.WriteStream = process.stderr): Promise<Spinner | undefined> {
  if (!out.interactive || !usableTerminal(stream)) return undefined;
  const { default: ora } = await import('ora');
  const colored = out.talkColorLevel > 0;
  const spinner = ora({ text, stream, color: colored ? 'cyan' : false }).start();
  let live = true;
  const stop = () => {
    if (!live) return;
    live = false;
    stream.off('resize', onResize);
    spinner.stop();
  };
  const onResize = () => {
    if (!usableTerminal(stream)) stop();
  };
  stream.on('resize', onResize);
  return {
    get text() {
      return spinner.text;
    },
    set text(value: string) {
      if (live) spinner.text = value;
    },
    clear: () => void (live && spinner.clear()),
    render: () => void (live && spinner.render()),
    stop,
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
    colorLevel: 0 as const,
    talkColorLevel: 0 as const,
  };
  return sink;
}
