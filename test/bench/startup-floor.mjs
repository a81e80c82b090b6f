// The floor under `perfbench index list`, for `npm run bench:startup`: Node.js, the server's work and
// a minimal client, with no CLI at all. It opens perfbench's lean session (dist/db/lean-session.js:
// node:net and the wire protocol, what index list itself connects with), runs the catalog queries
// index list runs (the table, perfbench's bookkeeping, its intents when it has them, the indexes),
// prints each index as a line and ends the session: no commander, no configuration, no cli-table3.
// Set beside index list's own figure, the difference is what the command adds on top of Node.js and
// the server (parsing, configuration, its modules, the table); the floor over `node -e 0` is what
// no client could avoid. startup.ts also imports `catalogQueries` to time the server's part alone.
//
// Usage (after npm run build): node startup-floor.mjs TARGET_JSON TABLE
import { pathToFileURL } from 'node:url';
import { openLeanSession } from '../../dist/db/lean-session.js';
import { sql } from '../../dist/db/sql.js';

/** index list's queries on `session` for `table`; resolves with the indexes' rows. */
export async function catalogQueries(session, table) {
  const { rows: [found] } = await session.query(sql('table-resolve'), [table]);
  const qualified = `"${found.schema.replace(/"/g, '""')}"."${found.name.replace(/"/g, '""')}"`;
  const { rows: [bookkeeping] } = await session.query(sql('run-metadata-state'));
  if (bookkeeping.intents) await session.query(sql('index-intents-read'), [qualified]);
  return (await session.query(sql('table-indexes'), [qualified])).rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [targetJson, table] = process.argv.slice(2);
  const session = await openLeanSession(JSON.parse(targetJson), 10_000);
  const rows = await catalogQueries(session, table);
  process.stdout.write(rows.map((row) => `${row.name} ${row.method} ${row.columns} ${row.bytes} ${row.scans} ${row.valid}\n`).join(''));
  session.close();
}
