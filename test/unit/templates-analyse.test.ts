import { describe, expect, it } from 'vitest';
import { collectMemberReads, EACH, type MemberStep } from '../../src/templates/analyse.js';
import type { VariablesContract } from '../../src/templates/contract.js';
import { parseTemplate } from '../../src/templates/nunjucks-api.js';
import { undeclaredMember } from '../../src/templates/validate.js';

const reads = (source: string): MemberStep[][] => collectMemberReads(parseTemplate(source)).map((r) => r.path);

describe('collectMemberReads', () => {
  it('reads every step of a chain, with dots, literal keys and indexes', () => {
    expect(reads('{{ order.customer.name }} {{ order["id"] }} {{ items[2].price }}')).toEqual([
      ['order', 'customer', 'name'],
      ['order', 'customer'],
      ['order', 'id'],
      ['items', 2, 'price'],
      ['items', 2],
    ]);
  });

  it('follows a loop variable to the array it walks, nested loops included, and not past the loop', () => {
    // In the else branch no element is bound: `g` there is the caller's.
    expect(reads('{% for g in groups %}{% for i in g.items %}{{ i.name }}{% endfor %}{% else %}{{ g.x }}{% endfor %}')).toEqual([
      ['groups', EACH, 'items'],
      ['groups', EACH, 'items', EACH, 'name'],
      ['g', 'x'],
    ]);
  });

  it('leaves out what leads to no data the caller passes', () => {
    const source = [
      '{% macro row(order, extra = brand.colour) %}{{ order.total }}{% endmacro %}',
      '{% set first = items[0] %}{{ first.name }}',
      '{% for key, value in order %}{{ value.x }}{% endfor %}',
      '{{ loop.index }} {{ order[field] }} {{ (order | money).x }}',
    ].join('\n');
    // The macro's default is read where the macro is defined; items[0] is read by the set.
    expect(reads(source)).toEqual([['brand', 'colour'], ['items', 0]]);
  });

  it('reads inside a block {% set %} too, and lets a set inside a loop or macro rebind only there', () => {
    expect(reads('{% set line %}{{ order.currency }}{% endset %}')).toEqual([['order', 'currency']]);
    // The loop variable set to something else leads to no data; its value is still read.
    expect(reads('{% for item in items %}{% set item = item.product %}{{ item.name }}{% endfor %}')).toEqual([]);
    // A set inside a macro is the macro's: the caller's `order` is still checked outside it.
    expect(reads('{% macro m(o) %}{% set order = o %}{{ order.id }}{% endmacro %}{{ order.total }}')).toEqual([['order', 'total']]);
    // A set outside macros may hold anything from there on.
    expect(reads('{% for i in items %}{% set order = i %}{% endfor %}{{ order.total }}')).toEqual([]);
  });

  it('follows filters that keep an array\'s elements, or pick one, and no others', () => {
    expect(reads('{% for item in items | sort(attribute="name") | reverse %}{{ item.colour }}{% endfor %}')).toEqual([['items', EACH, 'colour']]);
    expect(reads('{{ (order.lines | first).sku }}')).toEqual([['order', 'lines', EACH, 'sku'], ['order', 'lines']]);
    // batch makes arrays of elements; money is the project's own: neither leads to known data.
    expect(reads('{% for row in items | batch(2) %}{{ row.x }}{% endfor %}{{ (total | money).y }}')).toEqual([]);
  });

  it('points at the member read, 0-based as the AST is', () => {
    expect(collectMemberReads(parseTemplate('Hi\n  {{ user.name }}'))).toEqual([{ path: ['user', 'name'], lineno: 1, colno: 10 }]);
  });
});

describe('undeclaredMember', () => {
  const contract: VariablesContract = {
    properties: {
      order: { type: 'object', properties: { id: { type: 'string' }, lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } } } },
      meta: { type: 'object' },
      tags: { type: 'array', items: { type: 'string' } },
      name: { type: 'string' },
    },
  };

  it('names the first field a declared object leaves out, and where it would be declared', () => {
    expect(undeclaredMember(contract, ['order', 'total', 'amount'])).toEqual({ field: 'order.total', declaredIn: 'variables.properties.order.properties' });
    expect(undeclaredMember(contract, ['order', 'lines', EACH, 'qty'])).toEqual({ field: 'order.lines[].qty', declaredIn: 'variables.properties.order.properties.lines.items.properties' });
    expect(undeclaredMember(contract, ['order', 'lines', 3, 'qty'])).toEqual({ field: 'order.lines[3].qty', declaredIn: 'variables.properties.order.properties.lines.items.properties' });
  });

  it('passes declared fields, and paths that leave what the contract describes', () => {
    expect(undeclaredMember(contract, ['order', 'lines', EACH, 'sku'])).toBeUndefined();
    // A top-level name is checked elsewhere; an object without properties, strings and arrays have members of their own.
    const outside: MemberStep[][] = [['companyName', 'x'], ['meta', 'anything'], ['name', 'length'], ['tags', 'length'], ['tags', EACH, 'x']];
    for (const path of outside) {
      expect(undeclaredMember(contract, path)).toBeUndefined();
    }
  });
});
