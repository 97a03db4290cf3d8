import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MailengineError } from '../../src/errors.js';
import { validateTemplates, type TemplateReport, type ValidationReport } from '../../src/templates/validate.js';

const STARTERS = fileURLToPath(new URL('../../starter-templates', import.meta.url));
const INVALID = fileURLToPath(new URL('../fixtures/templates/invalid', import.meta.url));
const SESMAILENGINE = fileURLToPath(new URL('../fixtures/templates/sesmailengine', import.meta.url));

const invalid = validateTemplates({ dir: INVALID, displayDir: 'invalid' });
const byName = (name: string) => invalid.templates.find((t) => t.name === name) as TemplateReport;

/** Each problem as `file:line code` (line omitted when there is none), for compact expectations. */
function located(report: TemplateReport): string[] {
  return report.problems.map((p) => `${p.file}${p.line === undefined ? '' : `:${p.line}`}${p.column === undefined ? '' : `:${p.column}`} ${p.code}`);
}

describe('templates validate', () => {
  it('passes every starter template, with no warnings', () => {
    const report = validateTemplates({ dir: STARTERS, displayDir: 'starter-templates' });
    expect(report).toMatchObject({ ok: true, problemCount: 0, warningCount: 0 });
    expect(report.templates).toHaveLength(12);
    expect(report.templates.every((t) => t.version === '1.0.0' && t.description)).toBe(true);
  });

  it('finds a problem in every broken fixture and none anywhere else', () => {
    expect(invalid.ok).toBe(false);
    expect(invalid.templates.filter((t) => t.ok).map((t) => t.name)).toEqual([]);
  });

  it.each([
    ['syntax-error', ['invalid/syntax-error/template.html:4:45 TEMPLATE_SYNTAX_ERROR']],
    ['undefined-variable', ['invalid/undefined-variable/template.html:4:18 TEMPLATE_UNDEFINED_VARIABLE']],
    ['layout-error', ['invalid/_layout/strict.html:5:9 TEMPLATE_UNDEFINED_VARIABLE']],
    ['unused-required', ['invalid/unused-required/metadata.json:3 TEMPLATE_REQUIRED_UNUSED']],
    ['missing-text', ['invalid/missing-text/template.txt TEMPLATE_FILE_MISSING']],
    ['empty-text', ['invalid/empty-text/template.txt TEMPLATE_EMPTY_TEXT']],
    ['bad-metadata', ['invalid/bad-metadata/metadata.json:1 TEMPLATE_METADATA_INVALID', 'invalid/bad-metadata/metadata.json:3 TEMPLATE_METADATA_INVALID', 'invalid/bad-metadata/metadata.json:4 TEMPLATE_METADATA_INVALID']],
    ['relative-url', ['invalid/relative-url/template.html:4:7 TEMPLATE_RELATIVE_URL', 'invalid/relative-url/template.html:5:6 TEMPLATE_RELATIVE_URL', 'invalid/relative-url/template.html TEMPLATE_RELATIVE_URL']],
    ['sample-incomplete', ['invalid/sample-incomplete/metadata.json:4 TEMPLATE_SAMPLE_INCOMPLETE']],
    ['unknown-filter', ['invalid/unknown-filter/template.html:3:24 TEMPLATE_UNKNOWN_FILTER']],
    ['block-scope', ['invalid/block-scope/template.html:3:1 TEMPLATE_FLATTEN_UNSUPPORTED']],
    ['missing-layout', ['invalid/missing-layout/template.html:1:1 TEMPLATE_INCLUDE_NOT_FOUND']],
    ['contract-undeclared', ['invalid/contract-undeclared/template.html:2:48 TEMPLATE_UNDECLARED_VARIABLE']],
    [
      'contract-undeclared-field',
      [
        'invalid/contract-undeclared-field/template.html:3:50 TEMPLATE_UNDECLARED_VARIABLE',
        'invalid/contract-undeclared-field/template.html:4:73 TEMPLATE_UNDECLARED_VARIABLE',
        'invalid/contract-undeclared-field/template.html:5:59 TEMPLATE_UNDECLARED_VARIABLE',
      ],
    ],
    ['contract-unused-required', ['invalid/contract-unused-required/metadata.json:6 TEMPLATE_REQUIRED_UNUSED']],
    [
      'contract-sample',
      [
        'invalid/contract-sample/metadata.json:15 TEMPLATE_DEFAULTS_INVALID',
        'invalid/contract-sample/metadata.json:16 TEMPLATE_SAMPLE_INVALID',
        'invalid/contract-sample/metadata.json:17 TEMPLATE_SAMPLE_INVALID',
        'invalid/contract-sample/metadata.json:20 TEMPLATE_SAMPLE_INVALID',
      ],
    ],
  ])('%s', (name, expected) => {
    expect(located(byName(name))).toEqual(expected);
  });

  it('says what is wrong in words a person can act on', () => {
    expect(byName('undefined-variable').problems[0].message).toBe('undefined variable "userNam"');
    expect(byName('relative-url').problems.map((p) => p.message)).toEqual([
      'href="/account" is not an absolute URL; emails need https://, http://, mailto: or tel:',
      'src="images/logo.png" is not an absolute URL; emails need https://, http://, mailto: or tel:',
      'with the sample data, renders href="/profile", which is not an absolute URL',
    ]);
    expect(byName('unused-required').problems[0].message).toBe('required variable "orderId" is not used by the subject, HTML or text');
    expect(byName('undefined-variable').warnings.map((w) => w.message)).toEqual(['used but not listed in requiredVariables or optionalVariables: userNam']);
  });

  it('checks a contract against the template and the data it ships with, in words', () => {
    expect(byName('contract-undeclared').problems.map((p) => p.message)).toEqual(['"nickname" is used but not declared in variables.properties']);
    expect(byName('contract-unused-required').problems.map((p) => p.message)).toEqual(['required variable "orderId" is not used by the subject, HTML or text']);
    // Fields read inside declared objects and array elements, even when sampleData has them; a
    // macro parameter, a {% set %} name and a key/value loop lead to no declared data.
    expect(byName('contract-undeclared-field').problems.map((p) => p.message)).toEqual([
      '"order.currency" is used but not declared in variables.properties.order.properties',
      '"items[].colour" is used but not declared in variables.properties.items.items.properties',
      '"items[0].sku" is used but not declared in variables.properties.items.items.properties',
    ]);
    // An optional name the template never reads is only a warning, at its declaration.
    expect(byName('contract-unused-required').warnings.map((w) => `${w.line} ${w.message}`)).toEqual(['7 optional variable "note" is not used anywhere']);
    expect(byName('contract-sample').problems.map((p) => p.message)).toEqual([
      'defaults.plan: expected one of "free", "pro"',
      'sampleData.orderId: is required',
      'sampleData.email: expected an email address',
      'sampleData.items[1].price: expected number, got string',
    ]);
  });

  it('blames a brand default that breaks a contract on brand.json, and passes data that keeps it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailengine-templates-'));
    cpSync(STARTERS, dir, { recursive: true });
    const file = join(dir, 'welcome', 'metadata.json');
    const metadata = JSON.parse(readFileSync(file, 'utf8')) as { variables: { properties: Record<string, unknown> } };
    metadata.variables.properties.companyName = { type: 'number' };
    writeFileSync(file, JSON.stringify(metadata, null, 2));
    const report = validateTemplates({ dir, displayDir: 'copy', names: ['welcome', 'invoice'] });
    expect(report.templates.find((t) => t.name === 'welcome')?.problems.map((p) => `${p.file}:${p.line} ${p.message}`)).toEqual(['copy/_layout/brand.json:2 brand.companyName: expected number, got string']);
    expect(report.templates.find((t) => t.name === 'invoice')?.ok).toBe(true);
  });

  it('rejects HTML over 256 KB and warns above the size Gmail clips at', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailengine-templates-'));
    cpSync(STARTERS, dir, { recursive: true });
    const html = join(dir, 'welcome', 'template.html');
    const original = readFileSync(html, 'utf8');
    writeFileSync(html, original.replace('{% endblock %}\n\n{% block footer_note', `<p>${'padding '.repeat(34_000)}</p>\n{% endblock %}\n\n{% block footer_note`));
    writeFileSync(join(dir, 'invoice', 'template.html'), readFileSync(join(dir, 'invoice', 'template.html'), 'utf8').replace('{% endblock %}\n\n{% block footer_note', `<p>${'padding '.repeat(14_000)}</p>\n{% endblock %}\n\n{% block footer_note`));
    const report = validateTemplates({ dir, displayDir: 'copy', names: ['welcome', 'invoice'] });
    const welcome = report.templates.find((t) => t.name === 'welcome') as TemplateReport;
    expect(welcome.problems.map((p) => [p.code, p.file])).toEqual([
      ['TEMPLATE_TOO_LARGE', 'copy/welcome/template.html'],
      ['TEMPLATE_TOO_LARGE', 'copy/welcome/template.html'],
    ]);
    expect(welcome.problems[0].message).toMatch(/^is 2\d\d\.\d KB with its layout and includes; the limit is 256\.0 KB/);
    const invoice = report.templates.find((t) => t.name === 'invoice') as TemplateReport;
    expect(invoice.ok).toBe(true);
    expect(invoice.warnings.map((w) => w.code)).toEqual(['TEMPLATE_GMAIL_CLIPPING']);
  });

  it('accepts a SESMailEngine template as it is, warning only that it has no sample data to render', () => {
    const report = validateTemplates({ dir: SESMAILENGINE });
    expect(report.ok).toBe(true);
    expect(report.templates[0].warnings.map((w) => w.code)).toEqual(['TEMPLATE_NO_SAMPLE_DATA']);
  });

  it('a missing folder, an empty one, or an unknown name is "not found" (exit 4)', () => {
    const empty = mkdtempSync(join(tmpdir(), 'mailengine-empty-'));
    mkdirSync(join(empty, '_layout'));
    const attempt = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err as MailengineError;
      }
    };
    expect(attempt(() => validateTemplates({ dir: join(empty, 'nope'), displayDir: 'nope' }))).toMatchObject({ code: 'TEMPLATES_DIR_NOT_FOUND', exitCode: 4, message: 'No templates folder at nope.' });
    expect(attempt(() => validateTemplates({ dir: empty }))).toMatchObject({ code: 'TEMPLATES_NOT_FOUND', exitCode: 4 });
    expect(attempt(() => validateTemplates({ dir: STARTERS, names: ['welcome', 'welcom'] }))).toMatchObject({ code: 'TEMPLATE_NOT_FOUND', exitCode: 4 });
  });
});

