/**
 * The bad-input matrix: every row is one command line (argv, environment) with the exit code and
 * the one-line message it must end with. A new case is one line in CASES.
 *
 * For every row: the exit code is the documented one (0 ok, 1 runtime, 2 usage/config), stderr
 * holds exactly one error line (`perfbench: …`) after the progress lines the row declares (`talk`),
 * no line is a stack frame, and no line is longer than MAX_LINE (bad input is echoed shortened).
 * commander's own usage errors have a fixed two-line shape: `error: …` and its help hint.
 *
 * Runs the CLI in-process (main), against the real PostgreSQL and Redis, a private redis-server
 * with a password, and the embedded PostgreSQL (SCRAM) for a wrong password.
 */
import { mkdtempSync, chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed } from '../../src/usecases/dataset.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { RESULT_KIND, RESULT_SCHEMA_VERSION } from '../../src/measure/result.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { ExitCode } from '../../src/errors.js';
import { freeLoopbackPort } from '../../src/net.js';
import { cli } from '../support/cli.js';
import { eventually } from './serve-helpers.js';
import { TEST_DATABASE_URL, dropSeededTable, uniqueTable, withRuntime } from '../support/services.js';

const MAX_LINE = 400;
const COMMANDER_HINT = '(run with --help for usage)';
const table = uniqueTable('bad');
/** A table perfbench did not seed: a category column, none of the report's other columns. */
const plain = uniqueTable('bad_plain');
const dir = mkdtempSync(join(tmpdir(), 'perfbench-bad-input-'));
const file = (name: string) => join(dir, name);
const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
const long = 'a'.repeat(10_000);
const REDIS_PASSWORD = 'rEdis-Bad-Input-pw';

/** The test server's URL with another user or database: those rows need a server that answers, whichever the tests use. */
function testUrlWith(part: { user?: string; database?: string }): string {
  const url = new URL(TEST_DATABASE_URL);
  if (part.user) url.username = part.user;
  if (part.database) url.pathname = `/${part.database}`;
  return url.toString();
}

/** Filled in beforeAll: ports and servers the rows point at. */
const ports = { refused: 0, redisAuth: 0, embedded: 0, busy: 0 };
let embedded: EmbeddedPostgres | undefined;
let embeddedDir = '';
let redisAuth: ChildProcess | undefined;
let busy: Server | undefined;

interface Case {
  name: string;
  argv: () => string[];
  env?: () => Record<string, string>;
  code: number;
  /** The last line of stderr. */
  stderr: RegExp;
  /** Progress lines expected before it (e.g. "explaining …"), in order. */
  talk?: RegExp[];
  /** Text that must not appear anywhere in the output (a password). */
  secret?: string;
}

const commander = (message: RegExp): Pick<Case, 'stderr' | 'talk'> => ({ talk: [message], stderr: /^\(run with --help for usage\)$/ });
const T = () => table;
const usage = ExitCode.usage;
const failure = ExitCode.failure;

