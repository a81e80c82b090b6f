/**
 * Passwords never appear in any output. Every command runs with the password in each form of
 * configuration (DATABASE_URL, --database-url, DB_PASSWORD, PGPASSWORD; REDIS_URL, --redis-url,
 * REDIS_PASSWORD), and everything written is scanned: stdout, stderr, every --output file and the
 * $GITHUB_STEP_SUMMARY file. The machine's PostgreSQL trusts local connections, so it accepts and
 * ignores the password; Redis is a private redis-server that requires it, so the runs succeed only
 * if the password really reached it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { freeLoopbackPort } from '../../src/net.js';
import { cli } from '../support/cli.js';
import { eventually, fetchRaw } from './serve-helpers.js';
import { TEST_DATABASE_URL, dropSeededTable, uniqueTable } from '../support/services.js';

const SECRET = 'S3cr3t-Pb-pw-7391';
const table = uniqueTable('secrets');
const dir = mkdtempSync(join(tmpdir(), 'perfbench-secrets-'));
const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const pgUrl = new URL(TEST_DATABASE_URL);
let redisPort = 0;
let redis: ReturnType<typeof spawn> | undefined;

/** One way of configuring both servers with the password: global flags before the command, and environment. */
interface Form {
  name: string;
  flags: () => string[];
  env: () => Record<string, string>;
}

const withPassword = (url: string, password = SECRET) => {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
};
const redisUrl = () => `redis://:${SECRET}@127.0.0.1:${redisPort}/0`;
const FORMS: Form[] = [
  { name: 'DATABASE_URL + REDIS_URL', flags: () => [], env: () => ({ DATABASE_URL: withPassword(TEST_DATABASE_URL), REDIS_URL: redisUrl() }) },
  {
    name: '--database-url + REDIS_PASSWORD', flags: () => ['--database-url', withPassword(TEST_DATABASE_URL)],
    env: () => ({ DATABASE_URL: '', REDIS_URL: '', REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redisPort), REDIS_PASSWORD: SECRET }),
  },
  {
    name: 'DB_PASSWORD + --redis-url', flags: () => ['--redis-url', redisUrl()],
    env: () => ({ DATABASE_URL: '', DB_HOST: pgUrl.hostname, DB_PORT: pgUrl.port || '5432', DB_USER: pgUrl.username, DB_NAME: pgUrl.pathname.slice(1), DB_PASSWORD: SECRET, REDIS_URL: '' }),
  },
  {
    name: 'PGPASSWORD + REDIS_URL', flags: () => [],
    env: () => ({ DATABASE_URL: '', PGHOST: pgUrl.hostname, PGPORT: pgUrl.port || '5432', PGUSER: pgUrl.username, PGDATABASE: pgUrl.pathname.slice(1), PGPASSWORD: SECRET, REDIS_URL: redisUrl() }),
  },
];

/** Every command, each with the exit code it must end with. `{dir}` is the form's output directory. */
const COMMANDS: Array<[string[], number]> = [
  [['seed', '--table', table, '--rows', '3000', '--categories', '10'], ExitCode.ok],
  [['index', 'add', '--table', table], ExitCode.ok],
  [['index', 'list', '--table', table], ExitCode.ok],
  [['index', 'drop', '--table', table], ExitCode.ok],
  [['doctor', '--table', table], ExitCode.ok],
  [['doctor', '--table', table, '--format', 'json'], ExitCode.ok],
  [['explain', '--table', table], ExitCode.ok],
  [['explain', '--table', table, '--format', 'json'], ExitCode.ok],
  [['explain', '--table', table, '--format', 'markdown', '--compare', '--runs', '1'], ExitCode.ok],
  [['bench', '--table', table, '--paths', 'index,cache,miss,noop', '--iterations', '20', '--warmup', '0', '--trials', '1', '--format', 'json',
    '--output', '{dir}/r.json', '--output', '{dir}/r.md', '--output', '{dir}/r.csv', '--output', '{dir}/r.txt'], ExitCode.ok],
  [['bench', '--table', table, '--paths', 'cache,noop', '--iterations', '20', '--warmup', '0', '--trials', '1', '--format', 'markdown'], ExitCode.ok],
  [['bench', '--table', table, '--paths', 'cache,noop', '--iterations', '20', '--warmup', '0', '--trials', '1', '--format', 'csv', '--baseline', '{dir}/r.json'], ExitCode.ok],
  [['merge', '{dir}/r.json', '{dir}/r.json', '--output', '{dir}/merged.md', '--output', '{dir}/merged.json'], ExitCode.ok],
  // Failures print the configuration they tried: still no password.
  [['index', 'list', '--table', 'pbt_no_such_table'], ExitCode.usage],
];

