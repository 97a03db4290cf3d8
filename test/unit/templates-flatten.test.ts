import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MailengineError } from '../../src/errors.js';
import { createEnvironment } from '../../src/templates/environment.js';
import { flattenTemplate } from '../../src/templates/flatten.js';
import { bodyContext, renderFlat, renderTemplate, templateContext, type RenderedEmail, type TemplateData } from '../../src/templates/render.js';
import { scanTemplate } from '../../src/templates/scan.js';
import { DirectoryStore, listTemplateNames, MemoryStore, type TemplateStore } from '../../src/templates/store.js';
import { loadStandaloneTemplate, loadTemplate, standaloneFiles, type PreparedTemplate } from '../../src/templates/template.js';

const STARTERS = fileURLToPath(new URL('../../starter-templates', import.meta.url));
const starters = new DirectoryStore(STARTERS, 'starter-templates');
const names = listTemplateNames(STARTERS);

/**
 * The reference: Nunjucks itself rendering the original files, following extends and include
 * through a loader, with the same context rules the renderer applies.
 */
function renderOriginal(store: TemplateStore, template: PreparedTemplate, data: TemplateData): RenderedEmail {
  const context = templateContext(template, data);
  const text = createEnvironment('text', store);
  const line = (s: string) => s.replace(/\s+/g, ' ').trim();
  const subject = line(text.renderString(template.metadata.subject, context));
  const body = bodyContext(context, subject);
  const email: RenderedEmail = {
    subject,
    html: createEnvironment('html', store).render(template.files.html, body),
    text: text.render(template.files.text, body),
  };
  for (const field of ['senderName', 'senderEmail', 'replyTo'] as const) {
    const source = template.metadata[field];
    if (source !== undefined) email[field] = line(text.renderString(source, body));
  }
  return email;
}

/** Sample data, required-only data, sample data without each optional variable, and a logo. */
function dataVariants(template: PreparedTemplate): Array<[string, TemplateData]> {
  const sample = template.metadata.sampleData ?? {};
  const variants: Array<[string, TemplateData]> = [
    ['sample', sample],
    ['required only', Object.fromEntries(template.metadata.requiredVariables.map((v) => [v, sample[v]]))],
    ['logo, no site link', { ...sample, logoUrl: 'https://cdn.example.com/logo.png', companyUrl: '', privacyUrl: '' }],
  ];
  for (const optional of template.metadata.optionalVariables) {
    if (optional in sample) variants.push([`without ${optional}`, Object.fromEntries(Object.entries(sample).filter(([k]) => k !== optional))]);
  }
  return variants;
}

function resolvedTagsIn(source: string): string[] {
  return scanTemplate(source)
    .filter((t) => t.kind === 'tag' && ['extends', 'include', 'block', 'endblock', 'import', 'from'].includes(t.name ?? ''))
    .map((t) => t.name as string);
}

describe('flattening the starter templates', () => {
  it.each(names)('%s: every part renders exactly as Nunjucks renders the originals, for every data variant', (name) => {
    const template = loadTemplate(starters, name);
    const standalone = loadStandaloneTemplate(name, standaloneFiles(template));
    for (const [label, data] of dataVariants(template)) {
      const original = renderOriginal(starters, template, data);
      expect(renderTemplate(template, data), `${name} with ${label}`).toEqual(original);
      expect(renderTemplate(standalone, data), `${name} (stand-alone) with ${label}`).toEqual(original);
    }
  });

  it.each(names)('%s: the pushed files stand alone (no extends, include or block) and carry the brand defaults', (name) => {
    const files = standaloneFiles(loadTemplate(starters, name));
    expect(resolvedTagsIn(files['template.html'])).toEqual([]);
    expect(resolvedTagsIn(files['template.txt'])).toEqual([]);
    const metadata = JSON.parse(files['metadata.json']) as { defaults: Record<string, unknown> };
    expect(metadata.defaults).toMatchObject({ companyName: 'Acme', brandColor: '#2563eb' });
    // Nothing outside the template's own folder is needed to load it.
    expect(() => loadStandaloneTemplate(name, files)).not.toThrow();
  });
});