/** A copy of the starters with some files changed, validated under the name "copy". */
function validateEdited(names: string[], edit: (dir: string) => void): ValidationReport {
  const dir = mkdtempSync(join(tmpdir(), 'mailengine-templates-'));
  cpSync(STARTERS, dir, { recursive: true });
  edit(dir);
  return validateTemplates({ dir, displayDir: 'copy', names });
}

function editLine(file: string, line: number, change: (text: string) => string): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines[line - 1] = change(lines[line - 1]);
  writeFileSync(file, lines.join('\n'));
}

describe('templates validate: a field a contract leaves out', () => {
  it('is one problem, at its first use, wherever the sample render happens to stop on it', () => {
    // The HTML reads the field further down than the text part does, and the sample has no value for it.
    const report = validateEdited(['invoice'], (dir) => {
      editLine(join(dir, 'invoice', 'template.html'), 31, (l) => `${l}{{ item.colour }}`);
      editLine(join(dir, 'invoice', 'template.txt'), 6, (l) => `{% for i in items %}{{ i.colour }}{% endfor %}${l}`);
    });
    expect(report.templates[0].problems.map((p) => `${p.file}:${p.line} ${p.code} ${p.message}`)).toEqual([
      'copy/invoice/template.html:31 TEMPLATE_UNDECLARED_VARIABLE "items[].colour" is used but not declared in variables.properties.items.items.properties',
    ]);
  });
});

