/**
 * Targets: `http-slow` and `http-fast` of `bench --workload --http`: a workload's executions end to
 * end through `perfbench serve --workload` (server/workload-server.ts). Operation i is planned as on
 * every other path (same script, same values); each of its read statements is one
 * `GET /q/<name>/<slow|fast>?<variable>=<value>…`, timed into the statement's histogram, and each
 * `\sleep` waits as it does there. Transaction control (BEGIN, END) is not sent: the server runs each
 * statement on its own, so over HTTP it has no meaning. Only read-only workloads have these paths
 * (a GET that changes data would be wrong, and serve does not offer the writes); the bench use case
 * says so for a workload that writes.
 *
 * http-slow answers from one connection used serially, without a cache (X-Cache: BYPASS); http-fast
 * from a pool behind cache-aside with single-flight, so its answers are hits and misses
 * (X-Cache: HIT, NEAR or MISS), counted as the cache path counts its reads. A failed GET fails the
 * execution, counted by the SQLSTATE the server sent back, else by its HTTP status (`http-404`), or
 * as `client` when no answer came.
 */
import { summarize } from '../measure/histogram.js';
import type { Target } from '../measure/target.js';
import { servedStatementName, statementSignature, type Script, type ScriptStatement, type Step } from '../workload/pgbench/index.js';
import { httpClient, HttpStatusError, serverTimingRecord, type HttpClient, type HttpRoute } from './http.js';
import type { BenchPath, RunFindings } from './path.js';
import type { WorkloadContext } from './workload-context.js';
import { NOT_SENT, runSteps, sqlstateOf, workloadPlanner, WorkloadStats } from './workload-execution.js';

/** The request path of one statement on `route`, given its bound values (`$1` first). */
export function statementRequest(script: Script, statement: ScriptStatement, route: HttpRoute): (values: readonly string[]) => string {
  const base = `/q/${encodeURIComponent(servedStatementName(script, statement))}/${route}`;
  // A variable bound twice is one query parameter (the server binds it to each of its uses).
  const names = [...new Set(statement.parameters)];
  const first = names.map((name) => statement.parameters.indexOf(name));
  if (names.length === 0) return () => base;
  return (values) => `${base}?${names.map((name, j) => `${encodeURIComponent(name)}=${encodeURIComponent(values[first[j]!]!)}`).join('&')}`;
}

/** What a perfbench serve --workload's `/healthz` says it serves: each statement's signature by name; undefined for another server. */
function servedSignatures(health: string): Record<string, string> | undefined {
  try {
    const { statements, signatures } = JSON.parse(health) as { statements?: unknown; signatures?: unknown };
    if (!Array.isArray(statements) || typeof signatures !== 'object' || signatures === null) return undefined;
    return signatures as Record<string, string>;
  } catch {
    return undefined;
  }
}

/**
 * Throws a one-line error unless the server at `baseUrl` answers every read statement of `scripts`
 * by name, and each is the same statement (its text and variables: a server started on another
 * version of a script would time other SQL).
 */
async function checkServes(http: HttpClient, baseUrl: string, scripts: readonly Script[]): Promise<void> {
  const served = servedSignatures(await http.health());
  if (!served) throw new Error(`${baseUrl} is not a perfbench serve --workload (its /healthz lists no statements): start one for these scripts`);
  const hint = 'start perfbench serve with the same --workload and --builtin scripts';
  const reads = scripts.flatMap((script) => script.statements.filter((s) => s.access === 'read').map((s) => ({ name: servedStatementName(script, s), statement: s })));
  const missing = [...new Set(reads.filter((r) => served[r.name] === undefined).map((r) => r.name))];
  if (missing.length) throw new Error(`${baseUrl} does not serve ${missing.join(', ')} (it serves ${Object.keys(served).join(', ') || 'nothing'}): ${hint}`);
  const changed = [...new Set(reads.filter((r) => served[r.name] !== statementSignature(r.statement)).map((r) => r.name))];
  if (changed.length) throw new Error(`${baseUrl} serves another statement under the name ${changed.join(', ')} (its text or variables differ): ${hint}`);
}

