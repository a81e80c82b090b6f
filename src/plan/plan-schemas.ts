/**
 * Plan domain (pure): which schema each scanned relation lives in. EXPLAIN ANALYZE without VERBOSE
 * names a relation but not its schema, so `analytics.events` and `public.events` look alike and
 * index advice would build on whichever search_path finds first. A plain EXPLAIN (VERBOSE) of the
 * same statement (planning only, nothing runs) carries `Schema`; its relations are matched to the
 * analyzed plan's by relation name and alias, which are unique within one statement.
 */
type Json = Record<string, unknown>;

function walk(node: unknown, visit: (node: Json) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  const record = node as Json;
  if (typeof record['Node Type'] === 'string') visit(record);
  for (const value of Object.values(record)) if (value && typeof value === 'object') walk(value, visit);
}

const keyOf = (node: Json) => `${String(node['Relation Name'])}\u0000${String(node['Alias'] ?? '')}`;

/**
 * The analyzed plan with `Schema` added to every relation node the verbose plan places
 * unambiguously (same relation and alias, one schema). Returns a copy; the input is not changed.
 */
export function withSchemas<T>(analyzed: T, verbose: unknown): T {
  const schemas = new Map<string, Set<string>>();
  walk(verbose, (node) => {
    if (typeof node['Relation Name'] !== 'string' || typeof node['Schema'] !== 'string') return;
    const key = keyOf(node);
    if (!schemas.has(key)) schemas.set(key, new Set());
    schemas.get(key)!.add(node['Schema']);
  });
  const copy = structuredClone(analyzed);
  walk(copy, (node) => {
    if (typeof node['Relation Name'] !== 'string' || typeof node['Schema'] === 'string') return;
    const found = schemas.get(keyOf(node));
    if (found?.size === 1) node['Schema'] = [...found][0];
  });
  return copy;
}
