import { mkdirSync, mkdtempSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { MailengineError } from '../../src/errors.js';
import { GENERATED_HEADER, generateTemplateTypes } from '../../src/templates/contract-types.js';

const STARTERS = fileURLToPath(new URL('../../starter-templates', import.meta.url));
const SESMAILENGINE = fileURLToPath(new URL('../fixtures/templates/sesmailengine', import.meta.url));

/**
 * Type-checks each app (strict) beside the generated `mail-types.ts`, in one program (the
 * compiler's start is the slow part); returns each app's messages.
 */
function typecheck(types: string, apps: string[]): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'mailengine-types-'));
  writeFileSync(join(dir, 'mail-types.ts'), types);
  const files = apps.map((app, i) => {
    const file = join(dir, `app${i}.ts`);
    writeFileSync(file, `import type { MailTemplates } from './mail-types';\ndeclare function send<K extends keyof MailTemplates>(template: K, data: MailTemplates[K]): void;\n${app}\nexport {};\n`);
    return file;
  });
  const program = ts.createProgram(files, { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts'], module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, types: [] });
  const typesErrors = ts.getPreEmitDiagnostics(program, program.getSourceFile(join(dir, 'mail-types.ts')));
  expect(typesErrors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  return files.map((file) => ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')));
}

const starters = generateTemplateTypes({ dir: STARTERS, displayDir: 'starter-templates' });

const order = `{ customerName: 'Maya', orderId: 'A-1', orderTime: '2026-03-14T15:42:00Z', items: [{ name: 'Shoes', quantity: 1, price: 98 }], total: 98 }`;

describe('templates types', () => {
  it('generates one entry per starter, sorted, from their contracts, with JSDoc from the descriptions', () => {
    expect(starters.templates.map((t) => t.name)).toEqual([...starters.templates.map((t) => t.name)].sort());
    expect(starters.templates).toHaveLength(12);
    expect(starters.templates.every((t) => t.typed)).toBe(true);
    const { source } = starters;
    expect(source.startsWith(`${GENERATED_HEADER}\nexport interface MailTemplates {\n`)).toBe(true);
    expect(source).toContain("  'order-confirmation': {\n");
    expect(source).toContain('    /** The order number */\n    orderId: string;\n');
    expect(source).toContain('    items: Array<{ /** A detail line under the name, such as a size */ description?: string; /** What was ordered */ name: string; /** Unit price, in the currency */ price: number; /** How many */ quantity: number }>;\n');
    expect(source).toContain('    /** The carrier tracking page (format: uri) */\n    trackingUrl?: string;\n');
    expect(source).toContain('    nextSteps?: Array<string>;\n');
    // Deterministic: the same folder gives the same bytes.
    expect(generateTemplateTypes({ dir: STARTERS }).source).toBe(source);
  });

  it('a correct use compiles against the generated types; a wrong variable type, a missing required variable and an unknown one do not', () => {
    const [correct, wrongType, missing, unknown, noTemplate] = typecheck(starters.source, [
      `send('order-confirmation', ${order});\nsend('welcome', { userName: 'Maya', nextSteps: ['Invite your team'] });\nsend('sign-in-code', { code: '731 508' });`,
      `send('order-confirmation', { ...${order}, items: [{ name: 'Shoes', quantity: 1, price: '98' }] });`,
      `send('order-confirmation', { customerName: 'Maya', orderTime: '2026-03-14T15:42:00Z', items: [], total: 1 });`,
      `send('welcome', { userName: 'Maya', usrName: 'typo' });`,
      `send('no-such-template', {});`,
    ]);
    expect(correct).toEqual([]);
    expect(wrongType.join('\n')).toMatch(/Type 'string' is not assignable to type 'number'/);
    expect(missing.join('\n')).toMatch(/Property 'orderId' is missing/);
    expect(unknown.join('\n')).toMatch(/'usrName' does not exist/);
    expect(noTemplate.join('\n')).toMatch(/"no-such-template"/);
  });

  it('lets a request override what the defaults give (brand.json), typed from the default\'s value, after the template\'s own variables', () => {
    const welcome = starters.source.slice(starters.source.indexOf("  welcome: {"));
    const block = welcome.slice(0, welcome.indexOf('\n  };') + 5);
    expect(block).toContain('    /** Defaults to "Acme" */\n    companyName?: string;\n');
    expect(block).toContain('    /** Defaults to 120 */\n    logoWidth?: number;\n');
    // The contract's variables come first, the defaults' after.
    expect(block.indexOf('userName')).toBeLessThan(block.indexOf('brandColor'));
    const [override, wrongType] = typecheck(starters.source, [
      `send('welcome', { userName: 'Maya', companyName: 'Tenant Co', logoWidth: 96 });`,
      `send('welcome', { userName: 'Maya', logoWidth: '96' });`,
    ]);
    expect(override).toEqual([]);
    expect(wrongType.join('\n')).toMatch(/Type 'string' is not assignable to type 'number'/);
  });

  it('leaves out a default named like a member every object has, which would make the type refuse every object', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailengine-types-'));
    cpSync(STARTERS, dir, { recursive: true });
    const brand = join(dir, '_layout', 'brand.json');
    writeFileSync(brand, JSON.stringify({ ...JSON.parse(readFileSync(brand, 'utf8')), constructor: 'c', toString: 3 }));
    const { source } = generateTemplateTypes({ dir });
    expect(source).not.toMatch(/constructor|toString/);
    expect(typecheck(source, [`send('welcome', { userName: 'Maya', companyName: 'Tenant Co' });`])).toEqual([[]]);
  });

  it('types a template without a contract by its declared names, required ones non-optional', () => {
    const generated = generateTemplateTypes({ dir: SESMAILENGINE });
    expect(generated.templates.every((t) => !t.typed)).toBe(true);
    expect(generated.source).toContain(
      "  'order-receipt': { customerName: unknown; orderItems: unknown; companyName: unknown; domain: unknown; logoUrl?: unknown; ctaUrl?: unknown; ctaText?: unknown; year?: unknown; subject?: unknown; [name: string]: unknown };\n",
    );
    const [ok, missing] = typecheck(generated.source, [
      `send('order-receipt', { customerName: 'Ada', orderItems: [], companyName: 'Acme', domain: 'acme.example', anything: 1 });`,
      `send('order-receipt', { customerName: 'Ada' });`,
    ]);
    expect(ok).toEqual([]);
    expect(missing.join('\n')).toMatch(/missing the following properties .*orderItems/);
  });

  it('makes a variable the defaults give optional, quotes keys that need it, and turns enums into unions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailengine-types-'));
    cpSync(join(STARTERS, '_layout'), join(dir, '_layout'), { recursive: true });
    mkdirSync(join(dir, 'plan-change'));
    cpSync(join(STARTERS, 'sign-in-code', 'template.txt'), join(dir, 'plan-change', 'template.txt'));
    writeFileSync(join(dir, 'plan-change', 'template.html'), readFileSync(join(STARTERS, 'sign-in-code', 'template.html'), 'utf8'));
    writeFileSync(
      join(dir, 'plan-change', 'metadata.json'),
      JSON.stringify({
        subject: '{{ code }}',
        variables: {
          properties: {
            code: { type: 'string' },
            companyName: { type: 'string' },
            plan: { type: 'string', enum: ['free', "o'brien"], description: 'Ends a comment */ early?' },
            extra: { type: 'object', properties: { 'odd-key': { type: 'integer' }, flag: { type: 'boolean' }, 'cr\rkey': { type: 'string', enum: ['a\\b', 'line\u2028sep', 'tab\tbell\u0007'] } }, required: ['odd-key'] },
          },
          required: ['code', 'companyName'],
        },
      }),
    );
    const { source } = generateTemplateTypes({ dir });
    expect(source).toContain('    companyName?: string;\n');
    // Keys and values with control characters stay one valid literal each.
    expect(source).toContain("    extra?: { 'cr\\rkey'?: 'a\\\\b' | 'line\\u2028sep' | 'tab\\tbell\\u0007'; flag?: boolean; 'odd-key': number };\n");
    expect(source).toContain("    /** Ends a comment *\\/ early? */\n    plan?: 'free' | 'o\\'brien';\n");
    expect(typecheck(source, [`send('plan-change', { code: '1', plan: "o'brien", extra: { 'odd-key': 2 } });`])).toEqual([[]]);
  });

  it('refuses a folder whose templates do not load, naming each problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailengine-types-'));
    cpSync(STARTERS, dir, { recursive: true });
    writeFileSync(join(dir, 'welcome', 'metadata.json'), '{ "subject": "Hi", "variables": { "properties": { "a": { "type": "text" } } } }');
    let error: unknown;
    try {
      generateTemplateTypes({ dir, displayDir: 'copy' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MailengineError);
    expect((error as MailengineError).message).toContain('copy/welcome/metadata.json:1: variables.properties.a.type: expected');
  });
});
