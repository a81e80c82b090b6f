/** Server layer: `GET /metrics`, the server's counters and the gauges read at scrape time, in Prometheus text format. */
import type { MetricGauges, ServerMetrics } from '../metrics.js';
import type { Replies } from '../replies.js';
import type { RouteHandler } from '../pipeline.js';

export interface MetricsDeps {
  metrics: ServerMetrics;
  /** Read at each scrape: the gauges live in the parts that own them (pipeline, slow connection, breaker, cache). */
  gauges: () => MetricGauges;
  replies: Replies;
}

export function metricsRoute(deps: MetricsDeps): RouteHandler {
  return (res) => {
    const text = deps.metrics.render(deps.gauges());
    deps.replies.send(res, 200, text, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
  };
}
