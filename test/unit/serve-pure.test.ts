/** Pure parts of the HTTP mode: category validation, Server-Timing, metrics text, the breaker, error classes. */
import { describe, expect, it } from 'vitest';
import { isLoopback } from '../../src/usecases/report-server.js';
import { serveOptions } from '../../src/flags/serve-flags.js';
import { Breaker, DatabaseUnavailable, isUnavailable } from '../../src/db/availability.js';
import { parseCategory } from '../../src/server/request.js';
import { serverTimingHeader, totalOnlyTimingHeader } from '../../src/server/server-timing.js';
import { rawHeader } from '../../src/server/raw-headers.js';
import { LATENCY_BUCKETS_SECONDS, ServerMetrics } from '../../src/server/metrics.js';
import { parseServerTiming } from '../../src/targets/http.js';

describe('parseCategory', () => {
  it('accepts one printable, bounded category, decoded', () => {
    expect(parseCategory('category=cat-001')).toEqual({ ok: true, category: 'cat-001' });
    expect(parseCategory('x=1&category=Garden%20%26%20Tools')).toEqual({ ok: true, category: 'Garden & Tools' });
    expect(parseCategory('category=caf%C3%A9+bar')).toEqual({ ok: true, category: 'café bar' });
    expect(parseCategory('category=%F0%9F%93%A6')).toEqual({ ok: true, category: '📦' });
    expect(parseCategory(`category=${'a'.repeat(128)}`)).toEqual({ ok: true, category: 'a'.repeat(128) });
  });

  it.each([
    ['', /missing/],
    ['cat=1', /missing/],
    ['category=', /empty/],
    ['category=a&category=a', /once/],
    [`category=${'a'.repeat(129)}`, /longer than 128/],
    ['category=a%00b', /printable/],
    ['category=a%7Fb', /printable/],
    ['category=a%C2%85b', /printable/],
    ['category=%FF', /printable/],
    ['category=%ED%A0%80', /printable/],
  ])('rejects %j', (query, message) => {
    const check = parseCategory(query);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toMatch(message);
  });

  it('takes the bound as a parameter', () => {
    expect(parseCategory('category=abcd', 3).ok).toBe(false);
    expect(parseCategory('category=abc', 3).ok).toBe(true);
  });
});

describe('Server-Timing', () => {
  it('formats the four fields with three decimals and parses them back', () => {
    const header = serverTimingHeader({ queue: 1.5, cache: 0.25, db: 12.3456, total: 14.1 });
    expect(header).toBe('queue;dur=1.500, cache;dur=0.250, db;dur=12.346, total;dur=14.100');
    expect(parseServerTiming(header)).toEqual({ queue: 1.5, cache: 0.25, db: 12.346, total: 14.1 });
  });

  it('gives a near hit\'s total-only header, the same text whether kept or made', () => {
    expect(totalOnlyTimingHeader(0.0374)).toBe('queue;dur=0.000, cache;dur=0.000, db;dur=0.000, total;dur=0.037');
    expect(totalOnlyTimingHeader(0.0374)).toBe(totalOnlyTimingHeader(0.0371));
    expect(totalOnlyTimingHeader(0)).toBe('queue;dur=0.000, cache;dur=0.000, db;dur=0.000, total;dur=0.000');
    expect(totalOnlyTimingHeader(12.3456)).toBe('queue;dur=0.000, cache;dur=0.000, db;dur=0.000, total;dur=12.346');
    expect(totalOnlyTimingHeader(-0.5)).toBe('queue;dur=0.000, cache;dur=0.000, db;dur=0.000, total;dur=-0.500');
  });

  it('parses other servers\' headers: descriptions, quotes, missing dur', () => {
    expect(parseServerTiming('miss, db;dur=53, app;desc="Application";dur=47.2, cdn;dur="3"')).toEqual({ db: 53, app: 47.2, cdn: 3 });
    expect(parseServerTiming(undefined)).toEqual({});
    expect(parseServerTiming('db;dur=abc')).toEqual({});
  });
});

