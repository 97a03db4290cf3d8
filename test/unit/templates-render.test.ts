import { describe, expect, it } from 'vitest';
import { MailengineError } from '../../src/errors.js';
import { date, datetime, money } from '../../src/templates/filters.js';
import type { TemplateProblem } from '../../src/templates/problems.js';
import { renderTemplate } from '../../src/templates/render.js';
import { MemoryStore } from '../../src/templates/store.js';
import { loadStandaloneTemplate, loadTemplate } from '../../src/templates/template.js';

const LAYOUT = {
  '_layout/base.html': '<html>\n<title>{{ subject }}</title>\n{% block content %}{% endblock %}\n<footer>{{ companyName }} · {{ postalAddress }}</footer>\n</html>\n',
  '_layout/base.txt': '{% block content %}{% endblock %}\n-- {{ companyName }}\n',
  '_layout/brand.json': '{ "companyName": "Brandco", "postalAddress": "1 Main St" }',
};

function store(files: Record<string, string>): MemoryStore {
  return new MemoryStore({ ...LAYOUT, ...files }, 'tpl/');
}

function template(html: string, text = '{% extends "_layout/base.txt" %}{% block content %}Hi {{ name }}{% endblock %}', metadata: object = {}) {
  return store({
    't/template.html': html,
    't/template.txt': text,
    't/metadata.json': JSON.stringify({ subject: 'Hello {{ name }}', requiredVariables: ['name'], ...metadata }, null, 2),
  });
}

/** Runs `fn`, expecting a template error, and returns its problems. */
function problems(fn: () => unknown): TemplateProblem[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MailengineError);
    return (err as MailengineError).details?.problems as TemplateProblem[];
  }
  throw new Error('expected a template error');
}

