/**
 * Database adapter: the client's side of SCRAM-SHA-256 (RFC 5802, RFC 7677), PostgreSQL's password
 * exchange since version 10, for the lean session (lean-session.ts). Pure: strings and node:crypto,
 * no socket. No channel binding (`n,,`): the lean session never speaks TLS. The password is
 * prepared and the iteration count bounded as node-postgres does, so a password pg accepts is
 * accepted here, and a server cannot make the key derivation run for minutes.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM_MECHANISM = 'SCRAM-SHA-256';

/** No channel binding, no authorization identity: the GS2 header, and its base64 in the final message. */
const GS2_HEADER = 'n,,';
const CHANNEL_BINDING = Buffer.from(GS2_HEADER).toString('base64');

/** Above this, the server's iteration count is refused (node-postgres' scramMaxIterations default). */
export const MAX_ITERATIONS = 100_000;

/**
 * SASLprep as node-postgres applies it (RFC 4013's mappings and NFKC): non-ASCII spaces become a
 * space, the characters "commonly mapped to nothing" go. A password typed with a no-break space, a
 * ligature or a combining mark derives the key the server stored from the same text.
 */
export function saslPrep(password: string): string {
  const nonAsciiSpace = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g;
  // eslint-disable-next-line no-misleading-character-class
  const mappedToNothing = /[\u00AD\u034F\u1806\u180B\u180C\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;
  return password.replace(nonAsciiSpace, ' ').replace(mappedToNothing, '').normalize('NFKC');
}

/** The client-first message and its "bare" part (the part the proofs sign). */
export interface ScramFirst {
  message: string;
  bare: string;
  nonce: string;
}

/**
 * The first message. The user name is `*`, as libpq and node-postgres send it: PostgreSQL takes
 * the role from the startup message and ignores this one. `nonce` is for tests (RFC 7677's example).
 */
export function scramClientFirst(nonce = randomBytes(18).toString('base64'), user = '*'): ScramFirst {
  const bare = `n=${user},r=${nonce}`;
  return { message: GS2_HEADER + bare, bare, nonce };
}

/** The client-final message, and the server signature the server-final message must carry. */
export interface ScramFinal {
  message: string;
  serverSignature: string;
}

/** Answers the server-first message (`r=…,s=…,i=…`) with the proof of `password`. Throws on a malformed or forged one. */
export function scramClientFinal(first: ScramFirst, serverFirst: string, password: string): ScramFinal {
  const fields = attributes(serverFirst);
  const nonce = fields.get('r');
  const salt = fields.get('s');
  const iterations = Number(fields.get('i'));
  if (!nonce || !salt || !Number.isInteger(iterations) || iterations < 1) throw new Error(`SCRAM: malformed server-first message '${serverFirst}'`);
  if (!nonce.startsWith(first.nonce) || nonce.length === first.nonce.length) throw new Error('SCRAM: the server nonce does not extend the client nonce');
  if (iterations > MAX_ITERATIONS) throw new Error(`SCRAM: the server asks for ${iterations} iterations, more than ${MAX_ITERATIONS}`);
  const salted = pbkdf2Sync(saslPrep(password), Buffer.from(salt, 'base64'), iterations, 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=${CHANNEL_BINDING},r=${nonce}`;
  const authMessage = `${first.bare},${serverFirst},${withoutProof}`;
  const signature = hmac(storedKey, authMessage);
  const proof = Buffer.alloc(clientKey.length);
  for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
  const serverSignature = hmac(hmac(salted, 'Server Key'), authMessage).toString('base64');
  return { message: `${withoutProof},p=${proof.toString('base64')}`, serverSignature };
}

/** Checks the server-final message (`v=…`): the server knew the password too. Throws otherwise. */
export function scramVerifyServer(final: ScramFinal, serverFinal: string): void {
  const fields = attributes(serverFinal);
  const error = fields.get('e');
  if (error) throw new Error(`SCRAM: the server refused the proof (${error})`);
  const expected = Buffer.from(final.serverSignature, 'base64');
  const received = Buffer.from(fields.get('v') ?? '', 'base64');
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) throw new Error('SCRAM: the server signature does not match');
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

/** `a=1,b=2` as a map; a value may hold `=` (base64). */
function attributes(message: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) fields.set(part[0]!, part.slice(2));
  }
  return fields;
}