describe('templates validate: a tag left open', () => {
  it('is reported where it was opened, with where Nunjucks stopped (the layout block\'s end, far below)', () => {
    const report = validateEdited(['invoice'], (dir) => editLine(join(dir, 'invoice', 'template.html'), 12, (l) => `{% if foo %}unclosed ${l}`));
    expect(report.templates[0].problems).toEqual([
      {
        code: 'TEMPLATE_SYNTAX_ERROR',
        file: 'copy/invoice/template.html',
        line: 12,
        column: 1,
        message: '{% if %} is never closed: Nunjucks met {% endblock %} at line 68, column 4 where it expected {% endif %}',
      },
    ]);
  });

  it('at the end of the file: reported where it was opened (Nunjucks gives no position at all)', () => {
    const report = validateEdited(['welcome'], (dir) => writeFileSync(join(dir, 'welcome', 'template.txt'), 'Hi {{ userName }}\n\n  {% for step in nextSteps %}\n{{ step }}\n'));
    expect(report.templates[0].problems).toEqual([
      { code: 'TEMPLATE_SYNTAX_ERROR', file: 'copy/welcome/template.txt', line: 3, column: 3, message: '{% for %} is never closed: the file ends before its {% endfor %}' },
    ]);
  });

  it('on one line: the column where Nunjucks stopped', () => {
    const report = validateEdited(['welcome'], (dir) => writeFileSync(join(dir, 'welcome', 'template.txt'), 'Hi {{ userName }}\n{% if userName %}{% for a in b %}x{% endif %}\n'));
    expect(report.templates[0].problems).toMatchObject([
      { file: 'copy/welcome/template.txt', line: 2, column: 18, message: '{% for %} is never closed: Nunjucks met {% endif %} at column 38 where it expected {% endfor %}' },
    ]);
  });

  it('a stray end tag is still reported where it stands', () => {
    const report = validateEdited(['welcome'], (dir) => writeFileSync(join(dir, 'welcome', 'template.txt'), 'Hi {{ userName }}\n{% endif %}\n'));
    expect(report.templates[0].problems).toMatchObject([{ file: 'copy/welcome/template.txt', line: 2, column: 4, message: 'unknown block tag: endif' }]);
  });
});

