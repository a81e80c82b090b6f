/** Loads the EXPLAIN fixtures under fixtures/plans/ for the plan unit tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parsePlan, type ParsedPlan } from '../../src/plan/plan.js';

const dir = fileURLToPath(new URL('../../fixtures/plans/', import.meta.url));

/** The raw JSON text of `fixtures/plans/<name>.json`. */
export function fixtureText(name: string): string {
  return readFileSync(`${dir}${name}.json`, 'utf8');
}

/** The parsed JSON value (the `QUERY PLAN` array) of a fixture, for tests that edit it. */
export function fixtureJson(name: string): [Record<string, any>] {
  return JSON.parse(fixtureText(name));
}

/** A fixture parsed by `parsePlan`. */
export function fixture(name: string): ParsedPlan {
  return parsePlan(fixtureText(name));
}
