/**
 * The pure parts of the fast route's near hits: entity tags, the encodings made once per report,
 * Accept-Encoding negotiation (q-values, `*`, refusals) and If-None-Match; and serve's
 * --near-cache-mb flag.
 */
import { createHash } from 'node:crypto';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { serveOptions } from '../../src/flags/serve-flags.js';
import { acceptedEncodings, chooseEncoding, entityTag, MIN_COMPRESS_BYTES, notModified, represent, representationBytes } from '../../src/server/representation.js';

const json = Buffer.from(JSON.stringify({ products: Array.from({ length: 50 }, (_, i) => ({ id: i, category: 'cat-001', name: `product ${i}` })) }));

describe('entity tags', () => {
  it('are the quoted base64url of the first 132 bits of SHA-1, one per coding', () => {
    const digest = createHash('sha1').update(json).digest('base64url').slice(0, 22);
    expect(entityTag(json)).toBe(`"${digest}"`);
    expect(entityTag(json, 'gzip')).toBe(`"${digest}-gzip"`);
    expect(entityTag(Buffer.from('other'))).not.toBe(entityTag(json));
  });
});

describe('represent', () => {
  it('makes gzip and brotli encodings that decode to the body, each with its own tag, smaller than the body', async () => {
    const representation = await represent(json);
    expect(representation.identity).toEqual({ body: json, etag: entityTag(json) });
    expect(gunzipSync(representation.gzip!.body).equals(json)).toBe(true);
    expect(brotliDecompressSync(representation.br!.body).equals(json)).toBe(true);
    expect(representation.gzip!.etag).toBe(entityTag(json, 'gzip'));
    expect(representation.br!.etag).toBe(entityTag(json, 'br'));
    expect(representation.br!.body.length).toBeLessThan(json.length);
    expect(representationBytes(representation)).toBe(json.length + representation.gzip!.body.length + representation.br!.body.length + entityTag(json).length * 3);
  });

  it('leaves out encodings of a small body, and of one that does not compress', async () => {
    const small = Buffer.from('{"a":1}');
    expect(await represent(small)).toEqual({ identity: { body: small, etag: entityTag(small) } });
    // 1 kB of SHA-512 output: nothing for zlib to find.
    const noise = Buffer.concat(Array.from({ length: 16 }, (_, i) => createHash('sha512').update(String(i)).digest()));
    expect(noise.length).toBeGreaterThan(MIN_COMPRESS_BYTES);
    const noisy = await represent(noise);
    expect(noisy.gzip).toBeUndefined();
    expect(noisy.br).toBeUndefined();
  });
});

describe('Accept-Encoding', () => {
  it.each([
    [undefined, { br: false, gzip: false }],
    ['', { br: false, gzip: false }],
    ['gzip', { br: false, gzip: true }],
    ['gzip, deflate, br', { br: true, gzip: true }],
    ['GZIP;q=0.5, BR;Q=1', { br: true, gzip: true }],
    ['br;q=0, gzip;q=0', { br: false, gzip: false }],
    ['*', { br: true, gzip: true }],
    ['*;q=0.1, br;q=0', { br: false, gzip: true }],
    ['identity', { br: false, gzip: false }],
    ['x-gzip', { br: false, gzip: true }],
    ['gzip;q=nonsense', { br: false, gzip: false }],
    [' , gzip ;q=1 ,', { br: false, gzip: true }],
  ])('%j -> %j', (header, expected) => {
    expect(acceptedEncodings(header)).toEqual(expected);
  });

  it('chooses brotli over gzip over identity, among the encodings the representation has', async () => {
    const representation = await represent(json);
    expect(chooseEncoding(representation, { br: true, gzip: true }).coding).toBe('br');
    expect(chooseEncoding(representation, { br: false, gzip: true }).coding).toBe('gzip');
    expect(chooseEncoding(representation, { br: false, gzip: false })).toEqual({ coding: 'identity', encoded: representation.identity });
    const { br: _dropped, ...gzipOnly } = representation;
    expect(chooseEncoding(gzipOnly, { br: true, gzip: true }).coding).toBe('gzip');
  });
});

describe('If-None-Match', () => {
  const tag = '"abc"';
  it.each([
    [undefined, false],
    ['"abc"', true],
    ['"x", "abc"', true],
    ['W/"abc"', true],
    ['*', true],
    ['"abc-gzip"', false],
    ['"ab"', false],
    ['abc', false],
  ])('%j against "abc" -> %s', (header, expected) => {
    expect(notModified(header, tag)).toBe(expected);
  });
});

describe('serve --near-cache-mb', () => {
  const flags = { port: '0', host: '127.0.0.1', table: 'products', column: 'category', ttl: '300', pool: '4' };
  it('defaults to 64 MB, takes 0 (off) and refuses what is not a whole number of MB', () => {
    expect(serveOptions(flags).nearCacheBytes).toBe(64 * 1024 * 1024);
    expect(serveOptions({ ...flags, nearCacheMb: '0' }).nearCacheBytes).toBe(0);
    expect(serveOptions({ ...flags, nearCacheMb: '256' }).nearCacheBytes).toBe(256 * 1024 * 1024);
    expect(() => serveOptions({ ...flags, nearCacheMb: '1.5' })).toThrow(/--near-cache-mb/);
    expect(() => serveOptions({ ...flags, nearCacheMb: '-1' })).toThrow(/--near-cache-mb/);
  });
});
