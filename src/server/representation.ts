/**
 * Server layer: a report body as the fast route sends it from memory: its entity tag, and its gzip
 * and brotli encodings made once when it enters the near cache (never per request), so a near hit
 * costs a lookup and a write. Content negotiation (Accept-Encoding) and revalidation
 * (If-None-Match) are the pure parts.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { ownBytes } from '../cache/near-cache.js';
import { inEncodeSlot } from './encode-slots.js';

export type ContentCoding = 'identity' | 'gzip' | 'br';

/** One encoding of a report: its bytes and its strong entity tag (each encoding has its own, RFC 9110 §8.8.3). */
export interface Encoded {
  body: Buffer;
  etag: string;
}

/** A report body with what a near hit sends: the identity bytes and the encodings worth sending. */
export interface Representation {
  identity: Encoded;
  gzip?: Encoded;
  br?: Encoded;
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Below this, an encoding saves less than its headers cost. */
export const MIN_COMPRESS_BYTES = 256;

/**
 * Brotli quality 5: within a few per cent of gzip -9's time and clearly smaller than gzip on JSON;
 * quality 11 (zlib's default) is ~50x slower for a few per cent more.
 */
const BROTLI_QUALITY = 5;

/**
 * `"<the first 132 bits of SHA-1(body), base64url>"`: a strong tag, quoted as RFC 9110 wants. SHA-1,
 * not SHA-256: a tag needs no resistance to crafted collisions, and SHA-1 hashes a 122 kB report in
 * about half the time on this machine.
 */
export function entityTag(body: Buffer, coding: ContentCoding = 'identity'): string {
  const digest = createHash('sha1').update(body).digest('base64url').slice(0, 22);
  return coding === 'identity' ? `"${digest}"` : `"${digest}-${coding}"`;
}

/**
 * The body's identity tag now, and its encodings when zlib (on libuv's thread pool, off the event
 * loop) has made them, a few bodies at a time (encode-slots.ts). An encoding that is not smaller
 * than the body is left out.
 */
export async function represent(body: Buffer, tag = entityTag(body)): Promise<Representation> {
  // Kept for long in the near cache: each encoding in memory of its own (see ownBytes).
  const identity: Encoded = { body: ownBytes(body), etag: tag };
  if (body.length < MIN_COMPRESS_BYTES) return { identity };
  const [gzipped, brotli] = await inEncodeSlot(() => Promise.all([
    gzipAsync(body, { level: 9 }),
    brotliAsync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
  ]));
  const tagged = (coded: Buffer, coding: ContentCoding): Encoded | undefined =>
    coded.length < body.length ? { body: ownBytes(coded), etag: `${tag.slice(0, -1)}-${coding}"` } : undefined;
  const representation: Representation = { identity };
  const gz = tagged(gzipped, 'gzip');
  const br = tagged(brotli, 'br');
  if (gz) representation.gzip = gz;
  if (br) representation.br = br;
  return representation;
}

/** The bytes a representation holds (for the near cache's bound). */
export function representationBytes(representation: Representation): number {
  return representation.identity.body.length + (representation.gzip?.body.length ?? 0) + (representation.br?.body.length ?? 0)
    + representation.identity.etag.length * 3;
}

/** What a client accepts, from Accept-Encoding: the codings with q > 0 (RFC 9110 §12.5.3). */
export interface Accepted {
  br: boolean;
  gzip: boolean;
}

const NOTHING: Accepted = { br: false, gzip: false };
/** Clients send a handful of distinct headers; parsing each once keeps negotiation off the hit path. */
const acceptedCache = new Map<string, Accepted>();
const ACCEPTED_CACHE_LIMIT = 256;

/** Parses Accept-Encoding. `*` stands for any coding not named; a q of 0 refuses. */
export function acceptedEncodings(header: string | undefined): Accepted {
  if (header === undefined || header === '') return NOTHING;
  const known = acceptedCache.get(header);
  if (known) return known;
  const q: Record<string, number> = {};
  for (const part of header.split(',')) {
    const [rawName, ...params] = part.split(';');
    const name = rawName!.trim().toLowerCase();
    if (name === '') continue;
    let weight = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key?.trim().toLowerCase() === 'q') weight = Number(value?.trim());
    }
    q[name] = Number.isFinite(weight) ? weight : 0;
  }
  const allows = (coding: string) => (q[coding] ?? q['*'] ?? 0) > 0;
  // x-gzip is gzip's old name (RFC 9110 §8.4.1.3).
  const accepted: Accepted = { br: allows('br'), gzip: allows('gzip') || (q['x-gzip'] ?? 0) > 0 };
  if (acceptedCache.size >= ACCEPTED_CACHE_LIMIT) acceptedCache.clear();
  acceptedCache.set(header, accepted);
  return accepted;
}

/** The encoding to send: brotli when accepted (smallest), else gzip, else identity. */
export function chooseEncoding(representation: Representation, accepted: Accepted): { coding: ContentCoding; encoded: Encoded } {
  if (accepted.br && representation.br) return { coding: 'br', encoded: representation.br };
  if (accepted.gzip && representation.gzip) return { coding: 'gzip', encoded: representation.gzip };
  return { coding: 'identity', encoded: representation.identity };
}

/**
 * If-None-Match (RFC 9110 §13.1.2): true when the client's tags include the one of the
 * representation it would get (weak comparison: `W/` is ignored), or `*`.
 */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch === etag) return true;
  for (const raw of ifNoneMatch.split(',')) {
    const tag = raw.trim();
    if (tag === '*' || tag === etag || (tag.startsWith('W/') && tag.slice(2) === etag)) return true;
  }
  return false;
}
