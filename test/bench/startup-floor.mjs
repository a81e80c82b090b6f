// The floor under `perfbench index list`, for `npm run bench:startup`: what any Node.js command on
// perfbench's stack pays to list a table's indexes, with none of perfbench but its pg loader (no
// commander, no configuration, no other module of its): load pg as perfbench does (dist/db/pg-driver.js,
// which skips pg's Cloudflare probe), connect, run the same catalog query (sql/table-indexes.sql),
// print the rows with cli-table3, disconnect. Set beside perfbench's own figure, it tells how much
// of the start-up is perfbench's and how much is Node.js, pg, cli-table3 and the server.
//
// Usage (after npm run build): DATABASE_URL=… node startup-floor.mjs TABLE
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pgDriver as pg } from '../../dist/db/pg-driver.js';

const Table = createRequire(import.meta.url)('cli-table3');

const query = readFileSync(new URL('../../sql/table-indexes.sql', import.meta.url), 'utf8');
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
const { rows } = await client.query(query, [process.argv[2]]);
const table = new Table({ head: ['index', 'method', 'columns', 'size', 'scans', 'valid'] });
for (const row of rows) table.push([row.name, row.method, String(row.columns ?? ''), `${row.bytes} B`, row.scans, row.valid ? 'yes' : 'no']);
process.stdout.write(`${table.toString()}\n`);
await client.end();
