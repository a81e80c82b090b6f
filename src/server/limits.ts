/** Server layer: bounds on what a client can make the server hold, and their defaults. */

/** Bounds on what a client can make the server hold. Every one is configurable for tests. */
export interface ServerLimits {
  /** Time to receive a request's headers (slowloris); answered with 408. */
  headersTimeoutMs: number;
  /** Time to receive a whole request. Must be >= headersTimeoutMs (node:http insists). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** How often node:http checks the two timeouts above. */
  connectionsCheckingIntervalMs: number;
  /** Request line plus headers; beyond it node:http's parser stops and we answer 431. */
  maxHeaderBytes: number;
  /** The request target (path and query); beyond it, 414. */
  maxUrlBytes: number;
  /** Longest accepted category, in characters. */
  maxCategoryLength: number;
  /** On close, how long in-flight requests may take before their connections are cut. */
  drainTimeoutMs: number;
  /** Bound on each `/healthz` probe. */
  healthTimeoutMs: number;
  /** After the database looked unavailable, answer 503 at once for this long before trying again. */
  databaseRetryMs: number;
  /** At most one log line about the cache's state (up, read-only, down) per this many ms. */
  cacheLogIntervalMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  connectionsCheckingIntervalMs: 1_000,
  maxHeaderBytes: 16_384,
  maxUrlBytes: 2_048,
  maxCategoryLength: 128,
  drainTimeoutMs: 10_000,
  healthTimeoutMs: 1_000,
  databaseRetryMs: 1_000,
  cacheLogIntervalMs: 5_000,
};
