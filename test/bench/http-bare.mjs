// The baseline for `npm run bench:http`: a bare node:http server that answers every request with
// the bytes and headers of a recorded /report/fast answer (a JSON file: { headers, body (base64),
// gzip?: { headers, body } }). With a gzip variant recorded it serves it, pre-compressed, to a
// request whose Accept-Encoding names gzip, as the near cache does: the same bytes, the same
// choice, no work per request. Prints its port.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const recorded = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const variant = (v) => ({ headers: v.headers, body: Buffer.from(v.body, 'base64') });
const identity = variant(recorded);
const gzip = recorded.gzip ? variant(recorded.gzip) : undefined;
const server = createServer((req, res) => {
  const chosen = gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '') ? gzip : identity;
  res.writeHead(200, chosen.headers);
  res.end(chosen.body);
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
