/** Database adapter: loads the statements of sql/*.sql and substitutes quoted identifiers. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every statement perfbench runs lives in sql/*.sql. Identifiers (already validated and quoted by
 * identifiers.ts) are substituted for {{name}} placeholders; values are always $n parameters.
 */
const SQL_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'sql');
const cache = new Map<string, string>();

export function sql(name: string, identifiers: Record<string, string> = {}): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(SQL_DIR, `${name}.sql`), 'utf8').trim().replace(/;$/, '');
    cache.set(name, text);
  }
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = identifiers[key];
    if (value === undefined) throw new Error(`sql/${name}.sql needs {{${key}}}`);
    return value;
  });
}