describe('ServerMetrics', () => {
  it('renders counters, cumulative histogram buckets and gauges in Prometheus text', () => {
    const metrics = new ServerMetrics();
    metrics.observeRequest('/report/fast', '200', 0.0004);
    metrics.observeRequest('/report/fast', '200', 0.003);
    metrics.observeRequest('/report/fast', '503', 20);
    metrics.observeRequest('other', '404', 0.0005);
    metrics.cache.HIT = 1;
    metrics.cache.MISS = 1;
    metrics.queries.fast = 1;
    const text = metrics.render({ inFlight: 2, slowQueueDepth: 3, databaseUp: true, cacheUp: false });
    const lines = text.split('\n');
    expect(text.endsWith('\n')).toBe(true);
    expect(lines.filter((line) => line.startsWith('perfbench_http_requests_total'))).toEqual([
      'perfbench_http_requests_total{route="/report/fast",status="200"} 2',
      'perfbench_http_requests_total{route="/report/fast",status="503"} 1',
      'perfbench_http_requests_total{route="other",status="404"} 1',
    ]);
    const fast = lines.filter((line) => line.startsWith('perfbench_http_request_duration_seconds') && line.includes('route="/report/fast"'));
    expect(fast).toEqual([
      'perfbench_http_request_duration_seconds_bucket{route="/report/fast",le="0.0005"} 1',
      'perfbench_http_request_duration_seconds_bucket{route="/report/fast",le="0.001"} 1',
      'perfbench_http_request_duration_seconds_bucket{route="/report/fast",le="0.0025"} 1',
      'perfbench_http_request_duration_seconds_bucket{route="/report/fast",le="0.005"} 2',
      ...LATENCY_BUCKETS_SECONDS.slice(4).map((le) => `perfbench_http_request_duration_seconds_bucket{route="/report/fast",le="${le}"} 2`),
      'perfbench_http_request_duration_seconds_bucket{route="/report/fast",le="+Inf"} 3',
      'perfbench_http_request_duration_seconds_sum{route="/report/fast"} 20.0034',
      'perfbench_http_request_duration_seconds_count{route="/report/fast"} 3',
    ]);
    // A value equal to a bound falls in that bucket (le is "less than or equal").
    expect(lines).toContain('perfbench_http_request_duration_seconds_bucket{route="other",le="0.0005"} 1');
    expect(lines).toContain('perfbench_report_cache_total{result="hit"} 1');
    expect(lines).toContain('perfbench_report_cache_total{result="miss"} 1');
    expect(lines).toContain('perfbench_report_cache_total{result="bypass"} 0');
    expect(lines).toContain('perfbench_db_queries_total{route="/report/fast"} 1');
    expect(lines).toContain('perfbench_db_queries_total{route="/report/slow"} 0');
    expect(lines).toContain('perfbench_http_in_flight_requests 2');
    expect(lines).toContain('perfbench_slow_queue_depth 3');
    expect(lines).toContain('perfbench_database_up 1');
    expect(lines).toContain('perfbench_cache_up 0');
    // Every family has HELP and TYPE exactly once, before its samples.
    const types = lines.filter((line) => line.startsWith('# TYPE')).map((line) => line.split(' ')[2]);
    expect(types).toEqual([...new Set(types)]);
    expect(types).toHaveLength(8);
    expect(metrics.requestCount('/report/fast')).toBe(3);
    expect(metrics.requestCount('/report/fast', '200')).toBe(2);
  });
});

describe('Breaker', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

  it('opens for retryMs after an availability failure, then lets requests try again', () => {
    let now = 1_000;
    const changes: boolean[] = [];
    const breaker = new Breaker(500, () => now, (up) => changes.push(up));
    breaker.check();
    breaker.failure(refused);
    expect(breaker.up).toBe(false);
    expect(() => breaker.check()).toThrow(DatabaseUnavailable);
    expect(() => breaker.check()).toThrow(/database unavailable: connect ECONNREFUSED/);
    now += 499;
    expect(() => breaker.check()).toThrow(DatabaseUnavailable);
    now += 1;
    expect(() => breaker.check()).not.toThrow();
    breaker.failure(refused);
    breaker.success();
    expect(() => breaker.check()).not.toThrow();
    expect(breaker.up).toBe(true);
    expect(changes).toEqual([false, true]);
  });

  it('ignores query errors that are not about availability', () => {
    const breaker = new Breaker(500, () => 0);
    breaker.failure(Object.assign(new Error('relation "x" does not exist'), { code: '42P01' }));
    expect(() => breaker.check()).not.toThrow();
    expect(breaker.up).toBe(true);
  });
});

describe('isUnavailable', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, true],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, true],
    [{ code: '08006' }, true],
    [{ code: '53300' }, true],
    [new Error('Connection terminated unexpectedly'), true],
    [new Error('timeout exceeded when trying to connect'), true],
    [{ code: '42P01', message: 'relation does not exist' }, false],
    [{ code: '22P02', message: 'invalid input syntax' }, false],
    [new Error('boom'), false],
    [undefined, false],
  ])('%j -> %s', (error, expected) => {
    expect(isUnavailable(error)).toBe(expected);
  });
});

describe('serve flags', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '127.0.0.1.example.com']) expect(isLoopback(host), host).toBe(false);
  });

  it('parses the defaults and rejects bad values with the flag named', () => {
    const options = serveOptions({ port: '8080', host: '127.0.0.1', table: 'public.products', column: 'category', ttl: '300', pool: '10' });
    expect(options).toMatchObject({ port: 8080, host: '127.0.0.1', ttlSeconds: 300, poolSize: 10 });
    expect(options.table.sql).toBe('"public"."products"');
    const base = { port: '8080', host: '127.0.0.1', table: 'products', column: 'category', ttl: '300', pool: '10' };
    expect(() => serveOptions({ ...base, host: ' ' })).toThrow(/--host is empty/);
    expect(() => serveOptions({ ...base, port: '-1' })).toThrow(/--port/);
    expect(() => serveOptions({ ...base, pool: '0' })).toThrow(/--pool '0'/);
    expect(() => serveOptions({ ...base, column: 'a b' })).toThrow(/--column 'a b' is not a valid column name/);
  });
});

describe('rawHeader', () => {
  it('reads a header from the raw list whatever its case, as req.headers would', () => {
    const raw = ['Host', 'x', 'Accept-Encoding', 'gzip', 'IF-NONE-MATCH', '"a"', 'accept-encoding', 'br', 'Content-Type', 'y'];
    expect(rawHeader(raw, 'accept-encoding')).toBe('gzip, br');
    expect(rawHeader(raw, 'if-none-match')).toBe('"a"');
    expect(rawHeader(raw, 'content-length')).toBeUndefined();
    expect(rawHeader(['Content-Length', '0'], 'content-length')).toBe('0');
    expect(rawHeader([], 'host')).toBeUndefined();
  });
});
