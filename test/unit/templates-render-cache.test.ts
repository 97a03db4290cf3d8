import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { date, datetime, money } from '../../src/templates/filters.js';
import { renderTemplate } from '../../src/templates/render.js';
import { DirectoryStore, MemoryStore } from '../../src/templates/store.js';
import { loadStandaloneTemplate, loadTemplate } from '../../src/templates/template.js';

// Rendering keeps compiled templates and Intl formatters across renders. These tests prove that
// what is kept never answers for something that changed.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function writeTemplate(root: string, html: string, subject: string): void {
  mkdirSync(join(root, 't'), { recursive: true });
  writeFileSync(join(root, 't', 'template.html'), html);
  writeFileSync(join(root, 't', 'template.txt'), 'Hi {{ name }}');
  writeFileSync(join(root, 't', 'metadata.json'), JSON.stringify({ subject }));
}

describe('compiled templates are cached per loaded template, never by name', () => {
  it('a template edited on disk and loaded again renders the new text, and the old copy still renders the old', () => {
    const root = mkdtempSync(join(tmpdir(), 'mailengine-render-cache-'));
    dirs.push(root);
    const store = new DirectoryStore(root, 'tpl');
    writeTemplate(root, '<p>Old {{ name }}</p>', 'Old subject');
    const before = loadTemplate(store, 't');
    // Rendered several times so the compiled form is certainly cached.
    for (let i = 0; i < 3; i++) expect(renderTemplate(before, { name: 'Ada' })).toMatchObject({ html: '<p>Old Ada</p>', subject: 'Old subject' });

    // Same name, same file names, same length of source: only the content differs.
    writeTemplate(root, '<p>New {{ name }}</p>', 'New subject');
    const after = loadTemplate(store, 't');
    expect(renderTemplate(after, { name: 'Ada' })).toMatchObject({ html: '<p>New Ada</p>', subject: 'New subject' });
    expect(renderTemplate(before, { name: 'Ada' })).toMatchObject({ html: '<p>Old Ada</p>', subject: 'Old subject' });
  });

  it('a changed partial reaches every template that includes it once they are loaded again', () => {
    const files = {
      '_layout/base.html': '<main>{% block content %}{% endblock %}</main>',
      '_layout/brand.json': '{}',
      't/template.html': '{% extends "_layout/base.html" %}{% block content %}{{ name }}{% endblock %}',
      't/template.txt': '{{ name }}',
      't/metadata.json': '{ "subject": "s" }',
    };
    const first = loadTemplate(new MemoryStore(files), 't');
    expect(renderTemplate(first, { name: 'x' }).html).toBe('<main>x</main>');
    const second = loadTemplate(new MemoryStore({ ...files, '_layout/base.html': '<body>{% block content %}{% endblock %}</body>' }), 't');
    expect(renderTemplate(second, { name: 'x' }).html).toBe('<body>x</body>');
  });

  it('a stand-alone template (as the Sender reads it) with new files renders the new files', () => {
    const v1 = loadStandaloneTemplate('t', { 'template.html': '<p>{{ a }}</p>', 'template.txt': '{{ a }}', 'metadata.json': '{ "subject": "one" }' });
    expect(renderTemplate(v1, { a: 1 })).toMatchObject({ html: '<p>1</p>', text: '1', subject: 'one' });
    const v2 = loadStandaloneTemplate('t', { 'template.html': '<b>{{ a }}</b>', 'template.txt': '{{ a }}!', 'metadata.json': '{ "subject": "two" }' });
    expect(renderTemplate(v2, { a: 1 })).toMatchObject({ html: '<b>1</b>', text: '1!', subject: 'two' });
  });
});

describe('formatters are reused only for the same arguments', () => {
  it('money: each currency and locale keeps its own format, in any order', () => {
    for (let round = 0; round < 2; round++) {
      expect(money(1234.5, 'EUR', 'de-DE')).toBe('1.234,50\u00a0€');
      expect(money(1234.5, 'USD', 'de-DE')).toBe('1.234,50\u00a0$');
      expect(money(1234.5, 'EUR', 'en-US')).toBe('€1,234.50');
      expect(money(1234.5)).toBe('$1,234.50');
      expect(money(1234.5, 'JPY', 'ja-JP')).toBe('￥1,235');
    }
  });

  it('a list of locales is not confused with one string that looks the same', () => {
    expect(money(1, 'EUR', ['de-DE', 'en-US'] as unknown as string)).toBe('1,00\u00a0€');
    expect(() => money(1, 'EUR', 'de-DE,en-US')).toThrow(/money\("EUR", "de-DE,en-US"\)/);
    expect(money(1, 'EUR', ['de-DE', 'en-US'] as unknown as string)).toBe('1,00\u00a0€');
  });

  it('a refused currency is refused every time, not remembered as a good one', () => {
    expect(() => money(1, 'EURO')).toThrow(/money\("EURO"/);
    expect(() => money(1, 'EURO')).toThrow(/money\("EURO"/);
  });

  it('date and datetime: the time zone and locale of each call are used', () => {
    for (let round = 0; round < 2; round++) {
      expect(datetime('2026-03-14T15:42:00Z', 'Europe/Berlin')).toBe('March 14, 2026, 4:42 PM GMT+1');
      expect(datetime('2026-03-14T15:42:00Z', 'America/New_York')).toBe('March 14, 2026, 11:42 AM EDT');
      expect(datetime('2026-03-14T15:42:00Z', 'Europe/Berlin', 'de-DE')).toBe('14. März 2026, 16:42 MEZ');
      expect(date('2026-03-14T02:00:00Z', 'America/Los_Angeles')).toBe('March 13, 2026');
      expect(date('2026-03-14T02:00:00Z')).toBe('March 14, 2026');
    }
  });

  it('stays right past the number of formatters it keeps', () => {
    const zones = Intl.supportedValuesOf('timeZone').slice(0, 300);
    const first = zones.map((zone) => datetime(0, zone));
    // Every zone again, after the cache has filled and started over.
    expect(zones.map((zone) => datetime(0, zone))).toEqual(first);
    expect(datetime(0, 'Asia/Tokyo')).toBe('January 1, 1970, 9:00 AM GMT+9');
    expect(datetime(0, 'UTC')).toBe('January 1, 1970, 12:00 AM UTC');
  });
});
