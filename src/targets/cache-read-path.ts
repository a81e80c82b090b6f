/**
 * Targets: the definition the paths that read a report from the cache (`cache`, `cache-get`, `near`)
 * share: a name that can be overridden (one module serves two registered paths), an optional JSON
 * decode of the body, the cache tier and no index.
 */
import type { BenchPath, PathContext, PathDefinition } from './path.js';

export interface CacheReadOptions {
  name?: string;
  /** JSON.parse the body as an app would (default). Off: the lookup alone, as redis-benchmark times a GET. */
  decode?: boolean;
}

/** A cache-read path's definition, the options' defaults applied: `describe` and `create` are told whether it decodes. */
export function cacheReadPath(
  options: CacheReadOptions,
  defaultName: string,
  describe: (decode: boolean) => string,
  create: (context: PathContext, name: string, decode: boolean) => BenchPath,
): PathDefinition {
  const name = options.name ?? defaultName;
  const decode = options.decode ?? true;
  return {
    name,
    description: describe(decode),
    needsIndex: false,
    needsCache: true,
    create: (context) => create(context, name, decode),
  };
}
