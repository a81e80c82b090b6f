/**
 * The README walk (issue 10, item 16): every command in README.md's ```sh blocks runs, in order, as
 * a new user would run it on a fresh clone, and ends with the exit code the README implies.
 *
 * How it is run:
 * - In a copy of the checkout (the files git would give a clone, plus the work tree's changes) with
 *   the checkout's node_modules linked in: `npx perfbench` resolves to this project only from
 *   inside it, and `npm run build` there leaves the checkout's dist/ alone.
 * - Apart from the integration files, which run meanwhile (vitest.config.ts): DATABASE_URL is a
 *   scratch database created on the test PostgreSQL for the walk (a fresh clone finds no `products`
 *   table) and dropped afterwards; REDIS_URL is a redis-server of the walk's own, stopped at the
 *   end with the keys the walk leaves in it (serve's, which expire with their TTL as the README
 *   says). The walk touches neither the test database nor the test Redis.
 * - Each command runs with `bash -c`, CI=true and NO_COLOR=1, bounded by COMMAND_TIMEOUT_MS.
 *
 * What the README's commands imply, and what the walk does about it:
 * - Exit code 0, unless the line's comment says `exit N` / `exits N` (a line demonstrating a
 *   gate that trips says `# exits 3`).
 * - `npx perfbench serve` runs until stopped: the walk starts it, waits until it listens, runs the
 *   rest of the block against it, then stops it with Ctrl-C (SIGINT to its process group, as a
 *   terminal sends it) and expects the line's code (0).
 * - Ports 8080 and 9000, which the README uses, may be taken on a shared machine: each is mapped
 *   to a free port, in every line (`--port 8080`, `127.0.0.1:8080`), and a serve without `--port`
 *   gets the port 8080 maps to.
 * - Not run: `npm ci` (the walk links the checkout's node_modules instead; without the dist/ that
 *   npm ci's `prepare` builds, bin/perfbench runs the same source through tsx, until the README's
 *   own `npm run build`) and the test commands (`npm test`, `npm run test:*`): they are the suite
 *   this walk is part of.
 */
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../../src/net.js';
import { TEST_DATABASE_URL } from '../support/services.js';
import { TestRedis } from './serve-helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const COMMAND_TIMEOUT_MS = 6 * 60_000;
const SERVE_READY_MS = 2 * 60_000;
const WALK_TIMEOUT_MS = 30 * 60_000;

/** One command of a ```sh block: its text as written, and what the walk makes of it. */
export interface ReadmeCommand {
  block: number;
  /** The line as in the README (continuations joined). */
  line: string;
  /** The command without its trailing comment. */
  command: string;
  comment: string;
  expectedCode: number;
  serve: boolean;
  /** Why the walk does not run it, when it does not. */
  skip?: string;
}

const NOT_RUN: Array<[RegExp, string]> = [
  [/^npm ci\b/, "the install: the walk links the checkout's node_modules instead"],
  [/^npm (test|t|run test(:[\w-]+)?)(\s|$)/, 'the test suite this walk is part of'],
];

/** The commands of README.md's ```sh (or bash/shell) blocks, in order. */
export function readmeCommands(markdown: string): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  let block = -1;
  let fence: 'none' | 'walked' | 'other' = 'none';
  let pending = '';
  for (const raw of markdown.split('\n')) {
    const opening = /^\s*```+\s*(\S*)/.exec(raw);
    if (opening) {
      if (fence !== 'none') {
        fence = 'none';
      } else if (['sh', 'bash', 'shell'].includes(opening[1]!)) {
        fence = 'walked';
        block += 1;
      } else {
        fence = 'other';
      }
      continue;
    }
    if (fence !== 'walked') continue;
    const line = raw.trimEnd();
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full === '' || full.startsWith('#')) continue;
    const { command, comment } = splitComment(full);
    const code = /\bexits? (\d+)\b/.exec(comment);
    commands.push({
      block, line: full, command, comment,
      expectedCode: code ? Number(code[1]) : 0,
      serve: /\bperfbench\s+serve\b/.test(command) && !/\s--help\b/.test(command),
      skip: NOT_RUN.find(([pattern]) => pattern.test(command))?.[1],
    });
  }
  return commands;
}

/** A shell line's command and its trailing `# comment` (a # outside quotes, after a space). */
export function splitComment(line: string): { command: string; comment: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '\\') {
      i++;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      return { command: line.slice(0, i).trim(), comment: line.slice(i + 1).trim() };
    }
  }
  return { command: line.trim(), comment: '' };
}