describe('rendering', () => {
  it('autoescapes the HTML part only; the subject and text part are left as written', () => {
    const t = loadTemplate(template('{% extends "_layout/base.html" %}{% block content %}<p>{{ name }}</p>{% endblock %}'), 't');
    const email = renderTemplate(t, { name: 'Tom & <Jerry>' });
    expect(email.html).toContain('<p>Tom &amp; &lt;Jerry&gt;</p>');
    expect(email.text).toBe('Hi Tom & <Jerry>\n-- Brandco\n');
    expect(email.subject).toBe('Hello Tom & <Jerry>');
  });

  it('gives the body the rendered subject as `subject`, and brand.json values as defaults that data overrides', () => {
    const t = loadTemplate(template('{% extends "_layout/base.html" %}{% block content %}x{% endblock %}'), 't');
    const email = renderTemplate(t, { name: 'Ada', companyName: 'Override Ltd' });
    expect(email.html).toContain('<title>Hello Ada</title>');
    expect(email.html).toContain('<footer>Override Ltd · 1 Main St</footer>');
  });

  it('turns subjects and sender fields into one trimmed line', () => {
    const t = loadTemplate(template('x', 'y', { subject: '  Hello\n  {{ name }}  ', senderName: '{{ companyName }}\nTeam', replyTo: '{{ name }}@example.com' }), 't');
    expect(renderTemplate(t, { name: 'ada' })).toMatchObject({ subject: 'Hello ada', senderName: 'Brandco Team', replyTo: 'ada@example.com' });
  });

  it('an undefined variable is an error naming it, its file and line, not an empty string', () => {
    const t = loadTemplate(template('{% extends "_layout/base.html" %}\n{% block content %}\n<p>{{ name }}</p>\n<p>{{ user.nickname }}</p>{% endblock %}'), 't');
    expect(problems(() => renderTemplate(t, { name: 'Ada', user: {} }))).toEqual([
      { code: 'TEMPLATE_UNDEFINED_VARIABLE', message: 'undefined variable "user.nickname"', file: 'tpl/t/template.html', line: 4, column: 4 },
    ]);
  });

  it('null counts as undefined when output', () => {
    const t = loadTemplate(template('<p>{{ name }}{{ note }}</p>'), 't');
    expect(problems(() => renderTemplate(t, { name: 'Ada', note: null }))[0]).toMatchObject({ code: 'TEMPLATE_UNDEFINED_VARIABLE', message: 'undefined variable "note"', line: 1, column: 14 });
  });

  it('an undefined variable in the layout is reported in the layout, not in the template that extends it', () => {
    const files = { '_layout/brand.json': '{ "companyName": "Brandco" }' };
    const t = loadTemplate(store({ ...files, 't/template.html': '{% extends "_layout/base.html" %}{% block content %}ok{% endblock %}', 't/template.txt': 'x', 't/metadata.json': '{"subject": "s"}' }), 't');
    expect(problems(() => renderTemplate(t, {}))).toEqual([
      { code: 'TEMPLATE_UNDEFINED_VARIABLE', message: 'undefined variable "postalAddress"', file: 'tpl/_layout/base.html', line: 4, column: 29 },
    ]);
  });

  it('required variables are checked before rendering, all at once', () => {
    const t = loadTemplate(template('{{ name }}{{ orderId }}', 'x', { requiredVariables: ['name', 'orderId', 'total'] }), 't');
    expect(problems(() => renderTemplate(t, { orderId: null }))).toEqual([
      { code: 'TEMPLATE_MISSING_VARIABLES', message: 'templateData has no value for required variables "name", "orderId", "total"', file: 'tpl/t/metadata.json', line: 3 },
    ]);
  });

  it('reports every failing part together', () => {
    const t = loadTemplate(template('<p>{{ a }}</p>', '{{ b }}', { subject: '{{ c }}', requiredVariables: [] }), 't');
    expect(problems(() => renderTemplate(t, {})).map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([
      'tpl/t/metadata.json:2: undefined variable "c"',
      'tpl/t/template.html:1: undefined variable "a"',
      'tpl/t/template.txt:1: undefined variable "b"',
    ]);
  });

  it('a syntax error names the file, line and column', () => {
    const err = (() => {
      try {
        loadTemplate(template('<p>ok</p>\n<p>{% if name %}yes{% endfi %}</p>'), 't');
      } catch (e) {
        return e as MailengineError;
      }
    })();
    expect(err?.exitCode).toBe(2);
    expect(err?.message).toBe('tpl/t/template.html:2:23: unknown block tag: endfi');
  });

  it('a syntax error in an included partial names the partial', () => {
    const s = store({ '_layout/bad.html': 'line one\n{{ broken }', 't/template.html': '{% include "_layout/bad.html" %}', 't/template.txt': 'x', 't/metadata.json': '{"subject": "s"}' });
    expect(problems(() => loadTemplate(s, 't'))).toEqual([{ code: 'TEMPLATE_SYNTAX_ERROR', message: 'expected variable end', file: 'tpl/_layout/bad.html', line: 2, column: 11 }]);
  });

  it('a syntax error in the subject points at the subject line of metadata.json', () => {
    const s = template('x', 'y', { subject: 'Hi {{ name }' });
    expect(problems(() => loadTemplate(s, 't'))).toEqual([{ code: 'TEMPLATE_SYNTAX_ERROR', message: 'expected variable end', file: 'tpl/t/metadata.json', line: 2 }]);
  });

  it('an unknown filter is found before rendering, with its position', () => {
    expect(problems(() => loadTemplate(template('\n  {{ name | shout }}'), 't'))).toEqual([
      { code: 'TEMPLATE_UNKNOWN_FILTER', message: 'unknown filter "shout"', file: 'tpl/t/template.html', line: 2, column: 13 },
    ]);
  });

  it('a filter that rejects its input is located at the filter', () => {
    const t = loadTemplate(template('<p>a</p>\n<p>{{ total | money }}</p>'), 't');
    expect(problems(() => renderTemplate(t, { name: 'x', total: { amount: 3 } }))).toEqual([
      { code: 'TEMPLATE_FILTER_ERROR', message: 'money expects a number, got an object', file: 'tpl/t/template.html', line: 2, column: 15 },
    ]);
  });

  it('missing template files are listed; a template that does not exist is "not found" (exit 4)', () => {
    expect(problems(() => loadTemplate(store({ 't/template.html': 'x' }), 't')).map((p) => p.message)).toEqual(['template.txt is missing', 'metadata.json is missing']);
    let notFound: MailengineError | undefined;
    try {
      loadTemplate(store({}), 'nope');
    } catch (e) {
      notFound = e as MailengineError;
    }
    expect(notFound).toMatchObject({ code: 'TEMPLATE_NOT_FOUND', exitCode: 4 });
  });

  it('templateData must be an object', () => {
    const t = loadTemplate(template('x'), 't');
    expect(problems(() => renderTemplate(t, ['a']))[0].code).toBe('TEMPLATE_DATA_INVALID');
  });

  it('renders a stand-alone template from strings, as the Sender reads it from S3', () => {
    const t = loadStandaloneTemplate('receipt', {
      'template.html': '<p>{{ amount | money("EUR") }} for {{ name }}</p>',
      'template.txt': '{{ amount | money("EUR") }} for {{ name }}',
      'metadata.json': JSON.stringify({ subject: 'Receipt for {{ name }}', requiredVariables: ['name', 'amount'], defaults: { name: 'you' } }),
    });
    expect(renderTemplate(t, { amount: 12 })).toEqual({ subject: 'Receipt for you', html: '<p>€12.00 for you</p>', text: '€12.00 for you' });
    expect(problems(() => renderTemplate(t, { amount: 12, name: undefined }))[0].file).toBe('templates/receipt/metadata.json');
  });

  it('a stand-alone template cannot reach a layout; it says which file is missing', () => {
    const files = { 'template.html': '{% extends "_layout/base.html" %}', 'template.txt': 'x', 'metadata.json': '{"subject": "s"}' };
    expect(problems(() => loadStandaloneTemplate('t', files))).toEqual([
      { code: 'TEMPLATE_INCLUDE_NOT_FOUND', message: 'extends "_layout/base.html", which does not exist', file: 'templates/t/template.html', line: 1, column: 1 },
    ]);
  });

  it('renders SESMailEngine-style templates unchanged (Jinja2 syntax, its metadata fields)', () => {
    const t = loadStandaloneTemplate('welcome', {
      'template.html': "<title>{{ subject }}</title>{% if logoUrl %}<img src=\"{{ logoUrl }}\">{% endif %}<a>{{ ctaText | default('Click Here') }}</a>{% for item in orderItems %}{{ loop.index }}={{ item.name | upper }};{% endfor %}{% if isPremium == True %}premium{% endif %}",
      'template.txt': '{{ userName }} © {{ year | default(2026) }}',
      'metadata.json': JSON.stringify({ subject: "{{ subject | default('Welcome to ' + companyName) }}", senderName: '{{ companyName }} Team', requiredVariables: ['userName', 'companyName'], optionalVariables: ['logoUrl'], version: '1.0.0' }),
    });
    const email = renderTemplate(t, { userName: 'John', companyName: 'Acme Corp', orderItems: [{ name: 'a' }, { name: 'b' }], isPremium: true });
    expect(email).toEqual({
      subject: 'Welcome to Acme Corp',
      senderName: 'Acme Corp Team',
      html: '<title>Welcome to Acme Corp</title><a>Click Here</a>1=A;2=B;premium',
      text: 'John © 2026',
    });
  });
});

describe('Jinja2 compatibility', () => {
  it('dict methods and Python constants work, and a property of the data wins over a method of the same name', () => {
    const t = loadStandaloneTemplate('t', {
      'template.html': '{% for k, v in prices.items() %}{{ k }}={{ v }};{% endfor %}|{% for i in order.items %}{{ i }}{% endfor %}|{{ order.get("id") }}|{{ flag == True }}|{{ [1, 2, 3, 4][1:3] | join(",") }}',
      'template.txt': '{{ order.values | default("none") }}',
      'metadata.json': '{"subject": "s"}',
    });
    const email = renderTemplate(t, { prices: { a: 1, b: 2 }, order: { id: 'A-1', items: ['x', 'y'], values: 'v' }, flag: true });
    expect(email.html).toBe('a=1;b=2;|xy|A-1|true|2,3');
    expect(email.text).toBe('v');
  });
});

describe('helper filters', () => {
  it('money formats numbers and numeric strings, passes formatted strings and missing values through', () => {
    expect(money(1234.5)).toBe('$1,234.50');
    expect(money('19.9', 'EUR', 'de-DE')).toBe('19,90\u00a0€');
    expect(money('$49.00')).toBe('$49.00');
    expect(money(undefined)).toBeUndefined();
    expect(() => money(Number.NaN)).toThrow('finite number');
    expect(() => money(1, 'EURO')).toThrow(/money\("EURO"/);
  });

  it('date keeps calendar dates on their day whatever the time zone; datetime shows the zone', () => {
    expect(date('2026-03-14', 'America/Los_Angeles')).toBe('March 14, 2026');
    expect(date('2026-03-14T02:00:00Z', 'America/Los_Angeles')).toBe('March 13, 2026');
    expect(datetime('2026-03-14T15:42:00Z', 'Europe/Berlin')).toBe('March 14, 2026, 4:42 PM GMT+1');
    expect(datetime(Date.UTC(2026, 0, 2, 3, 4))).toBe('January 2, 2026, 3:04 AM UTC');
    expect(date('next Tuesday')).toBe('next Tuesday');
    expect(() => datetime('2026-03-14T10:00:00Z', 'Mars/Olympus')).toThrow(/datetime/);
    expect(() => date({})).toThrow('ISO 8601');
  });
});
