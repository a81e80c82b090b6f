/**
 * The request pipeline's bookkeeping (server/pipeline.ts) on a loopback node:http server with
 * routes of the test's own: an answer given at once, one given later, and one the client leaves
 * before it comes are each counted once, with their status (499 for the last), and none stays in
 * flight.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/server/limits.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { createPipeline, type Pipeline } from '../../src/server/pipeline.js';
import { Replies } from '../../src/server/replies.js';

let running: Pipeline | undefined;
afterEach(async () => {
  running?.server.closeAllConnections();
  await new Promise((resolve) => running?.server.close(resolve));
  running = undefined;
});

async function start(): Promise<{ metrics: ServerMetrics; pipeline: Pipeline; port: number }> {
  const metrics = new ServerMetrics();
  const replies = new Replies();
  const body = Buffer.from('{"ok":true}\n');
  const pipeline = createPipeline({
    limits: DEFAULT_LIMITS, metrics, replies,
    routes: {
      // At once, as a near hit answers.
      '/report/fast': (res) => replies.encoded(res, body, 'identity', '"t"', 'NEAR', 'total;dur=0.001'),
      // Later, as a route that awaits Redis or the database.
      '/report/slow': async (res) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        replies.encoded(res, body, 'identity', '"t"', 'MISS', 'total;dur=20');
      },
      // Never, until the client has gone.
      '/healthz': () => new Promise<void>(() => undefined),
      '/metrics': (res) => replies.error(res, 503, 'not in this test'),
    },
  });
  running = pipeline;
  await new Promise<void>((resolve) => pipeline.server.listen(0, '127.0.0.1', resolve));
  return { metrics, pipeline, port: (pipeline.server.address() as AddressInfo).port };
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    }).on('error', reject).end();
  });
}

describe('the pipeline counts every request once, with its status', () => {
  it('an answer given at once, one given later, a refusal, and one the client left before it came (499)', async () => {
    const { metrics, pipeline, port } = await start();
    expect(await get(port, '/report/fast?category=a')).toBe(200);
    expect(await get(port, '/report/slow?category=a')).toBe(200);
    expect(await get(port, '/nowhere')).toBe(404);
    const left = request({ host: '127.0.0.1', port, path: '/healthz', agent: false });
    left.on('error', () => undefined).end();
    await vi.waitFor(() => expect(pipeline.inFlight).toBe(1));
    left.destroy();
    await vi.waitFor(() => expect(metrics.requestCount('/healthz', '499')).toBe(1));
    expect(metrics.requestCount('/report/fast', '200')).toBe(1);
    expect(metrics.requestCount('/report/slow', '200')).toBe(1);
    expect(metrics.requestCount('other', '404')).toBe(1);
    expect([metrics.requestCount('/report/fast'), metrics.requestCount('/report/slow'), metrics.requestCount('/healthz')]).toEqual([1, 1, 1]);
    expect(pipeline.inFlight).toBe(0);
  });
});