const CASES: Case[] = [
  // commander: unknown command, unknown option, missing value, missing argument
  { name: 'unknown command', argv: () => ['frobnicate'], code: usage, ...commander(/^error: unknown command 'frobnicate'$/) },
  { name: 'unknown option', argv: () => ['seed', '--bogus'], code: usage, ...commander(/^error: unknown option '--bogus'$/) },
  { name: 'option without its value', argv: () => ['seed', '--rows'], code: usage, ...commander(/^error: option '--rows <n>' argument missing$/) },
  { name: 'merge without files', argv: () => ['merge'], code: usage, ...commander(/^error: missing required argument 'files'$/) },

  // configuration: malformed and wrong URLs, numbers out of range (exit 2, before connecting)
  { name: 'DATABASE_URL not a URL', argv: () => ['doctor'], env: () => ({ DATABASE_URL: 'not a url' }), code: usage, stderr: /^perfbench: invalid configuration: env DATABASE_URL is not a URL \(expected postgres:/ },
  { name: 'DATABASE_URL wrong scheme', argv: () => ['index', 'list'], env: () => ({ DATABASE_URL: 'mysql://root@127.0.0.1/test' }), code: usage, stderr: /env DATABASE_URL must start with postgres:\/\/ or postgresql:\/\/, not mysql:\/\// },
  { name: '--database-url wrong scheme', argv: () => ['--database-url', 'http://127.0.0.1/test', 'index', 'list'], code: usage, stderr: /flag --database-url must start with postgres:\/\// },
  { name: '--database-url empty', argv: () => ['--database-url', '', 'index', 'list', '--table', T()], code: usage, stderr: /^perfbench: invalid configuration: flag --database-url is empty/ },
  { name: 'DATABASE_URL port out of range', argv: () => ['index', 'list'], env: () => ({ DATABASE_URL: 'postgres://root@127.0.0.1:99999/test' }), code: usage, stderr: /env DATABASE_URL is not a URL/ },
  { name: 'DATABASE_URL unknown sslmode', argv: () => ['index', 'list'], env: () => ({ DATABASE_URL: `${TEST_DATABASE_URL}?sslmode=bogus` }), code: usage, stderr: /env DATABASE_URL 'bogus' is not an SSL mode/ },
  { name: 'DATABASE_URL malformed %-escape in the password', argv: () => ['index', 'list'], env: () => ({ DATABASE_URL: 'postgres://root:pw%ZZsecret@127.0.0.1:5432/test' }), code: usage, stderr: /env DATABASE_URL has a malformed %-escape in its password/, secret: 'pw%ZZsecret' },
  { name: 'DB_PORT negative', argv: () => ['doctor'], env: () => ({ DATABASE_URL: '', DB_HOST: '127.0.0.1', DB_PORT: '-1' }), code: usage, stderr: /env DB_PORT '-1' is not a port \(1-65535\)/ },
  { name: 'REDIS_URL wrong scheme', argv: () => ['doctor'], env: () => ({ REDIS_URL: 'http://127.0.0.1:6379' }), code: usage, stderr: /env REDIS_URL must start with redis:\/\/, rediss:\/\/ or memory:\/\/, not http:\/\// },
  { name: 'REDIS_URL database 99', argv: () => ['doctor'], env: () => ({ REDIS_URL: 'redis://127.0.0.1:6379/99' }), code: usage, stderr: /env REDIS_URL '99' is not a Redis database number \(0-15\)/ },
  { name: '--redis-url port out of range', argv: () => ['--redis-url', 'redis://127.0.0.1:70000', 'doctor'], code: usage, stderr: /flag --redis-url is not a URL/ },
  { name: 'REDIS_PORT zero', argv: () => ['doctor'], env: () => ({ REDIS_URL: '', REDIS_HOST: '127.0.0.1', REDIS_PORT: '0' }), code: usage, stderr: /env REDIS_PORT '0' is not a port/ },
  { name: '--connect-timeout zero', argv: () => ['--connect-timeout', '0', 'doctor'], code: usage, stderr: /flag --connect-timeout '0' is not a timeout in milliseconds \(100-600000\)/ },
  { name: '--connect-timeout huge', argv: () => ['--connect-timeout', '99999999999', 'doctor'], code: usage, stderr: /flag --connect-timeout '99999999999' is not a timeout/ },
  { name: 'PERFBENCH_CONNECT_TIMEOUT_MS not a number', argv: () => ['doctor'], env: () => ({ PERFBENCH_CONNECT_TIMEOUT_MS: 'abc' }), code: usage, stderr: /env PERFBENCH_CONNECT_TIMEOUT_MS 'abc' is not a timeout/ },
  { name: '--dotenv missing', argv: () => ['--dotenv', file('missing.env'), 'doctor'], code: usage, stderr: /--dotenv .*missing\.env cannot be read \(ENOENT\)/ },
  { name: 'DATABASE_URL without //host', argv: () => ['index', 'list', '--table', T()], env: () => ({ DATABASE_URL: 'postgresql:/broken' }), code: usage, stderr: /env DATABASE_URL has no \/\/host after postgresql: \(expected postgres:\/\/user:password@host:5432\/database\)/ },
  { name: '--redis-url without //host', argv: () => ['--redis-url', 'redis:/broken', 'doctor'], code: usage, stderr: /flag --redis-url has no \/\/host after redis:/ },
  { name: '--redis-cluster with --redis-url', argv: () => ['--redis-url', 'redis://127.0.0.1:6379', '--redis-cluster', '127.0.0.1:7000', 'doctor'], code: usage, stderr: /^perfbench: invalid configuration: flag --redis-url and flag --redis-cluster name two different Redis setups: give one of them/ },
  { name: '--redis-cluster not host:port', argv: () => ['--redis-cluster', 'cache-1', 'doctor'], code: usage, stderr: /flag --redis-cluster 'cache-1' is not host:port \(expected host:port\[,host:port…\]/ },
  { name: 'REDIS_CLUSTER_NODES with credentials', argv: () => ['doctor'], env: () => ({ REDIS_URL: '', REDIS_CLUSTER_NODES: 'redis://:Cl0ster-pw@127.0.0.1:7000' }), code: usage, stderr: /env REDIS_CLUSTER_NODES has an entry with credentials \(user:password@\)/, secret: 'Cl0ster-pw' },
  // PERFBENCH_CACHE_DIR (the embedded PostgreSQL's): read-only and not-permitted cases are in cache-dir.test.ts
  { name: 'PERFBENCH_CACHE_DIR a file', argv: () => ['index', 'list', '--table', T()], env: () => ({ DATABASE_URL: '', PERFBENCH_CACHE_DIR: file('corrupt.json') }), code: usage, stderr: /^perfbench: the cache directory .*corrupt\.json \(PERFBENCH_CACHE_DIR\) is a file, not a directory — set PERFBENCH_CACHE_DIR to a writable directory/ },
  { name: 'PERFBENCH_CACHE_DIR under a file', argv: () => ['index', 'list', '--table', T()], env: () => ({ DATABASE_URL: '', PERFBENCH_CACHE_DIR: file('corrupt.json/cache') }), code: usage, stderr: /the cache directory .*corrupt\.json\/cache \(PERFBENCH_CACHE_DIR\) cannot be created: .*corrupt\.json is a file/ },

  // connection failures (exit 1): unknown host, database, role, port; wrong passwords; TLS
  { name: 'unknown host', argv: () => ['index', 'list', '--table', T()], env: () => ({ DATABASE_URL: 'postgres://root@db.invalid:5432/test' }), code: failure, stderr: /^perfbench: cannot connect to PostgreSQL at db\.invalid:5432: unknown host 'db\.invalid' — check DATABASE_URL/ },
  { name: 'unknown database', argv: () => ['index', 'list', '--table', T()], env: () => ({ DATABASE_URL: testUrlWith({ database: 'pbt_no_such_db' }) }), code: failure, stderr: /database 'pbt_no_such_db' does not exist — create it/ },
  { name: 'unknown role', argv: () => ['seed', '--table', T(), '--rows', '10'], env: () => ({ DATABASE_URL: testUrlWith({ user: 'pbt_no_such_role' }) }), code: failure, stderr: /the server refused user 'pbt_no_such_role' \(role "pbt_no_such_role" does not exist\)/ },
  { name: 'nothing listens on the port', argv: () => ['explain', '--table', T()], env: () => ({ DATABASE_URL: `postgres://root@127.0.0.1:${ports.refused}/test` }), code: failure, stderr: /cannot connect to PostgreSQL at 127\.0\.0\.1:\d+: connection refused — is the server running\?/ },
  { name: 'TLS required by a server without it', argv: () => ['index', 'list', '--table', T()], env: () => ({ DATABASE_URL: `${TEST_DATABASE_URL}?sslmode=require` }), code: failure, stderr: /TLS failed \(The server does not support SSL connections\)/ },
  {
    name: 'wrong PostgreSQL password (embedded server, SCRAM)', argv: () => ['index', 'list', '--table', T()],
    env: () => ({ DATABASE_URL: `postgres://postgres:Wr0ng-PG-pw@127.0.0.1:${ports.embedded}/perfbench` }), code: failure,
    stderr: /password authentication failed for user 'postgres' — check DB_PASSWORD \/ PGPASSWORD or the password in DATABASE_URL$/, secret: 'Wr0ng-PG-pw',
  },
  { name: 'Redis unknown host', argv: () => ['bench', '--table', T(), '--paths', 'cache', '--iterations', '5', '--trials', '1'], env: () => ({ REDIS_URL: 'redis://cache.invalid:6379' }), code: failure, stderr: /cannot connect to Redis at cache\.invalid:6379: unknown host 'cache\.invalid'/ },
  { name: 'Redis refused', argv: () => ['doctor', '--table', T()], env: () => ({ REDIS_URL: `redis://127.0.0.1:${ports.refused}` }), code: failure, stderr: /^$/ },
  {
    name: 'Redis wrong password', argv: () => ['bench', '--table', T(), '--paths', 'cache', '--iterations', '5', '--trials', '1'],
    env: () => ({ REDIS_URL: `redis://:Wr0ng-redis-pw@127.0.0.1:${ports.redisAuth}` }), code: failure,
    stderr: /cannot connect to Redis at 127\.0\.0\.1:\d+: authentication failed — check REDIS_PASSWORD/, secret: 'Wr0ng-redis-pw',
  },
  { name: 'Redis password missing', argv: () => ['serve', '--table', T(), '--port', '0'], env: () => ({ REDIS_URL: `redis://127.0.0.1:${ports.redisAuth}` }), code: failure, stderr: /cannot connect to Redis at 127\.0\.0\.1:\d+: authentication failed/ },
  { name: 'Redis Cluster refused', argv: () => ['bench', '--table', T(), '--paths', 'cache', '--iterations', '5', '--trials', '1'], env: () => ({ REDIS_URL: '', REDIS_CLUSTER_NODES: `127.0.0.1:${ports.refused}` }), code: failure, stderr: /cannot connect to Redis Cluster at 127\.0\.0\.1:\d+: connection refused — check --redis-cluster \/ REDIS_CLUSTER_NODES/ },
  {
    name: 'Redis Cluster wrong password', argv: () => ['bench', '--table', T(), '--paths', 'cache', '--iterations', '5', '--trials', '1'],
    env: () => ({ REDIS_URL: '', REDIS_CLUSTER_NODES: `127.0.0.1:${ports.redisAuth}`, REDIS_PASSWORD: 'Wr0ng-cluster-pw' }), code: failure,
    stderr: /cannot connect to Redis Cluster at 127\.0\.0\.1:\d+: authentication failed — check --redis-cluster \/ REDIS_CLUSTER_NODES .* and REDIS_PASSWORD/, secret: 'Wr0ng-cluster-pw',
  },

  // seed: numbers, choices, names, tables it must not replace
  { name: 'seed --rows 0', argv: () => ['seed', '--table', T(), '--rows', '0'], code: usage, stderr: /^perfbench: --rows '0' is not a whole number from 1 to 500,000,000$/ },
  { name: 'seed --rows negative', argv: () => ['seed', '--table', T(), '--rows', '-5'], code: usage, stderr: /--rows '-5' is not a whole number/ },
  { name: 'seed --rows huge', argv: () => ['seed', '--table', T(), '--rows', '99999999999'], code: usage, stderr: /--rows '99999999999' is not a whole number/ },
  { name: 'seed --rows exponent', argv: () => ['seed', '--table', T(), '--rows', '1e3'], code: usage, stderr: /--rows '1e3' is not a whole number/ },
  { name: 'seed --categories 0', argv: () => ['seed', '--table', T(), '--categories', '0'], code: usage, stderr: /--categories '0' is not a whole number from 1 to 1,000,000/ },
  { name: 'seed --categories huge', argv: () => ['seed', '--table', T(), '--categories', '2000000'], code: usage, stderr: /--categories '2000000'/ },
  { name: 'seed unknown distribution', argv: () => ['seed', '--distribution', 'pareto'], code: usage, stderr: /--distribution 'pareto' is not one of uniform, zipf/ },
  { name: 'seed --skew without zipf', argv: () => ['seed', '--skew', '2'], code: usage, stderr: /--skew applies only with --distribution zipf/ },
  { name: 'seed --seed negative', argv: () => ['seed', '--seed', '-1'], code: usage, stderr: /--seed '-1' is not a whole number from 0 to 4,294,967,295/ },
  { name: 'seed --table injection', argv: () => ['seed', '--table', "'; DROP TABLE products; --"], code: usage, stderr: /--table ''; DROP TABLE products; --' is not a valid table name/ },
  { name: 'seed over a table perfbench did not seed', argv: () => ['seed', '--table', plain, '--rows', '10', '--reset'], code: usage, stderr: /table \w+ exists and perfbench did not seed it; refusing to replace it — choose another --table/ },
  { name: 'seed another dataset without --reset', argv: () => ['seed', '--table', T(), '--rows', '10'], code: usage, stderr: /already holds another dataset \(2,000 rows, fingerprint \w+\) — pass --reset to replace it/ },

  // index
  { name: 'index add unknown method', argv: () => ['index', 'add', '--table', T(), '--method', 'gist'], code: usage, stderr: /--method 'gist' is not one of btree, hash, brin/ },
  { name: 'index add on a missing column', argv: () => ['index', 'add', '--table', T(), '--column', 'colour'], code: usage, stderr: /table \w+ has no column colour — pass --column/ },
  { name: 'index add --column injection', argv: () => ['index', 'add', '--table', T(), '--column', 'category"; DROP TABLE x; --'], code: usage, stderr: /--column 'category"; DROP TABLE x; --' is not a valid column name/ },
  { name: 'index list on a missing table', argv: () => ['index', 'list', '--table', 'pbt_no_such_table'], code: usage, stderr: /table pbt_no_such_table does not exist — run `perfbench seed` first/ },
  { name: 'index drop a primary key', argv: () => ['index', 'drop', '--table', T(), '--name', `${table}_pkey`, '--force'], code: usage, stderr: /backs the primary key of \w+; perfbench never drops it/ },
  { name: "index drop someone else's index without --force", argv: () => ['index', 'drop', '--table', T(), '--name', `${table}_manual`], code: usage, stderr: /index \w+_manual was not created by perfbench; not dropping it — pass --force/ },

  // doctor
  { name: 'doctor unknown format', argv: () => ['doctor', '--format', 'yaml'], code: usage, stderr: /--format 'yaml' is not one of text, json/ },
  { name: 'doctor with the database down', argv: () => ['doctor', '--table', T()], env: () => ({ DATABASE_URL: `postgres://root@127.0.0.1:${ports.refused}/test` }), code: failure, stderr: /^$/ },

  // explain
  { name: 'explain unknown format', argv: () => ['explain', '--format', 'html'], code: usage, stderr: /--format 'html' is not one of text, json, markdown/ },
  { name: 'explain --timeout 0', argv: () => ['explain', '--timeout', '0'], code: usage, stderr: /--timeout '0' is not a whole number from 1 to 86,400,000/ },
  { name: 'explain --timeout negative', argv: () => ['explain', '--timeout', '-5'], code: usage, stderr: /--timeout '-5'/ },
  { name: 'explain --timeout huge', argv: () => ['explain', '--timeout', '999999999999'], code: usage, stderr: /--timeout '999999999999'/ },
  { name: 'explain --runs 0', argv: () => ['explain', '--compare', '--runs', '0'], code: usage, stderr: /--runs '0' is not a whole number from 1 to 100/ },
  { name: 'explain --runs huge', argv: () => ['explain', '--compare', '--runs', '1000'], code: usage, stderr: /--runs '1000'/ },
  { name: 'explain --runs without --compare', argv: () => ['explain', '--runs', '2'], code: usage, stderr: /--runs applies to --compare/ },
  { name: 'explain --file missing', argv: () => ['explain', '--file', file('nope.json')], code: usage, stderr: /cannot read --file .*nope\.json: no such file/ },
  { name: 'explain --file unreadable (a directory)', argv: () => ['explain', '--file', dir], code: usage, stderr: /cannot read --file .*: it is a directory/ },
  { name: 'explain --file corrupt', argv: () => ['explain', '--file', file('corrupt.json')], code: usage, stderr: /--file .*corrupt\.json: .*JSON/i },
  { name: 'explain --file not a plan', argv: () => ['explain', '--file', file('not-a-plan.json')], code: usage, stderr: /--file .*not-a-plan\.json: / },
  { name: 'explain --query DDL', argv: () => ['explain', '--query', `DROP TABLE ${table}`], code: usage, stderr: /--query is a DROP statement; perfbench explain refuses DDL/ },
  { name: 'explain --query two statements', argv: () => ['explain', '--query', `SELECT 1; DROP TABLE ${table}`], code: usage, stderr: /--query holds more than one statement/ },
  { name: 'explain --query long unknown word', argv: () => ['explain', '--query', long], code: usage, stderr: /--query starts with A{40}…; perfbench explain runs only SELECT/ },
  { name: 'explain --query $1 without --param', argv: () => ['explain', '--query', `SELECT * FROM ${table} WHERE category = $1`], code: usage, stderr: /--query uses \$1 but 0 --param values were given/ },
  { name: 'explain --param without --query', argv: () => ['explain', '--param', 'x'], code: usage, stderr: /--param applies to --query/ },
  { name: 'explain --query NUL', argv: () => ['explain', '--query', 'SELECT 1\u0000'], code: usage, stderr: /--query 'SELECT 1\?' contains a NUL byte/ },
  { name: 'explain --param NUL', argv: () => ['explain', '--query', `SELECT * FROM ${table} WHERE category = $1`, '--param', 'a\u0000b'], code: usage, stderr: /--param 'a\?b' contains a NUL byte/ },
  { name: 'explain --category NUL', argv: () => ['explain', '--table', T(), '--category', 'a\u0000b'], code: usage, stderr: /--category 'a\?b' contains a NUL byte/ },
  {
    name: 'explain --query unknown column', argv: () => ['explain', '--query', `SELECT colour FROM ${table}`], code: usage,
    talk: [/^explaining --query/], stderr: /--query failed: PostgreSQL error 42703: column "colour" does not exist \(at character 8 of --query\)/,
  },
  {
    name: 'explain --param of the wrong type', argv: () => ['explain', '--query', `SELECT * FROM ${table} WHERE id = $1`, '--param', "'; DROP TABLE products; --"], code: usage,
    talk: [/^explaining --query/], stderr: /--query failed: PostgreSQL error 22P02: invalid input syntax for type bigint/,
  },
  {
    name: 'explain --timeout exceeded', argv: () => ['explain', '--query', 'SELECT pg_sleep(5)', '--timeout', '50'], code: failure,
    talk: [/^explaining --query/], stderr: /ran longer than --timeout 50 ms and was cancelled \(statement_timeout\); the transaction was rolled back/,
  },
  { name: 'explain a table without the column', argv: () => ['explain', '--table', plain, '--column', 'price'], code: usage, stderr: /table \w+ has no column price — pass --column/ },
  { name: 'explain a table without the report columns', argv: () => ['explain', '--table', plain], code: usage, talk: [/^explaining the report query/], stderr: /the table cannot serve the report query: PostgreSQL error 42703: column "name" does not exist — it needs id, name, category, price and created_at/ },
  { name: 'explain an unknown category (a valid query: 0 rows)', argv: () => ['explain', '--table', T(), '--category', 'no-such-category'], code: ExitCode.ok, stderr: /^explaining the report query on \w+\(category\) for 'no-such-category'/ },
  { name: 'explain a 10,000-character category', argv: () => ['explain', '--table', T(), '--category', long], code: ExitCode.ok, stderr: /for 'a{60}…'/ },

  // bench
  { name: 'bench --concurrency 0', argv: () => ['bench', '--concurrency', '0'], code: usage, stderr: /--concurrency '0' is not a whole number from 1 to 1,024/ },
  { name: 'bench --concurrency negative', argv: () => ['bench', '--concurrency', '1,-1'], code: usage, stderr: /--concurrency '-1'/ },
  { name: 'bench --concurrency huge', argv: () => ['bench', '--concurrency', '100000'], code: usage, stderr: /--concurrency '100000'/ },
  { name: 'bench --duration 0', argv: () => ['bench', '--duration', '0'], code: usage, stderr: /--duration '0' is not a duration — write it like 500ms, 5s or 2m/ },
  { name: 'bench --duration negative', argv: () => ['bench', '--duration', '-1s'], code: usage, stderr: /--duration '-1s' is not a duration/ },
  { name: 'bench --duration huge', argv: () => ['bench', '--duration', '99999h'], code: usage, stderr: /--duration '99999h' is not a duration/ },
  { name: 'bench --iterations 0', argv: () => ['bench', '--iterations', '0'], code: usage, stderr: /--iterations '0' is not a whole number from 1 to 1,000,000,000/ },
  { name: 'bench --iterations huge', argv: () => ['bench', '--iterations', '99999999999'], code: usage, stderr: /--iterations '99999999999'/ },
  { name: 'bench --duration with --iterations', argv: () => ['bench', '--duration', '1s', '--iterations', '5'], code: usage, stderr: /give either --duration or --iterations, not both/ },
  { name: 'bench --rate 0', argv: () => ['bench', '--rate', '0'], code: usage, stderr: /--rate '0' is not a number from 0\.001 to 10000000/ },
  { name: 'bench --rate negative', argv: () => ['bench', '--rate', '-3'], code: usage, stderr: /--rate '-3'/ },
  { name: 'bench --rate huge', argv: () => ['bench', '--rate', '1e12'], code: usage, stderr: /--rate '1e12'/ },
  { name: 'bench --trials 0', argv: () => ['bench', '--trials', '0'], code: usage, stderr: /--trials '0' is not a whole number from 1 to 1,000/ },
  { name: 'bench --ttl 0', argv: () => ['bench', '--ttl', '0'], code: usage, stderr: /--ttl '0' is not a whole number from 1 to 2,592,000/ },
  { name: 'bench --ttl huge', argv: () => ['bench', '--ttl', '99999999999'], code: usage, stderr: /--ttl '99999999999'/ },
  { name: 'bench unknown format', argv: () => ['bench', '--format', 'xml'], code: usage, stderr: /--format 'xml' is not one of table, json, markdown, csv/ },
  { name: 'bench unknown path', argv: () => ['bench', '--paths', 'seq,warp'], code: usage, stderr: /--paths: unknown path 'warp' — choose from / },
  { name: 'bench --output unknown extension', argv: () => ['bench', '--output', file('r.xyz')], code: usage, stderr: /--output .*r\.xyz: cannot tell the format from the extension/ },
  // --output paths are checked before the run: a missing table would have been the error after it started
  { name: 'bench --output into a missing directory', argv: () => ['bench', '--table', 'pbt_no_such_table', '--output', file('no-dir/r.json')], code: usage, stderr: /^perfbench: --output .*no-dir\/r\.json: the directory .*no-dir does not exist — create it, or choose another --output path$/ },
  { name: 'bench --output under a file', argv: () => ['bench', '--table', 'pbt_no_such_table', '--output', file('corrupt.json/r.json')], code: usage, stderr: /--output .*: the directory .*corrupt\.json is not a directory/ },
  { name: 'bench --output a directory', argv: () => ['bench', '--table', 'pbt_no_such_table', '--output', file('a-directory.json')], code: usage, stderr: /^perfbench: --output .*a-directory\.json is a directory — name a file/ },
  { name: 'bench --fail-if-slower without --baseline', argv: () => ['bench', '--fail-if-slower', '10%'], code: usage, stderr: /--fail-if-slower needs --baseline/ },
  { name: 'bench --fail-if-slower 0%', argv: () => ['bench', '--baseline', file('x.json'), '--fail-if-slower', '0%'], code: usage, stderr: /--fail-if-slower '0%' is not a percentage between 0 and 100/ },
  { name: 'bench --baseline missing', argv: () => ['bench', '--table', T(), '--baseline', file('missing.json')], code: usage, stderr: /--baseline .*missing\.json: no such file/ },
  { name: 'bench --baseline unreadable (a directory)', argv: () => ['bench', '--table', T(), '--baseline', dir], code: usage, stderr: /--baseline .*: is a directory/ },
  { name: 'bench --baseline empty', argv: () => ['bench', '--table', T(), '--baseline', file('empty.json')], code: usage, stderr: /--baseline .*empty\.json: not valid JSON/ },
  { name: 'bench --baseline corrupt', argv: () => ['bench', '--table', T(), '--baseline', file('corrupt.json')], code: usage, stderr: /--baseline .*corrupt\.json: not valid JSON/ },
  { name: 'bench --baseline not a result', argv: () => ['bench', '--table', T(), '--baseline', file('not-a-plan.json')], code: usage, stderr: /--baseline .*: not a perfbench (bench )?result/ },
  { name: 'bench --baseline newer schemaVersion', argv: () => ['bench', '--table', T(), '--baseline', file('future.json')], code: usage, stderr: /schemaVersion 99 is newer than this perfbench reads \(\d+\) — upgrade perfbench/ },
  { name: 'bench --baseline older schemaVersion', argv: () => ['bench', '--table', T(), '--baseline', file('past.json')], code: usage, stderr: /schemaVersion 0 is older than this perfbench reads/ },
  { name: 'bench --baseline corrupt result', argv: () => ['bench', '--table', T(), '--baseline', file('no-paths.json')], code: usage, stderr: /corrupt result: / },
  { name: 'bench on a missing table', argv: () => ['bench', '--table', 'pbt_no_such_table'], code: usage, stderr: /table pbt_no_such_table does not exist — create it with `perfbench seed --table pbt_no_such_table`/ },
  { name: 'bench on a missing column', argv: () => ['bench', '--table', T(), '--column', 'colour'], code: usage, stderr: /table \w+ has no column colour/ },
  { name: 'bench on a table without the report columns', argv: () => ['bench', '--table', plain, '--paths', 'seq', '--iterations', '5'], code: usage, stderr: /table \w+ cannot serve the report: .* — it needs id, name, category, price and created_at columns/ },

  // bench --http: the URL of a running serve
  { name: 'bench --http wrong scheme', argv: () => ['bench', '--table', T(), '--http', 'ftp://127.0.0.1:8080'], code: usage, stderr: /--http 'ftp:\/\/127\.0\.0\.1:8080' is not an http:\/\/ or https:\/\/ URL/ },
  { name: 'bench --http not a URL', argv: () => ['bench', '--table', T(), '--http', 'not a url'], code: usage, stderr: /--http 'not a url' is not an http:\/\/ or https:\/\/ URL/ },
  { name: 'bench --http port out of range', argv: () => ['bench', '--table', T(), '--http', 'http://127.0.0.1:99999'], code: usage, stderr: /--http 'http:\/\/127\.0\.0\.1:99999' is not an http/ },
  { name: 'bench --http with a query string', argv: () => ['bench', '--table', T(), '--http', 'http://127.0.0.1:8080/?category=x'], code: usage, stderr: /is not an http:\/\/ or https:\/\/ URL/ },
  { name: 'bench --replica-url wrong scheme', argv: () => ['bench', '--table', T(), '--replica-url', 'redis://127.0.0.1:6379'], code: usage, stderr: /flag --replica-url must start with postgres:\/\/ or postgresql:\/\/, not redis:\/\// },
  { name: 'bench --replica-url not a URL', argv: () => ['bench', '--table', T(), '--replica-url', 'replica-1'], code: usage, stderr: /flag --replica-url is not a URL/ },
  { name: 'bench --replica-timeout not a duration', argv: () => ['bench', '--table', T(), '--replica-timeout', 'soon'], code: usage, stderr: /--replica-timeout 'soon' is not a duration/ },
  { name: 'bench --replica-url the primary itself', argv: () => ['bench', '--table', T(), '--paths', 'seq', '--replica-url', TEST_DATABASE_URL, '--iterations', '5', '--trials', '1'], code: usage, stderr: /flag --replica-url \S+:\d+ is not a replica: pg_is_in_recovery\(\) is false there/ },
  { name: 'bench --replica-url nothing listening', argv: () => ['bench', '--table', T(), '--paths', 'seq', '--replica-url', `postgres://127.0.0.1:${ports.refused}`, '--iterations', '5', '--trials', '1'], code: failure, stderr: /flag --replica-url: cannot connect to the replica at 127\.0\.0\.1:\d+: connection refused — is the replica running and reachable\?/ },
  { name: 'bench --http nothing listening', argv: () => ['bench', '--table', T(), '--http', `http://127.0.0.1:${ports.refused}`, '--paths', 'http-fast', '--iterations', '5', '--trials', '1'], code: failure, stderr: /--http: cannot reach http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/ },
  { name: 'bench --http unknown host', argv: () => ['bench', '--table', T(), '--http', 'http://serve.invalid:8080', '--paths', 'http-fast', '--iterations', '5', '--trials', '1'], code: failure, stderr: /--http: cannot reach http:\/\/serve\.invalid:8080: getaddrinfo (ENOTFOUND|EAI_AGAIN) serve\.invalid/ }, // EAI_AGAIN: no DNS server at all (a network namespace, an offline machine)
  { name: 'bench --http with credentials', argv: () => ['bench', '--table', T(), '--http', `http://user:Http-pw-secret@127.0.0.1:${ports.refused}`, '--paths', 'http-fast', '--iterations', '5', '--trials', '1'], code: usage, stderr: /--http 'http:\/\/\*\*\*@127\.0\.0\.1:\d+' carries credentials/, secret: 'Http-pw-secret' },

  // merge
  { name: 'merge a missing file', argv: () => ['merge', file('missing.json')], code: usage, stderr: /result .*missing\.json: no such file/ },
  { name: 'merge a corrupt file', argv: () => ['merge', file('corrupt.json')], code: usage, stderr: /result .*corrupt\.json: not valid JSON/ },
  { name: 'merge a wrong schemaVersion', argv: () => ['merge', file('future.json')], code: usage, stderr: /schemaVersion 99 is newer/ },
  { name: 'merge unknown format', argv: () => ['merge', '--format', 'yaml', file('future.json')], code: usage, stderr: /--format 'yaml' is not one of table, json, markdown, csv/ },
  { name: 'merge --output unknown extension', argv: () => ['merge', '--output', file('m.xyz'), file('future.json')], code: usage, stderr: /--output .*m\.xyz: cannot tell the format/ },
  { name: 'merge --output into a missing directory', argv: () => ['merge', '--output', file('no-dir/m.json'), file('future.json')], code: usage, stderr: /--output .*no-dir\/m\.json: the directory .*no-dir does not exist/ },

  // serve
  { name: 'serve --port negative', argv: () => ['serve', '--port', '-1'], code: usage, stderr: /--port '-1' is not a whole number from 0 to 65,535/ },
  { name: 'serve --port huge', argv: () => ['serve', '--port', '70000'], code: usage, stderr: /--port '70000'/ },
  { name: 'serve --pool 0', argv: () => ['serve', '--pool', '0'], code: usage, stderr: /--pool '0' is not a whole number from 1 to 1,000/ },
  { name: 'serve --pool huge', argv: () => ['serve', '--pool', '99999'], code: usage, stderr: /--pool '99999'/ },
  { name: 'serve --ttl 0', argv: () => ['serve', '--ttl', '0'], code: usage, stderr: /--ttl '0' is not a whole number/ },
  { name: 'serve --host empty', argv: () => ['serve', '--host', ' '], code: usage, stderr: /--host is empty/ },
  { name: 'serve a missing table', argv: () => ['serve', '--table', 'pbt_no_such_table', '--port', '0'], code: usage, stderr: /table pbt_no_such_table does not exist/ },
  { name: 'serve a table without the report columns', argv: () => ['serve', '--table', plain, '--port', '0'], code: usage, stderr: /table \w+ cannot serve the report/ },
  { name: 'serve on a port in use', argv: () => ['serve', '--table', T(), '--port', String(ports.busy)], code: failure, stderr: /cannot listen on 127\.0\.0\.1:\d+: the port is in use — choose another --port/ },
];

beforeAll(async () => {
  await admin.connect();
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '2000', categories: '10', distribution: 'uniform', seed: '4' })));
  await admin.query(`CREATE INDEX ${table}_manual ON ${table} (price)`);
  await admin.query(`CREATE TABLE ${plain} (id int PRIMARY KEY, category text)`);
  await admin.query(`INSERT INTO ${plain} VALUES (1, 'cat-000')`);

  writeFileSync(file('corrupt.json'), '{"kind": "perfbench.bench", "schemaVersion": 1, ');
  mkdirSync(file('a-directory.json'));
  writeFileSync(file('empty.json'), '');
  writeFileSync(file('not-a-plan.json'), JSON.stringify([{ hello: 'world' }]));
  const result = (schemaVersion: number) => ({ kind: RESULT_KIND, schemaVersion, createdAt: new Date(0).toISOString(), environment: {}, options: { mode: 'closed' }, paths: [] });
  writeFileSync(file('future.json'), JSON.stringify(result(99)));
  writeFileSync(file('past.json'), JSON.stringify(result(0)));
  writeFileSync(file('no-paths.json'), JSON.stringify({ ...result(RESULT_SCHEMA_VERSION), paths: 'none' }));

  ports.refused = await freeLoopbackPort();
  busy = createServer();
  await new Promise<void>((resolve) => busy!.listen(0, '127.0.0.1', resolve));
  ports.busy = (busy.address() as { port: number }).port;

  ports.redisAuth = await freeLoopbackPort();
  redisAuth = spawn('redis-server', ['--port', String(ports.redisAuth), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', REDIS_PASSWORD], { stdio: 'ignore' });
  await eventually('the private redis-server to listen', async () => (await cli(['doctor'], { REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${ports.redisAuth}` })).code === 0 ? true : undefined, 10_000);

  // The embedded server uses SCRAM (the machine's PostgreSQL trusts every local connection).
  embeddedDir = mkdtempSync('/var/tmp/perfbench-bad-input-');
  chmodSync(embeddedDir, 0o755);
  embedded = await startEmbeddedPostgres(embeddedDir, 5000, () => undefined);
  ports.embedded = embedded.target.port;
});

afterAll(async () => {
  await dropSeededTable(admin, table);
  await admin.query(`DROP TABLE IF EXISTS ${plain}`);
  await admin.end();
  await embedded?.release();
  if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
  redisAuth?.kill('SIGKILL');
  await new Promise((resolve) => (busy ? busy.close(resolve) : resolve(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

describe('bad input: one line, the documented exit code, never a stack', () => {
  it('has at least 40 cases, each named once', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, row) => {
    const { code, stdout, stderr } = await cli(row.argv(), row.env?.() ?? {});
    const lines = stderr === '' ? [] : stderr.replace(/\n$/, '').split('\n');
    const context = `stderr was:\n${stderr.slice(0, 2000)}`;
    expect(code, context).toBe(row.code);
    expect(stderr, 'a stack frame').not.toMatch(/\n\s+at /);
    expect(stderr).not.toContain('this is a bug in perfbench');
    for (const line of lines) expect(line.length, `line too long: ${line.slice(0, 100)}…`).toBeLessThanOrEqual(MAX_LINE);
    const talk = row.talk ?? [];
    if (row.stderr.source === '^$') {
      // A command whose failure is reported in its data (doctor's FAILED lines on stdout).
      expect(lines, context).toEqual([]);
      expect(stdout).toMatch(/FAILED {5}cannot connect to (PostgreSQL|Redis) at /);
    } else {
      expect(lines, context).toHaveLength(talk.length + 1);
      talk.forEach((pattern, i) => expect(lines[i]).toMatch(pattern));
      expect(lines.at(-1)).toMatch(row.stderr);
      if (row.code !== ExitCode.ok && lines.at(-1) !== COMMANDER_HINT) expect(lines.at(-1)).toMatch(/^perfbench: /);
    }
    if (row.secret) expect(stdout + stderr).not.toContain(row.secret);
  });

  it('leaves the tables it was pointed at intact', async () => {
    const count = await admin.query(`SELECT count(*)::int AS n FROM ${table}`);
    expect(count.rows[0].n).toBe(2000);
    const indexes = await admin.query('SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY 1', [table]);
    expect(indexes.rows.map((row) => row.indexname)).toEqual([`${table}_manual`, `${table}_pkey`]);
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${plain}`)).rows[0].n).toBe(1);
  });
});
