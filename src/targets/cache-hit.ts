/**
 * Targets: `cache`: a cache-aside HIT, as an application serves one: GET the category's key and decode the
 * JSON body. Setup fills every category of the sequence first (outside the measurement), under the
 * run's own key namespace (dataset fingerprint, table, column, run id) with the run's TTL.
 *
 * With Redis the GETs go over a connection of the path's own (cache/get-channel.ts: commands encoded
 * once, the socket reading into one reused buffer), so the path times Redis and the transfer rather
 * than a client library; `cache-get` stops there (what `serve`'s fast route pays: it sends the bytes
 * as they are), `cache` adds the JSON decode an application that uses the report would do.
 *
 * The hits are verified, not assumed: the client counts the GETs that returned a value, and the
 * server's INFO keyspace_hits must have risen by at least as many over the same stretch (other
 * clients of a shared Redis can only add to it). A GET that finds nothing is an error of the path
 * (the key expired or was evicted), never a silent database fallback.
 */
import { GetChannel } from '../cache/get-channel.js';
import { reportKey } from '../cache/report-cache.js';
import type { CacheStats, CacheTier } from '../cache/tier.js';
import type { Operation, Target } from '../measure/target.js';
import { fillReports } from './cache-fill.js';
import { verifyCacheOutcome } from './cache-check.js';
import { cacheReadPath, type CacheReadOptions } from './cache-read-path.js';
import type { BenchPath, PathContext, PathDefinition, RunFindings } from './path.js';

export function cacheHitPath(options: CacheReadOptions = {}): PathDefinition {
  return cacheReadPath(
    options, 'cache',
    (decode) => (decode
      ? 'a Redis cache-aside hit: GET and JSON decode of the cached report'
      : 'a Redis cache hit without the decode: GET of the cached report\'s bytes (what serve\'s fast route pays); opt-in (--paths …,cache-get)'),
    createCacheHit,
  );
}

function createCacheHit(context: PathContext, name: string, decode: boolean): BenchPath {
  const keys = new Map(context.sequence.names.map((category) => [category, reportKey(context.keyNamespace, category)]));
  // Encoded once: an operation writes these bytes as they are.
  const commands = new Map([...keys].map(([category, key]) => [category, GetChannel.command(key)]));
  let tier: CacheTier | undefined;
  let channel: GetChannel | undefined;
  let filled = false;
  let before: CacheStats = { hits: 0, misses: 0 };
  const seen = { gets: 0, hits: 0, misses: 0 };

  const miss = (category: string): Error => {
    seen.misses++;
    return new Error(`cache miss on the hit path: ${keys.get(category)} expired or was evicted (raise --ttl for long runs)`);
  };
  const overChannel = async (op: Operation): Promise<void> => {
    seen.gets++;
    const command = commands.get(op.category)!;
    // cache-get only reads the bytes off the socket, as serve's fast route sends them on; cache decodes them.
    const reply = decode ? await channel!.get(command) : await channel!.size(command);
    if (reply === null) throw miss(op.category);
    seen.hits++;
    if (decode) JSON.parse((reply as Buffer).toString('utf8'));
  };
  // The in-process tier (no Redis on the machine) has no channel.
  const overTier = async (op: Operation): Promise<void> => {
    seen.gets++;
    const body = await tier!.get(keys.get(op.category)!);
    if (body === null) throw miss(op.category);
    seen.hits++;
    if (decode) JSON.parse(body.toString('utf8'));
  };
  const run = (op: Operation): Promise<void> => (channel ? overChannel(op) : overTier(op));

  return {
    name,
    kind: 'cache',
    target(): Target {
      return {
        name,
        kind: 'cache',
        async setup() {
          tier ??= await context.cache();
          channel ??= await tier.openGetChannel?.();
          if (!filled) {
            await fillReports(context, tier, keys);
            filled = true;
          }
          seen.gets = seen.hits = seen.misses = 0;
          before = await tier.stats();
        },
        run,
      };
    },
    async findings(): Promise<RunFindings> {
      if (!tier || !filled) return { notes: [], flags: [] };
      const findings: RunFindings = { notes: [], flags: [] };
      verifyCacheOutcome('hits', tier.label, seen, before, await tier.stats(), findings);
      return findings;
    },
    close: async () => {
      await channel?.close();
    },
  };
}