beforeAll(async () => {
  await admin.connect();
  redisPort = await freeLoopbackPort();
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', SECRET], { stdio: 'ignore' });
  await eventually('the private redis-server to accept the password', async () => ((await cli(['doctor'], { REDIS_URL: redisUrl() })).code === 0 ? true : undefined), 10_000);
});
afterAll(async () => {
  redis?.kill('SIGKILL');
  await dropSeededTable(admin, table);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

/** Every way the password could leak: as written, percent-encoded, base64 (a Basic header). */
function expectNoSecret(text: string, where: string): void {
  for (const form of [SECRET, encodeURIComponent(SECRET), Buffer.from(SECRET).toString('base64')]) {
    expect(text.includes(form), `${where} contains the password`).toBe(false);
  }
}

describe('passwords never appear in any output', () => {
  it.each(FORMS.map((form) => [form.name, form] as const))('%s: every command, every output file, the step summary', async (_, form) => {
    const out = mkdtempSync(join(dir, 'form-'));
    const summary = join(out, 'step-summary.md');
    writeFileSync(summary, '');
    for (const [template, expected] of COMMANDS) {
      const args = [...form.flags(), ...template.map((arg) => arg.replace('{dir}', out))];
      const result = await cli(args, { ...form.env(), GITHUB_STEP_SUMMARY: summary });
      const where = args.filter((arg) => !arg.includes(SECRET)).join(' ');
      expect(result.code, `${where}: ${result.stderr}`).toBe(expected);
      expectNoSecret(result.stdout, `stdout of ${where}`);
      expectNoSecret(result.stderr, `stderr of ${where}`);
    }
    // The runs reached the password-protected Redis (doctor ok), and wrote what they were asked to.
    const files = readdirSync(out).sort();
    expect(files).toEqual(['merged.json', 'merged.md', 'r.csv', 'r.json', 'r.md', 'r.txt', 'step-summary.md']);
    for (const name of files) expectNoSecret(readFileSync(join(out, name), 'utf8'), name);
    expect(readFileSync(summary, 'utf8')).toContain('|');
  });

  it("serve's startup lines, /healthz, /metrics and its shutdown summary, with the password in every form", async () => {
    for (const form of FORMS) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/perfbench-src.ts', ...form.flags(), 'serve', '--table', table, '--port', '0'], {
        env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, ...form.env(), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (chunk) => (output += String(chunk)));
      child.stderr!.on('data', (chunk) => (output += String(chunk)));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      try {
        const url = await eventually(`serve to listen (${form.name})`, async () => /listening on (http:\/\/[\d.:]+)/.exec(output)?.[1], 20_000);
        for (const path of ['/healthz', '/metrics', '/report/fast?category=cat-1', '/report/fast?category=cat-1']) {
          const reply = await fetchRaw(`${url}${path}`);
          expect(reply.status, `${form.name} ${path}`).toBe(200);
          expectNoSecret(reply.body.toString('utf8') + JSON.stringify(reply.headers), `${form.name} ${path}`);
        }
      } finally {
        child.kill('SIGINT');
      }
      expect(await exited).toBe(ExitCode.ok);
      expect(output).toMatch(/stopped: \d+ requests/);
      // The fast route reached the password-protected Redis: the second request was a hit.
      expect(Number(/(\d+) hits?\b/.exec(output)?.[1])).toBeGreaterThan(0);
      expectNoSecret(output, `serve output (${form.name})`);
    }
  });
});
