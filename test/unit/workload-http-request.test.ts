/**
 * What bench --workload --http sends and how it counts failures, without a server: each read
 * statement's request path (its served name, its variables as query parameters, encoded so that
 * perfbench serve's URLSearchParams reads back exactly the bound values), and the SQLSTATE of an
 * error (a Node.js error code is not one).
 */
import { describe, expect, it } from 'vitest';
import { statementRequest } from '../../src/targets/workload-http-path.js';
import { sqlstateOf } from '../../src/targets/workload-execution.js';
import { parseScript } from '../../src/workload/pgbench/index.js';

const script = parseScript([
  '-- name: by_customer',
  'SELECT * FROM "Order Items" WHERE "Customer Id" = :cid AND note <> :note AND "Customer Id" < :cid + 100;',
  'SELECT now();',
  '',
].join('\n'), { name: 'dir/sub/orders.sql' });

describe('a read statement over HTTP', () => {
  it('is asked for by its served name, each variable once, in the order of first use, values read back exactly', () => {
    const [named, unnamed] = script.statements;
    const values = ['42', 'a b+c&d=e/é%20', '42'];
    const path = statementRequest(script, named!, 'fast')(values);
    expect(path.startsWith('/q/by_customer/fast?cid=42&note=')).toBe(true);
    const url = new URL(path, 'http://localhost');
    expect(named!.parameters.map((p) => url.searchParams.get(p))).toEqual(values);
    // Unnamed: <file>#<k> by the file's base name, as serve names it, the # encoded.
    expect(statementRequest(script, unnamed!, 'slow')([])).toBe('/q/orders.sql%232/slow');
  });

  it('counts a failure by the SQLSTATE the server sent, and a Node.js error code as client', () => {
    expect(sqlstateOf(Object.assign(new Error('x'), { code: '22P02' }))).toBe('22P02');
    expect(sqlstateOf(Object.assign(new Error('x'), { code: '40001' }))).toBe('40001');
    expect(sqlstateOf(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' }))).toBe('client');
    expect(sqlstateOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('client');
    expect(sqlstateOf(new Error('socket hang up'))).toBe('client');
  });
});
