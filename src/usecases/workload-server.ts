/**
 * Use case: `perfbench serve --workload FILE`: the script's read statements served at
 * `/q/<name>/slow` and `/q/<name>/fast` (server/workload-server.ts) until Ctrl-C. Statements that
 * write or control a transaction are not served (each told once, with its reason): an HTTP GET that
 * changes data, or a cached answer to a write, would be wrong.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { keyNamespace, reportKey } from '../cache/report-cache.js';
import { connectClient } from '../db/connection.js';
import { workloadDataVersion } from '../db/workload-queries.js';
import { firstLine, UserError, usageError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { createWorkloadServer, type ServedStatement, type WorkloadServer } from '../server/workload-server.js';
import { parseScript } from '../workload/pgbench/index.js';

export interface WorkloadServeOptions {
  /** The pgbench script. */
  file: string;
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
  let text: string;
  try {
    text = await readFile(options.file, 'utf8');
  } catch (error) {
    throw usageError(`--workload ${options.file}: cannot read the script (${firstLine((error as Error).message)})`, 'pass the path of a pgbench script');
  }
  // Named by the file's base name: an unnamed statement is served as /q/<file>%23<k>/…, without the directories.
  const script = parseScript(text, { name: basename(options.file) });
  const lines: string[] = [];
  const statements: ServedStatement[] = [];
  for (const s of script.statements) {
    if (s.access !== 'read') {
      if (s.access === 'write') lines.push(`not served: ${s.name} (line ${s.line}): ${s.accessReason}`);
      continue;
    }
    statements.push({ name: s.name, text: s.text, parameters: s.parameters });
  }
  if (statements.length === 0) throw usageError(`${options.file}: no statement only reads, so there is nothing to serve`, 'serve a script with a SELECT');
  const target = await runtime.database();
  const pool = await runtime.pool(options.poolSize);
  const admin = await pool.connect();
  let version: string;
  try {
    version = await workloadDataVersion(admin);
  } finally {
    admin.release();
  }
  const namespace = keyNamespace('serve-workload', version, script.name);
  const cache = await runtime.cacheOrDegraded();
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
  const head = `serving ${statements.length} statement${statements.length === 1 ? '' : 's'} of ${options.file} on ${bound.url} (cache ${cache.label}; keys under ${reportKey(namespace, '')}*)`;
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
