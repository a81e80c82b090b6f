/**
 * Server layer: one request header read from `req.rawHeaders`. `req.headers` is built on first use
 * (a dictionary of every header, each name lower-cased, one property added at a time); the few
 * headers the request path reads (a body's, Accept-Encoding, If-None-Match) cost a near hit less
 * read from the raw list, which node:http has made anyway. Pure.
 */

/**
 * The value of header `name` (lower case), undefined when absent; repeated lines joined with ', '
 * as `req.headers` joins them (RFC 9110 §5.3). Content-Length is never repeated: node's parser
 * refuses such a request before it is answered.
 */
export function rawHeader(raw: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const field = raw[i]!;
    // Most fields differ in length: only those of the same length are compared, without case.
    if (field.length === name.length && (field === name || field.toLowerCase() === name)) {
      value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
    }
  }
  return value;
}