/** The command with the README's fixed ports mapped to free ones (and a port for a serve that names none). */
export function withPorts(command: ReadmeCommand, ports: Map<number, number>): string {
  let text = command.command;
  for (const [from, to] of ports) {
    text = text.replace(new RegExp(`(--port[ =])${from}\\b`, 'g'), `$1${to}`).replace(new RegExp(`((?:127\\.0\\.0\\.1|localhost):)${from}\\b`, 'g'), `$1${to}`);
  }
  if (command.serve && !/--port\b/.test(text)) text += ` --port ${ports.get(8080)}`;
  return text;
}

interface Ran {
  code: number | null;
  output: string;
}

const scratchDatabase = `pbt_readme_${process.pid}`;
let workDir = '';
let databaseUrl = '';
let redis: TestRedis | undefined;
const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });

/** A copy of the checkout as a clone plus the work tree's changes would have it, with node_modules linked. */
function copyCheckout(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'perfbench-readme-walk-')));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the work tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file), { preserveTimestamps: true, verbatimSymlinks: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function env(): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Nothing of vitest's worker, and none of the user's own perfbench configuration.
    if (/^(VITEST|TEST$|NODE_ENV$|FORCE_COLOR$|DATABASE_URL$|REDIS_|DB_|PG[A-Z]+$|PERFBENCH_)/.test(key)) continue;
    base[key] = value;
  }
  return { ...base, DATABASE_URL: databaseUrl, REDIS_URL: `redis://127.0.0.1:${redis!.port}`, CI: 'true', NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' };
}

function start(command: string): { child: ReturnType<typeof spawn>; output: () => string; exited: Promise<number | null> } {
  const child = spawn('bash', ['-c', command], { cwd: workDir, env: env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));
  // A death by signal reads as a shell reports it: 128 + the signal's number (Ctrl-C: 130).
  const exited = new Promise<number | null>((done) => child.once('close', (code, signal) => done(code ?? (signal ? 128 + constants.signals[signal] : null))));
  return { child, output: () => output, exited };
}