describe('templates validate: expressions that reach JavaScript', () => {
  it('refuses constructor, __proto__ and prototype in any expression, with file and line, and renders nothing', () => {
    const marker = join(tmpdir(), `mailengine-reach-${process.pid}-${Date.now()}`);
    const report = validateEdited(['welcome'], (dir) => {
      // Rendered, this would run code: it writes a file to prove it.
      editLine(join(dir, 'welcome', 'template.html'), 6, (l) => `${l}{{ userName.constructor.constructor("process.getBuiltinModule('fs').writeFileSync('${marker}', 'ran')")() }}`);
      editLine(join(dir, 'welcome', 'template.txt'), 4, (l) => `${l}{{ companyName["__proto__"] }}{% set p = "prototype" %}`);
      // The email's own words may say anything.
      editLine(join(dir, 'welcome', 'template.txt'), 5, (l) => `${l} The constructor of our prototype is Ada.`);
    });
    expect(report.templates[0].problems.map((p) => [p.code, `${p.file}:${p.line}`, p.message.split(' ')[0]])).toEqual([
      ['TEMPLATE_UNSAFE_EXPRESSION', 'copy/welcome/template.html:6', '"constructor"'],
      ['TEMPLATE_UNSAFE_EXPRESSION', 'copy/welcome/template.html:6', '"constructor"'],
      ['TEMPLATE_UNSAFE_EXPRESSION', 'copy/welcome/template.txt:4', '"__proto__"'],
      ['TEMPLATE_UNSAFE_EXPRESSION', 'copy/welcome/template.txt:4', '"prototype"'],
    ]);
    expect(report.templates[0].problems[0].message).toContain('Nunjucks is not a sandbox');
    expect(existsSync(marker)).toBe(false);
  });

  it('inside what a block {% set %} captures, which Nunjucks keeps outside the node\'s fields', () => {
    const marker = join(tmpdir(), `mailengine-reach-set-${process.pid}-${Date.now()}`);
    const report = validateEdited(['welcome'], (dir) => {
      editLine(
        join(dir, 'welcome', 'template.html'),
        6,
        (l) => `${l}{% set x %}{{ range.constructor("process.getBuiltinModule('fs').writeFileSync('${marker}', 'ran')")() }}{% endset %}{{ x }}`,
      );
    });
    expect(report.templates[0].problems.map((p) => `${p.file}:${p.line} ${p.code} ${p.message.split(' ')[0]}`)).toEqual(['copy/welcome/template.html:6 TEMPLATE_UNSAFE_EXPRESSION "constructor"']);
    expect(existsSync(marker)).toBe(false);
  });

  it('in a layout, and in the subject in metadata.json', () => {
    const report = validateEdited(['welcome'], (dir) => {
      editLine(join(dir, '_layout', 'base.html'), 19, (l) => `${l}{{ loop.constructor }}`);
      const metadata = JSON.parse(readFileSync(join(dir, 'welcome', 'metadata.json'), 'utf8'));
      writeFileSync(join(dir, 'welcome', 'metadata.json'), JSON.stringify({ ...metadata, subject: '{{ userName.__proto__ }} welcome' }, null, 2));
    });
    expect(report.templates[0].problems.map((p) => `${p.file}:${p.line} ${p.code}`)).toEqual([
      'copy/_layout/base.html:19 TEMPLATE_UNSAFE_EXPRESSION',
      'copy/welcome/metadata.json:2 TEMPLATE_UNSAFE_EXPRESSION',
    ]);
  });
});
