/** Shared: one frozen configuration from flags, environment, .env and the embedded default, every problem listed at once. */
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { usageError } from './errors.js';

/**
 * Configuration: flags > environment > .env file > embedded default, resolved once into one
 * frozen Config. Every problem is collected and reported together, so a user fixes them in one go.
 */

/** Where a value came from, shown by `perfbench doctor`. */
export type Source = string;

/** SSL modes as libpq names them. `prefer` and `allow` connect without TLS (node-postgres has no fallback). */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** The PostgreSQL to use: one the user named, or the embedded one perfbench starts itself. */
export interface DatabaseConfig {
  readonly mode: 'external' | 'embedded';
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Never printed: use `describeDatabase` for output. */
  readonly password: string | undefined;
  readonly database: string;
  readonly sslmode: SslMode;
  /** Field name -> where it came from. */
  readonly sources: Readonly<Record<string, Source>>;
}

/** One node of a Redis Cluster, as `--redis-cluster` names it. */
export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * The Redis to use: one the user named, a Redis Cluster (some of its nodes: the client learns the
 * rest), a private embedded redis-server, or the in-process tier.
 */
export interface RedisConfig {
  readonly mode: 'external' | 'cluster' | 'embedded' | 'memory';
  readonly host: string;
  readonly port: number;
  readonly password: string | undefined;
  readonly username: string | undefined;
  readonly db: number;
  readonly tls: boolean;
  /** The cluster's startup nodes (mode `cluster`; empty or absent otherwise). host, port and db are unused then. */
  readonly clusterNodes?: readonly RedisNodeAddress[];
  readonly sources: Readonly<Record<string, Source>>;
}

export interface Config {
  readonly database: DatabaseConfig;
  readonly redis: RedisConfig;
  /** Bound on every connection attempt, so an unreachable server fails fast with a clear line. */
  readonly connectTimeoutMs: number;
  /** Per-user cache: the embedded PostgreSQL's data directory lives here and survives runs. */
  readonly cacheDir: string;
  /** Path of the .env file that was read, if any. */
  readonly envFile: string | undefined;
  /** Read replicas of the database (`PERFBENCH_REPLICA_URLS`; `bench --replica-url` overrides it). */
  readonly replicaUrls?: readonly ReplicaUrl[];
}

/** The global flags that feed configuration (the highest-precedence layer). */
export interface ConfigFlags {
  databaseUrl?: string;
  redisUrl?: string;
  /** `--redis-cluster host:port[,host:port…]`. */
  redisCluster?: string;
  /** `--dotenv`: not `--env-file`, which Node 20 itself reads from any position of argv (nodejs/node#54232). */
  dotenv?: string;
  connectTimeout?: string;
}

