// The baseline for `npm run bench:http`: a bare node:http server that answers every request with
// the bytes of a file (a cached report) and the same headers /report/fast sends. Prints its port.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const body = readFileSync(process.argv[2]);
const headers = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Cache': 'HIT',
  'Server-Timing': 'queue;dur=0.000, cache;dur=0.000, db;dur=0.000, total;dur=0.000',
  'Content-Length': body.length,
};
const server = createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
