/**
 * Workload domain (pure): pgbench's built-in scripts, their text exactly as
 * `pgbench --show-script=NAME` prints it (pgbench 15; the same since PostgreSQL 9.6), read by the
 * same parser as a user's script. They run against the tables `pgbench -i` makes.
 */
import { parseScript, type Script } from './script.js';

export type BuiltinScriptName = 'tpcb-like' | 'simple-update' | 'select-only';

export const BUILTIN_SCRIPT_NAMES: readonly BuiltinScriptName[] = ['tpcb-like', 'simple-update', 'select-only'];

/** The texts, keyed by name (pgbench's -b NAME). */
export const BUILTIN_SCRIPT_TEXT: Readonly<Record<BuiltinScriptName, string>> = {
  'tpcb-like': [
    '\\set aid random(1, 100000 * :scale)',
    '\\set bid random(1, 1 * :scale)',
    '\\set tid random(1, 10 * :scale)',
    '\\set delta random(-5000, 5000)',
    'BEGIN;',
    'UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;',
    'SELECT abalance FROM pgbench_accounts WHERE aid = :aid;',
    'UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;',
    'UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;',
    'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);',
    'END;',
    '',
  ].join('\n'),
  'simple-update': [
    '\\set aid random(1, 100000 * :scale)',
    '\\set bid random(1, 1 * :scale)',
    '\\set tid random(1, 10 * :scale)',
    '\\set delta random(-5000, 5000)',
    'BEGIN;',
    'UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;',
    'SELECT abalance FROM pgbench_accounts WHERE aid = :aid;',
    'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);',
    'END;',
    '',
  ].join('\n'),
  'select-only': ['\\set aid random(1, 100000 * :scale)', 'SELECT abalance FROM pgbench_accounts WHERE aid = :aid;', ''].join('\n'),
};

export function isBuiltinScriptName(name: string): name is BuiltinScriptName {
  return (BUILTIN_SCRIPT_NAMES as readonly string[]).includes(name);
}

/** A built-in script, parsed; its statements are named `<name>#<k>` (e.g. select-only#1). */
export function builtinScript(name: BuiltinScriptName, weight = 1): Script {
  return parseScript(BUILTIN_SCRIPT_TEXT[name], { name, weight });
}