export interface ConfigInput {
  flags: ConfigFlags;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Every variable perfbench reads; `.env.example` documents each one. */
export const CONFIG_VARIABLES = [
  'DATABASE_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGSSLMODE',
  'DB_HOST', 'DB_PORT', 'DB_USER', 'DB_PASSWORD', 'DB_NAME',
  'REDIS_URL', 'REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDIS_CLUSTER_NODES',
  'PERFBENCH_CONNECT_TIMEOUT_MS', 'PERFBENCH_CACHE_DIR', 'PERFBENCH_REPLICA_URLS',
] as const;

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

interface Field {
  value: string;
  source: Source;
}
type Fields = Partial<Record<string, Field>>;

/** One layer of variables (the environment or the .env file) with the label used in sources. */
interface Layer {
  vars: Record<string, string | undefined>;
  label: string;
}

const DB_FIELDS = ['host', 'port', 'user', 'password', 'database', 'sslmode'] as const;
const REDIS_FIELDS = ['host', 'port', 'username', 'password', 'db', 'tls', 'nodes'] as const;

/** Reads flags, environment and .env into one frozen Config, or throws one usage error listing every problem. */
export function loadConfig(input: ConfigInput): Config {
  const problems: string[] = [];
  // An explicit but empty flag (`--database-url "$UNSET_VAR"`) must not fall back to another server.
  for (const [flag, value] of [['--database-url', input.flags.databaseUrl], ['--redis-url', input.flags.redisUrl], ['--redis-cluster', input.flags.redisCluster]] as const) {
    if (value !== undefined && value.trim() === '') problems.push(`flag ${flag} is empty`);
  }
  const { layers, envFile } = readLayers(input, problems);
  const flagLayer: Layer = {
    vars: { DATABASE_URL: input.flags.databaseUrl, REDIS_URL: input.flags.redisUrl, REDIS_CLUSTER_NODES: input.flags.redisCluster },
    label: 'flag',
  };
  const ordered = [flagLayer, ...layers];

  const database = resolveDatabase(ordered, problems);
  const redis = resolveRedis(ordered, problems);
  const connectTimeoutMs = resolveTimeout(input, layers, problems);
  const cacheDir = resolveCacheDir(input.env);
  const replicaUrls = resolveReplicaUrls(layers, problems);

  if (problems.length > 0) {
    throw usageError(
      `invalid configuration: ${problems.join('; ')}`,
      'fix it in the flags, the environment or .env (every variable is in .env.example)',
    );
  }
  return deepFreeze({ database, redis, connectTimeoutMs, cacheDir, envFile, ...(replicaUrls.length ? { replicaUrls } : {}) });
}

function readLayers(input: ConfigInput, problems: string[]): { layers: Layer[]; envFile: string | undefined } {
  const envLayer: Layer = { vars: input.env, label: 'env' };
  const explicit = input.flags.dotenv;
  const path = resolve(input.cwd, explicit ?? '.env');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (explicit) problems.push(`--dotenv ${explicit} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return { layers: [envLayer], envFile: undefined };
  }
  return { layers: [envLayer, { vars: parseEnv(text), label: '.env' }], envFile: path };
}

function take(layer: Layer, name: string): Field | undefined {
  const value = layer.vars[name];
  if (value === undefined || value === '') return undefined;
  return { value, source: layer.label === 'flag' ? `flag --${flagName(name)}` : `${layer.label} ${name}` };
}

function flagName(variable: string): string {
  return variable === 'DATABASE_URL' ? 'database-url' : variable === 'REDIS_CLUSTER_NODES' ? 'redis-cluster' : 'redis-url';
}

/** Per layer: DATABASE_URL parts win over DB_*, which win over libpq's PG*; layers then merge field by field. */
function databaseLayerFields(layer: Layer, problems: string[]): Fields {
  const fields: Fields = {};
  const byName: Record<(typeof DB_FIELDS)[number], string[]> = {
    host: ['DB_HOST', 'PGHOST'],
    port: ['DB_PORT', 'PGPORT'],
    user: ['DB_USER', 'PGUSER'],
    password: ['DB_PASSWORD', 'PGPASSWORD'],
    database: ['DB_NAME', 'PGDATABASE'],
    sslmode: ['PGSSLMODE'],
  };
  for (const field of DB_FIELDS) {
    for (const name of byName[field]) {
      const found = take(layer, name);
      if (found) {
        fields[field] = found;
        break;
      }
    }
  }
  const url = take(layer, 'DATABASE_URL');
  if (url) Object.assign(fields, parseDatabaseUrl(url, problems));
  return fields;
}

function parseDatabaseUrl(url: Field, problems: string[]): Fields {
  const parsed = parseUrl(url, ['postgres', 'postgresql'], 'postgres://user:password@host:5432/database', problems);
  if (!parsed) return {};
  const fields = urlParts(parsed, url.source, 'user', 'database', problems);
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode) fields.sslmode = { value: sslmode, source: url.source };
  return fields;
}

/** Parses a connection URL with one of `schemes`, or records why it cannot. */
function parseUrl(url: Field, schemes: string[], example: string, problems: string[]): URL | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.value);
  } catch {
    problems.push(`${url.source} is not a URL (expected ${example})`);
    return undefined;
  }
  if (!schemes.includes(parsed.protocol.replace(/:$/, ''))) {
    const names = schemes.map((scheme) => `${scheme}://`);
    problems.push(`${url.source} must start with ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, not ${parsed.protocol}//`);
    return undefined;
  }
  // WHATWG URL takes `postgresql:/broken` (no authority) as a path: the host would silently become
  // localhost. Without `//` there is no host part at all; `postgres:///db` (empty host) stays allowed.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url.value.trim())) {
    problems.push(`${url.source} has no //host after ${parsed.protocol} (expected ${example})`);
    return undefined;
  }
  return parsed;
}