async function run(command: string, timeoutMs = COMMAND_TIMEOUT_MS): Promise<Ran> {
  const running = start(command);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((done) => (timer = setTimeout(() => done('timeout'), timeoutMs)));
  const outcome = await Promise.race([running.exited, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    killGroup(running.child.pid!, 'SIGKILL');
    await running.exited;
    return { code: null, output: `${running.output()}\n(killed after ${timeoutMs} ms)` };
  }
  return { code: outcome, output: running.output() };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

const tail = (text: string) => text.trim().split('\n').slice(-15).join('\n');

beforeAll(async () => {
  workDir = copyCheckout();
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${scratchDatabase} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${scratchDatabase}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${scratchDatabase}`;
  databaseUrl = url.toString();
  redis = await TestRedis.start();
}, 120_000);

afterAll(async () => {
  // serve's report keys outlive it until their TTL (as the README says): they go with the walk's redis-server.
  await redis?.stop();
  await admin.query(`DROP DATABASE IF EXISTS ${scratchDatabase} WITH (FORCE)`).catch(() => undefined);
  await admin.end().catch(() => undefined);
  if (workDir) {
    forgetNpxEntries(workDir);
    rmSync(workDir, { recursive: true, force: true });
  }
}, 120_000);

/**
 * npx records each project it ran a local bin from as an entry of its cache (`<cache>/_npx/<hash>`,
 * a package.json depending on `file:<dir>`). The walk's copy is gone after the walk, so its entry
 * is removed too, rather than one more piling up in the user's npm cache per run.
 */
function forgetNpxEntries(dir: string): void {
  const cache = process.env.npm_config_cache || execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
  const npx = join(cache, '_npx');
  if (!existsSync(npx)) return;
  for (const entry of readdirSync(npx)) {
    try {
      const manifest = JSON.parse(readFileSync(join(npx, entry, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      const targets = Object.values(manifest.dependencies ?? {}).filter((spec) => spec.startsWith('file:')).map((spec) => resolve(npx, entry, spec.slice('file:'.length)));
      if (targets.length > 0 && targets.every((target) => target === dir)) rmSync(join(npx, entry), { recursive: true, force: true });
    } catch {
      // not an entry of that shape: not ours
    }
  }
}

describe('the README, command by command', () => {
  const commands = readmeCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));

  it('has commands to walk, and says why it leaves some out', () => {
    expect(commands.filter((c) => !c.skip).length).toBeGreaterThan(3);
    expect(commands.filter((c) => c.skip).map((c) => c.command)).toEqual(expect.arrayContaining(['npm ci', 'npm test']));
  });

  it('reads commands, comments, expected exit codes and serve lines as the walk needs them', () => {
    const parsed = readmeCommands([
      '```text', '$ perfbench seed', '```',
      '```sh', 'npx perfbench seed --table "a # b"   # a comment', 'npx perfbench bench \\', '  --baseline b.json   # exits 3: the gate trips', '```',
      '```sh', 'npx perfbench serve            # http://127.0.0.1:8080; Ctrl-C stops it (exit 0)', 'npm test', '```',
    ].join('\n'));
    expect(parsed.map(({ block, command, comment, expectedCode, serve, skip }) => ({ block, command, comment, expectedCode, serve, skip: Boolean(skip) }))).toEqual([
      { block: 0, command: 'npx perfbench seed --table "a # b"', comment: 'a comment', expectedCode: 0, serve: false, skip: false },
      { block: 0, command: 'npx perfbench bench    --baseline b.json', comment: 'exits 3: the gate trips', expectedCode: 3, serve: false, skip: false },
      { block: 1, command: 'npx perfbench serve', comment: 'http://127.0.0.1:8080; Ctrl-C stops it (exit 0)', expectedCode: 0, serve: true, skip: false },
      { block: 1, command: 'npm test', comment: '', expectedCode: 0, serve: false, skip: true },
    ]);
    const ports = new Map([[8080, 40001], [9000, 40002]]);
    expect(withPorts(parsed[2]!, ports)).toBe('npx perfbench serve --port 40001');
    expect(withPorts({ ...parsed[2]!, command: 'npx perfbench serve --port 9000 --ttl 60' }, ports)).toBe('npx perfbench serve --port 40002 --ttl 60');
    expect(withPorts({ ...parsed[0]!, command: 'npx perfbench bench --http http://127.0.0.1:8080 --paths http-fast' }, ports)).toBe('npx perfbench bench --http http://127.0.0.1:40001 --paths http-fast');
  });

  it('runs every command in order, each with the exit code the README implies', async () => {
    const problems: string[] = [];
    const timings: string[] = [];
    const ports = new Map<number, number>([[8080, await freeLoopbackPort()], [9000, await freeLoopbackPort()]]);

    const serving: Array<{ line: string; expected: number; running: ReturnType<typeof start> }> = [];
    const stopServers = async () => {
      for (const server of serving.splice(0)) {
        killGroup(server.running.child.pid!, 'SIGINT');
        let timer: NodeJS.Timeout | undefined;
        const code = await Promise.race([server.running.exited, new Promise<'timeout'>((done) => (timer = setTimeout(() => done('timeout'), 60_000)))]);
        clearTimeout(timer);
        if (code === 'timeout') {
          killGroup(server.running.child.pid!, 'SIGKILL');
          problems.push(`${server.line}: did not stop within 60 s of Ctrl-C:\n${tail(server.running.output())}`);
        } else if (code !== server.expected) {
          problems.push(`${server.line}: exited ${code} after Ctrl-C, expected ${server.expected}:\n${tail(server.running.output())}`);
        }
      }
    };

    let block = -1;
    for (const command of commands) {
      if (command.block !== block) {
        await stopServers();
        block = command.block;
      }
      if (command.skip) continue;
      const text = withPorts(command, ports);
      if (command.serve) {
        const port = /--port[ =](\d+)/.exec(text)![1];
        const running = start(text);
        const ready = await waitFor(() => running.output().includes(`http://127.0.0.1:${port}`), running.exited, SERVE_READY_MS);
        if (ready !== true) {
          killGroup(running.child.pid!, 'SIGKILL');
          problems.push(`${command.line}: ${ready === 'exited' ? 'exited' : 'was not listening'} before serving (ran as: ${text}):\n${tail(running.output())}`);
          continue;
        }
        serving.push({ line: command.line, expected: command.expectedCode, running });
        continue;
      }
      const started = Date.now();
      const result = await run(text);
      timings.push(`${((Date.now() - started) / 1000).toFixed(1)} s  ${text}`);
      if (result.code !== command.expectedCode) {
        problems.push(`${command.line}: exited ${result.code}, expected ${command.expectedCode} (ran as: ${text}):\n${tail(result.output)}`);
      }
    }
    await stopServers();
    expect(problems, `${problems.join('\n\n')}\n\nseconds per command:\n  ${timings.join('\n  ')}`).toEqual([]);
  }, WALK_TIMEOUT_MS);
});

/** true once `check` holds; 'exited' when the process ended first; 'timeout' after `timeoutMs`. */
async function waitFor(check: () => boolean, exited: Promise<unknown>, timeoutMs: number): Promise<true | 'exited' | 'timeout'> {
  let ended = false;
  void exited.then(() => (ended = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    if (ended) return 'exited';
    await new Promise((done) => setTimeout(done, 100));
  }
  return 'timeout';
}
