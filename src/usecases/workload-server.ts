/**
 * Use case: `perfbench serve --workload FILE` (repeatable, and --builtin NAME): the scripts' read
 * statements served at `/q/<name>/slow` and `/q/<name>/fast` (server/workload-server.ts) until Ctrl-C. Statements that
 * write or control a transaction are not served (each told once, with its reason): an HTTP GET that
 * changes data, or a cached answer to a write, would be wrong.
 */
import { keyNamespace, reportKey } from '../cache/report-cache.js';
import type { CacheTier } from '../cache/tier.js';
import { connectClient } from '../db/connection.js';
import { workloadDataVersion } from '../db/workload-queries.js';
import { UserError, usageError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { createWorkloadServer, type ServedStatement, type WorkloadServer } from '../server/workload-server.js';
import { servedStatementName, statementSignature, type Script } from '../workload/pgbench/index.js';
import type { WorkloadScriptSpec } from './bench-options.js';
import { readScripts } from './workload-scripts.js';

export interface WorkloadServeOptions {
  /** The pgbench scripts (--workload FILE, --builtin NAME; a weight is read and has no use here). */
  scripts: WorkloadScriptSpec[];
  port: number;
  host: string;
  ttlSeconds: number;
  poolSize: number;
}

export interface RunningWorkloadServe {
  server: WorkloadServer;
  url: string;
  statements: ServedStatement[];
  /** The cache keys' namespace (keys under reportKey(namespace, '')). */
  namespace: string;
  /** Lines for the user: what is served where, and what is not. */
  lines: string[];
}

export async function startWorkloadServe(runtime: Runtime, options: WorkloadServeOptions): Promise<RunningWorkloadServe> {
  const scripts = await readScripts(options);
  return serveScripts(runtime, scripts, { ...options, label: scripts.map((script) => script.name).join(', ') });
}

export interface ServeScriptsOptions extends Omit<WorkloadServeOptions, 'scripts'> {
  /** What the server serves, in its first line: the file, or `bench --http`'s scripts. */
  label: string;
  /** The cache keys' namespace; default: one of the data version and the first script's name. */
  namespace?: string;
  /** The cache tier of the fast routes; default: the configured one, degraded to none when it is down (as serve runs). */
  cache?: CacheTier;
}

/**
 * Serves the read statements of `scripts` (each by its name; two statements of one name must be the
 * same statement) on an HTTP server started now: `perfbench serve --workload`, and the server that
 * `bench --workload --http` starts in-process.
 */
export async function serveScripts(runtime: Runtime, scripts: readonly Script[], options: ServeScriptsOptions): Promise<RunningWorkloadServe> {
  const lines: string[] = [];
  const byName = new Map<string, { statement: ServedStatement; script: string }>();
  for (const script of scripts) {
    for (const s of script.statements) {
      const name = servedStatementName(script, s);
      if (s.access !== 'read') {
        if (s.access === 'write') lines.push(`not served: ${name} (line ${s.line}): ${s.accessReason}`);
        continue;
      }
      const earlier = byName.get(name);
      if (!earlier) byName.set(name, { statement: { name, text: s.text, parameters: s.parameters }, script: script.name });
      // The same test as bench --http URL's check of a running server: the statements' signatures.
      else if (statementSignature(earlier.statement) !== statementSignature(s)) {
        throw usageError(`two different statements are named ${name} (in ${earlier.script} and ${script.name}), and a route serves one`,
          'give each statement a name of its own with a -- name: comment');
      }
    }
  }
  const statements = [...byName.values()].map((entry) => entry.statement);
  if (statements.length === 0) throw usageError(`${options.label}: no statement only reads, so there is nothing to serve`, 'serve a script with a SELECT');
  const target = await runtime.database();
  const pool = await runtime.pool(options.poolSize);
  let namespace = options.namespace;
  if (namespace === undefined) {
    const admin = await pool.connect();
    try {
      namespace = keyNamespace('serve-workload', await workloadDataVersion(admin), scripts[0]!.name);
    } finally {
      admin.release();
    }
  }
  const cache = options.cache ?? (await runtime.cacheOrDegraded());
  const server = createWorkloadServer({
    statements, pool, cache, namespace, ttlSeconds: options.ttlSeconds,
    connectSlow: () => connectClient(target, runtime.config.connectTimeoutMs),
    log: (line) => runtime.out.warn(line),
  });
  runtime.defer(() => server.close());
  let bound;
  try {
    bound = await server.listen(options.port, options.host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(`cannot listen on ${options.host}:${options.port}: the port is in use`, 'choose another --port (--port 0 picks a free one)');
    throw error;
  }
  const served = statements.map((s) => {
    const query = s.parameters.length ? `?${[...new Set(s.parameters)].map((p) => `${p}=…`).join('&')}` : '';
    return `  ${bound.url}/q/${encodeURIComponent(s.name)}/slow${query}   ${bound.url}/q/${encodeURIComponent(s.name)}/fast${query}`;
  });
  const head = `serving ${statements.length} statement${statements.length === 1 ? '' : 's'} of ${options.label} on ${bound.url} (cache ${cache.label}; keys under ${reportKey(namespace, '')}*)`;
  return { server, url: bound.url, statements, namespace, lines: [head, ...served, ...lines] };
}

/** Serves until Ctrl-C (or SIGTERM), then drains and says what was answered. */
export async function serveWorkload(runtime: Runtime, options: WorkloadServeOptions): Promise<void> {
  const running = await startWorkloadServe(runtime, options);
  for (const line of running.lines) runtime.out.say(line);
  if (!runtime.signal.aborted) await new Promise<void>((resolve) => runtime.signal.addEventListener('abort', () => resolve(), { once: true }));
  runtime.out.say('draining in-flight requests…');
  await running.server.close();
  const c = running.server.counts;
  runtime.out.say(`served ${c.slow} slow and ${c.fast} fast requests (${c.hits} hits, ${c.misses} misses, ${c.errors} errors)`);
}