/** The same check on a connection of its own, before a run (bench --http URL): one line for the user rather than failed operations. */
export async function checkWorkloadServer(baseUrl: string, scripts: readonly Script[], timeoutMs?: number): Promise<void> {
  const http = httpClient({ baseUrl, connections: 1, ...(timeoutMs ? { timeoutMs } : {}) });
  try {
    await checkServes(http, baseUrl, scripts);
  } finally {
    http.destroy();
  }
}

export function workloadHttpPath(context: WorkloadContext, route: HttpRoute): BenchPath {
  const name = `http-${route}`;
  const server = context.http;
  if (!server) throw new Error(`${name} needs the server's URL (bench --http)`);
  const writes = context.scripts.flatMap((script) => script.statements.filter((s) => s.access === 'write'));
  if (writes.length) throw new Error(`${name} times read statements only, and ${writes[0]!.name} writes`);
  const plan = workloadPlanner(context);
  const stats = new WorkloadStats(context.scripts);
  const requests = context.scripts.map((script) => script.statements.map((statement) => statementRequest(script, statement, route)));
  let client: HttpClient | undefined;

  /** A hit from Redis or from a near cache; a miss; anything else (a server that says neither) is neither. */
  const count = (xCache: string): void => {
    if (xCache === 'HIT' || xCache === 'NEAR') stats.cacheHits++;
    else if (xCache === 'MISS') stats.cacheMisses++;
  };

  /** One execution: each read statement one GET, timed into its own histogram; BEGIN and END are not sent. */
  const execute = (http: HttpClient, k: number, steps: readonly Step[]): Promise<void> =>
    runSteps(stats.statements[k]!, steps, (statement, values) => (statement.access === 'read'
      ? http.exchange(requests[k]![statement.index]!(values)).then(count)
      : NOT_SENT));

  return {
    name,
    kind: 'http',
    target(concurrency, runConcurrency = concurrency): Target {
      const http = httpClient({ baseUrl: server.baseUrl, connections: concurrency, ...(server.timeoutMs ? { timeoutMs: server.timeoutMs } : {}) });
      client = http;
      return {
        name,
        kind: 'http',
        async setup() {
          stats.reset();
          await checkServes(http, server.baseUrl, context.scripts);
        },
        measureStart() {
          stats.reset();
          http.resetServerTiming();
        },
        run(op) {
          const { k, script, steps } = plan(op.index, runConcurrency);
          if (context.onStep) for (const step of steps) if (step.kind === 'sql') context.onStep(name, op.index, step.statement, step.values);
          const counts = stats.scripts.get(script.name)!;
          return execute(http, k, steps).then(
            () => {
              counts.ops++;
            },
            (error: unknown) => {
              counts.errors++;
              // The server's SQLSTATE; else its HTTP status (a statement it does not serve, a parameter
              // missing, its database lost), or `client` when no answer came (a reset socket, a timeout).
              const code = error instanceof HttpStatusError && error.code === undefined ? `http-${error.status}` : sqlstateOf(error);
              stats.failures[code] = (stats.failures[code] ?? 0) + 1;
              throw error;
            },
          );
        },
        async teardown() {
          http.destroy();
        },
      };
    },
    async findings(): Promise<RunFindings> {
      const findings: RunFindings = { notes: [], flags: [], workload: stats.record(route === 'fast') };
      if (client) {
        const timing = client.serverTiming();
        // An execution is one GET per read statement: the client's mean per response, from the statements' histograms.
        const timed = stats.statements.flat().filter((s) => s.ops > 0);
        const responses = timed.reduce((total, s) => total + s.ops, 0);
        const clientMeanMs = responses ? timed.reduce((total, s) => total + summarize(s.histogram).meanUs * s.ops, 0) / responses / 1000 : 0;
        findings.serverTiming = serverTimingRecord(timing, clientMeanMs);
      }
      return findings;
    },
    async close() {
      stats.destroy();
      client?.destroy();
    },
  };
}