/** Host, port, credentials and the path (database name or number) of a URL, credited to its source. */
function urlParts(parsed: URL, source: Source, userField: string, pathField: string, problems: string[]): Fields {
  const fields: Fields = {};
  const parts: Array<[string, string]> = [
    ['host', parsed.hostname.replace(/^\[(.*)\]$/, '$1')],
    ['port', parsed.port],
    [userField, parsed.username],
    ['password', parsed.password],
    [pathField, parsed.pathname.replace(/^\//, '')],
  ];
  for (const [name, value] of parts) {
    if (!value) continue;
    try {
      fields[name] = { value: decodeURIComponent(value), source };
    } catch {
      // A stray % (often in a password) is a URIError; the value itself is not echoed: it may be the password.
      problems.push(`${source} has a malformed %-escape in its ${name} (write a literal % as %25)`);
    }
  }
  return fields;
}

function mergeLayers(layers: Layer[], perLayer: (layer: Layer) => Fields): Fields {
  const merged: Fields = {};
  for (const layer of [...layers].reverse()) Object.assign(merged, perLayer(layer));
  return merged;
}

function resolveDatabase(layers: Layer[], problems: string[]): DatabaseConfig {
  const fields = mergeLayers(layers, (layer) => databaseLayerFields(layer, problems));
  const configured = ['host', 'port', 'user', 'database'].some((name) => fields[name] !== undefined);
  const sources: Record<string, Source> = {};
  const value = (name: string, fallback: string): string => {
    const field = fields[name];
    sources[name] = field?.source ?? (configured ? 'default' : 'embedded default');
    return field?.value ?? fallback;
  };
  const host = value('host', configured ? 'localhost' : '127.0.0.1');
  const port = parsePort(value('port', '5432'), sources.port!, problems);
  const user = value('user', configured ? safeUserName() : 'postgres');
  const password = fields.password?.value;
  if (fields.password) sources.password = fields.password.source;
  const database = value('database', configured ? user : 'perfbench');
  const sslmode = value('sslmode', 'prefer');
  if (!(SSL_MODES as readonly string[]).includes(sslmode)) {
    problems.push(`${sources.sslmode} '${sslmode}' is not an SSL mode (one of ${SSL_MODES.join(', ')})`);
  }
  return {
    mode: configured ? 'external' : 'embedded',
    host, port, user, password, database,
    sslmode: sslmode as SslMode,
    sources,
  };
}

function redisLayerFields(layer: Layer, problems: string[]): Fields {
  const fields: Fields = {};
  const host = take(layer, 'REDIS_HOST');
  const port = take(layer, 'REDIS_PORT');
  const password = take(layer, 'REDIS_PASSWORD');
  if (host) fields.host = host;
  if (port) fields.port = port;
  if (password) fields.password = password;
  // The mode is a field like the others, so a Redis named in a higher source overrides a
  // memory:// in a lower one (and the other way round), as flags > environment > .env says.
  const named = host ?? port;
  if (named) fields.mode = { value: 'external', source: named.source };
  const url = take(layer, 'REDIS_URL');
  if (url) Object.assign(fields, parseRedisUrl(url, problems));
  const cluster = take(layer, 'REDIS_CLUSTER_NODES');
  if (cluster) {
    // One source naming both a single Redis and a cluster is ambiguous: which one did the user mean?
    const single = url ?? named;
    if (single) problems.push(`${single.source} and ${cluster.source} name two different Redis setups: give one of them`);
    else Object.assign(fields, { nodes: cluster, mode: { value: 'cluster', source: cluster.source } });
  }
  return fields;
}

/** `host:port[,host:port…]` (an IPv6 host in brackets), or records why not. */
function parseClusterNodes(nodes: Field, problems: string[]): RedisNodeAddress[] {
  const example = 'host:port[,host:port…], e.g. cache-1:7000,cache-2:7000';
  const parsed: RedisNodeAddress[] = [];
  for (const entry of nodes.value.split(',').map((part) => part.trim())) {
    const match = /^(?:\[([^\]]+)\]|([^:/@\[\]]+)):(\d+)$/.exec(entry);
    if (!match) {
      // An entry with credentials in it is not echoed: it may hold the password.
      const shown = entry.includes('@') ? 'has an entry with credentials (user:password@)' : `'${entry}' is not host:port`;
      problems.push(`${nodes.source} ${shown} (expected ${example}; the password goes in REDIS_PASSWORD)`);
      continue;
    }
    parsed.push({ host: match[1] ?? match[2]!, port: parsePort(match[3]!, nodes.source, problems) });
  }
  return parsed;
}

/** `memory://` selects the in-process cache tier on purpose (no Redis at all). */
function parseRedisUrl(url: Field, problems: string[]): Fields {
  const parsed = parseUrl(url, ['redis', 'rediss', 'memory'], 'redis://[:password@]host:6379[/db] or rediss://…', problems);
  if (!parsed) return {};
  if (parsed.protocol === 'memory:') return { mode: { value: 'memory', source: url.source } };
  return {
    ...urlParts(parsed, url.source, 'username', 'db', problems),
    tls: { value: String(parsed.protocol === 'rediss:'), source: url.source },
    mode: { value: 'external', source: url.source },
  };
}

function resolveRedis(layers: Layer[], problems: string[]): RedisConfig {
  const fields = mergeLayers(layers, (layer) => redisLayerFields(layer, problems));
  const mode: RedisConfig['mode'] = fields.mode?.value === 'memory' || fields.mode?.value === 'cluster' ? fields.mode.value : fields.mode ? 'external' : 'embedded';
  // A cluster has no database numbers and takes its nodes from the list: a lower source's
  // host, port or db (REDIS_URL in .env under a --redis-cluster flag) does not apply to it.
  const unused = mode === 'cluster' ? ['host', 'port', 'db', 'tls'] : ['nodes'];
  for (const name of unused) delete fields[name];
  // Nor do the credentials of that other server's URL: a cluster's come from REDIS_PASSWORD.
  for (const name of mode === 'cluster' ? ['username', 'password'] : []) {
    if (/REDIS_URL|--redis-url/.test(fields[name]?.source ?? '')) delete fields[name];
  }
  const clusterNodes = fields.nodes ? parseClusterNodes(fields.nodes, problems) : [];
  const sources: Record<string, Source> = {};
  for (const name of REDIS_FIELDS) {
    const field = fields[name];
    if (field) sources[name] = field.source;
  }
  if (fields.mode) sources.mode = fields.mode.source;
  const port = parsePort(fields.port?.value ?? '6379', sources.port ?? 'default', problems);
  const dbText = fields.db?.value ?? '0';
  const db = Number(dbText);
  if (!Number.isInteger(db) || db < 0 || db > 15) {
    problems.push(`${sources.db} '${dbText}' is not a Redis database number (0-15)`);
  }
  return {
    mode,
    host: fields.host?.value ?? '127.0.0.1',
    port,
    password: fields.password?.value,
    username: fields.username?.value,
    db,
    tls: fields.tls?.value === 'true',
    clusterNodes,
    sources,
  };
}

function resolveTimeout(input: ConfigInput, layers: Layer[], problems: string[]): number {
  let text: string | undefined = input.flags.connectTimeout;
  let source = 'flag --connect-timeout';
  for (const layer of layers) {
    if (text !== undefined) break;
    const field = take(layer, 'PERFBENCH_CONNECT_TIMEOUT_MS');
    if (field) ({ value: text, source } = field);
  }
  if (text === undefined) return DEFAULT_CONNECT_TIMEOUT_MS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 100 || value > 600_000) {
    problems.push(`${source} '${text}' is not a timeout in milliseconds (100-600000)`);
  }
  return value;
}