/** Templates that exercise one flattening rule each, checked against Nunjucks for several data sets. */
const EDGE_CASES: Array<{ name: string; files: Record<string, string>; data: TemplateData[] }> = [
  {
    name: 'whitespace control on tags that disappear, next to tags that stay',
    files: {
      'base.html': 'A  \n  {%- block one -%}  default  {%- endblock -%}  \n B\n{% if flag -%}{% block two %}  two  {% endblock %}{%- endif %}\n[{{- " x " -}}]  {%- include "part.html" -%}  end {# note -#}  tail',
      'part.html': '  part {{ flag }}  ',
      'child.html': '{% extends "base.html" %}  {% block one %}\n  one:{{ flag }}\n{% endblock %}',
    },
    data: [{ flag: true }, { flag: false }],
  },
  {
    name: 'super() through three levels, and blocks nested in blocks',
    files: {
      'base.html': '<{% block outer %}[base-outer {% block inner %}base-inner{% endblock %}]{% endblock %}>',
      'middle.html': '{% extends "base.html" %}{% block outer %}(middle {{ super() }}){% endblock %}',
      'child.html': '{% extends "middle.html" %}{% block inner %}child-inner+{{ super() }}{% endblock %}',
    },
    data: [{}],
  },
  {
    name: 'a block inside a loop sees the loop; child top-level sets and macros reach the layout',
    files: {
      'base.html': '{% for row in rows %}{% block row %}{{ loop.index }}{% endblock %};{% endfor %}|{{ greeting }}|{{ shout("end") }}',
      'child.html': '{% extends "base.html" %}\n{% set greeting = "hi " ~ name %}\n{% macro shout(s) %}{{ s | upper }}!{% endmacro %}\n{% block row %}{{ row.label }}#{{ loop.index }}{% endblock %}',
    },
    data: [{ rows: [{ label: 'a' }, { label: 'b' }], name: 'Ada' }, { rows: [], name: 'Bo' }],
  },
  {
    name: 'includes (relative, missing-but-ignored, inside loops) see the variables around them',
    files: {
      'dir/entry.html': '{% for item in items %}{% set label = item | upper %}{% include "./item.html" %}{% endfor %}{% include "gone.html" ignore missing %}.',
      'dir/item.html': '{% set local = "L" %}<{{ label }}{{ local }}>',
    },
    data: [{ items: ['x', 'y'] }, { items: [] }],
  },
  {
    name: 'a loop in a block writing a name the layout declared (Nunjucks writes through to it)',
    files: {
      'base.html': '{% set last = "none" %}{% block body %}{% endblock %}',
      'child.html': '{% extends "base.html" %}{% block body %}{% for n in nums %}{% set last = n %}{% endfor %}last={{ last }}{% endblock %}',
    },
    data: [{ nums: [1, 2, 3] }, { nums: [] }],
  },
  {
    name: 'raw blocks, filter blocks and autoescaping around inlined content',
    files: {
      'base.html': '{% raw %}{{ not a tag }}{% endraw %}{% filter upper %}{% block b %}{% endblock %}{% endfilter %}',
      'child.html': '{% extends "base.html" %}{% block b %}<i>{{ text }}</i>{% endblock %}',
    },
    data: [{ text: 'a & b' }],
  },
];

describe('flattening equals Nunjucks on tricky templates', () => {
  it.each(EDGE_CASES)('$name', ({ files, data }) => {
    const store = new MemoryStore(files);
    const entry = Object.keys(files).find((f) => f.endsWith('child.html') || f.endsWith('entry.html')) as string;
    const flat = flattenTemplate(store, entry);
    expect(resolvedTagsIn(flat.source)).toEqual([]);
    for (const kind of ['html', 'text'] as const) {
      for (const vars of data) {
        expect(renderFlat({ store }, flat, kind, vars), `${kind} ${JSON.stringify(vars)}`).toBe(createEnvironment(kind, store).render(entry, vars));
      }
    }
  });
});

function flattenError(files: Record<string, string>, entry = 'child.html'): string {
  try {
    flattenTemplate(new MemoryStore(files, 'tpl/'), entry);
  } catch (err) {
    expect(err).toBeInstanceOf(MailengineError);
    return (err as MailengineError).message;
  }
  throw new Error('expected flattening to refuse');
}

describe('flattening refuses what it cannot keep equivalent, saying where', () => {
  const base = { 'base.html': '{% block b %}{% endblock %}|{{ title }}' };

  it('a variable set inside a block and read outside it', () => {
    expect(flattenError({ ...base, 'child.html': '{% extends "base.html" %}{% block b %}\n  {% set title = "x" %}{% endblock %}' })).toBe(
      'tpl/child.html:2:3: "title" is set inside block "b" and also used outside it; Nunjucks keeps such variables local, so the flattened template would differ. Rename it or set it outside the block',
    );
  });

  it('a macro defined inside a block and called outside it, or a block variable read by a macro', () => {
    expect(flattenError({ 'base.html': '{% block b %}{% endblock %}{{ m() }}', 'child.html': '{% extends "base.html" %}{% block b %}{% macro m() %}x{% endmacro %}{% endblock %}' })).toMatch(/"m" is set inside block "b"/);
    expect(flattenError({ 'base.html': '{% macro m() %}{{ v }}{% endmacro %}{% block b %}{% endblock %}', 'child.html': '{% extends "base.html" %}{% block b %}{% set v = 1 %}{{ m() }}{% endblock %}' })).toMatch(/"v" is set inside block "b"/);
  });

  it('imports, computed names and super() inside an expression', () => {
    expect(flattenError({ 'child.html': 'a\n{% import "m.html" as m %}' })).toBe('tpl/child.html:2:1: {% import %} cannot be flattened; use {% include %} with {% set %} variables instead of imported macros');
    expect(flattenError({ 'child.html': '{% include name %}' })).toBe('tpl/child.html:1:1: {% include %} needs a quoted file name to be flattened');
    expect(flattenError({ ...base, 'child.html': '{% extends "base.html" %}{% block b %}{{ super() | upper }}{% endblock %}' })).toMatch(/^tpl\/child.html:1:39: super\(\) can be flattened only/);
  });

  it('content outside blocks in a template that extends a layout', () => {
    expect(flattenError({ ...base, 'child.html': '{% extends "base.html" %}\n\nHello {{ name }}' })).toBe(
      'tpl/child.html:3:1: text outside {% block %} in a template that extends a layout; Nunjucks ignores it there. Move it into a block',
    );
  });

  it('include cycles and missing files', () => {
    expect(flattenError({ 'child.html': '{% include "other.html" %}', 'other.html': '{% include "child.html" %}' })).toMatch(/includes or extends itself \(child.html → other.html → child.html\)/);
    expect(flattenError({ 'child.html': 'x\n  {% include "nope.html" %}' })).toBe('tpl/child.html:2:3: includes "nope.html", which does not exist');
  });
});
