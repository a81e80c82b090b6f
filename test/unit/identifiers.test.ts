import { describe, expect, it } from 'vitest';
import { catalogIdentifier, columnIdentifier, displayName, printable, qualifiedText, shellWord, tableIdentifier } from '../../src/workload/identifiers.js';
import { UserError } from '../../src/errors.js';

describe('identifiers', () => {
  it.each([
    // [as written, schema, name, sql, text]
    ['products', undefined, 'products', '"products"', 'products'],
    ['shop.Products_2', 'shop', 'products_2', '"shop"."products_2"', 'shop.products_2'],
    ['"Sales"."Order Items"', 'Sales', 'Order Items', '"Sales"."Order Items"', '"Sales"."Order Items"'],
    ['analytics."PageViews"', 'analytics', 'PageViews', '"analytics"."PageViews"', 'analytics."PageViews"'],
    ['"select"', undefined, 'select', '"select"', '"select"'],
    ['"a.b"', undefined, 'a.b', '"a.b"', '"a.b"'],
    ['"say ""hi"""', undefined, 'say "hi"', '"say ""hi"""', '"say ""hi"""'],
    ['Café', undefined, 'café', '"café"', '"café"'],
  ])('reads %s as PostgreSQL does', (written, schema, name, sql, text) => {
    expect(tableIdentifier(written)).toEqual({ schema, name, sql, text });
  });

  it('reads a column: one name, folded unless quoted', () => {
    expect(columnIdentifier('Category')).toMatchObject({ name: 'category', sql: '"category"' });
    expect(columnIdentifier('"Customer Id"')).toMatchObject({ name: 'Customer Id', sql: '"Customer Id"', text: '"Customer Id"' });
  });

  it.each([
    "products; DROP TABLE products; --", 'a.b.c', '1abc', '', 'x"y', 'a b', 'bad\u0000name', '""', '"open', 'a.', '.a',
  ])('refuses %j', (name) => {
    expect(() => tableIdentifier(name)).toThrow(UserError);
    expect(() => columnIdentifier(name)).toThrow(/is not a valid column name/);
  });

  it('refuses a name PostgreSQL would truncate (more than 63 bytes)', () => {
    expect(() => tableIdentifier('x'.repeat(64))).toThrow(/longer than 63 bytes/);
    expect(() => columnIdentifier(`"${'é'.repeat(32)}"`)).toThrow(/longer than 63 bytes/);
    expect(tableIdentifier('x'.repeat(63)).name).toHaveLength(63);
  });

  it('writes names back for people and shells: quoted only where needed', () => {
    expect(displayName('events')).toBe('events');
    expect(displayName('Events')).toBe('"Events"');
    expect(displayName('order')).toBe('"order"');
    expect(qualifiedText(catalogIdentifier('Sales', 'Order Items'))).toBe('"Sales"."Order Items"');
    expect(shellWord('public.events')).toBe('public.events');
    expect(shellWord('"Sales"."Order Items"')).toBe(`'"Sales"."Order Items"'`);
    expect(shellWord(`it's`)).toBe(`'it'\\''s'`);
  });

  it('prints bad input on one short line', () => {
    expect(printable('a\nb\u0000c')).toBe('a?b?c');
    expect(printable('x'.repeat(100))).toBe(`${'x'.repeat(60)}…`);
  });
});