function parsePort(text: string, source: Source, problems: string[]): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    problems.push(`${source} '${text}' is not a port (1-65535)`);
  }
  return port;
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'postgres';
  }
}

/**
 * The per-user cache directory. root's home is usually mode 700, which the unprivileged `postgres`
 * user that runs the embedded server cannot traverse, so root's cache lives under /var/cache.
 */
export function resolveCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.PERFBENCH_CACHE_DIR) return resolve(env.PERFBENCH_CACHE_DIR);
  if (process.getuid?.() === 0) return '/var/cache/perfbench';
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'perfbench');
}

/** The database as it may be printed: never the password. */
export function describeDatabase(db: DatabaseConfig): string {
  if (db.mode === 'embedded') return 'embedded PostgreSQL (started on demand, data in the cache dir)';
  const credential = db.password === undefined ? '' : ':***';
  const host = db.host.includes(':') ? `[${db.host}]` : db.host;
  return `postgres://${encodeURIComponent(db.user)}${credential}@${host}:${db.port}/${encodeURIComponent(db.database)}`;
}

/** Redis as it may be printed: never the password. */
export function describeRedis(redis: RedisConfig): string {
  if (redis.mode === 'memory') return 'memory:// (in-process cache tier)';
  if (redis.mode === 'embedded') return 'embedded redis-server (started on demand on a free loopback port)';
  const credential = redis.password === undefined ? '' : `${redis.username ?? ''}:***@`;
  if (redis.mode === 'cluster') return `redis-cluster://${credential}${(redis.clusterNodes ?? []).map(describeNode).join(',')}`;
  const scheme = redis.tls ? 'rediss' : 'redis';
  return `${scheme}://${credential}${redis.host}:${redis.port}/${redis.db}`;
}

/** `host:port`, an IPv6 host in brackets. */
export function describeNode(node: RedisNodeAddress): string {
  return `${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`;
}

/**
 * A read replica as its URL names it. What the URL leaves out (user, password, database, sslmode)
 * is the primary's: a physical replica has the primary's roles and databases.
 */
export interface ReplicaUrl {
  readonly host: string;
  readonly port: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly sslmode?: SslMode;
  /** Where it came from, for messages: `flag --replica-url` or `env PERFBENCH_REPLICA_URLS`. */
  readonly source: Source;
}

/** `postgres://[user[:password]@]host[:port][/database][?sslmode=…]`, each one checked; problems are collected. */
export function parseReplicaUrls(texts: readonly string[], source: Source, problems: string[]): ReplicaUrl[] {
  const replicas: ReplicaUrl[] = [];
  for (const text of texts.map((t) => t.trim())) {
    if (text === '') {
      problems.push(`${source} has an empty URL`);
      continue;
    }
    const parsed = parseUrl({ value: text, source }, ['postgres', 'postgresql'], 'postgres://host:5433 or postgres://user:password@host:5433/database', problems);
    if (!parsed) continue;
    if (parsed.hostname === '') {
      problems.push(`${source} names no host (expected postgres://host:5433)`);
      continue;
    }
    const fields = urlParts(parsed, source, 'user', 'database', problems);
    const port = parsePort(fields.port?.value ?? '5432', source, problems);
    const sslmode = parsed.searchParams.get('sslmode') ?? undefined;
    if (sslmode !== undefined && !(SSL_MODES as readonly string[]).includes(sslmode)) {
      problems.push(`${source} sslmode '${sslmode}' is not an SSL mode (one of ${SSL_MODES.join(', ')})`);
    }
    replicas.push({
      host: fields.host!.value, port, source,
      ...(fields.user ? { user: fields.user.value } : {}),
      ...(fields.password ? { password: fields.password.value } : {}),
      ...(fields.database ? { database: fields.database.value } : {}),
      ...(sslmode !== undefined ? { sslmode: sslmode as SslMode } : {}),
    });
  }
  return replicas;
}

/** PERFBENCH_REPLICA_URLS, comma-separated, from the environment or else .env. */
function resolveReplicaUrls(layers: Layer[], problems: string[]): ReplicaUrl[] {
  for (const layer of layers) {
    const field = take(layer, 'PERFBENCH_REPLICA_URLS');
    if (field) return parseReplicaUrls(field.value.split(','), field.source, problems);
  }
  return [];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
