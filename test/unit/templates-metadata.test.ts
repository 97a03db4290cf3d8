import { describe, expect, it } from 'vitest';
import { MailengineError } from '../../src/errors.js';
import { parseMetadata } from '../../src/templates/metadata.js';
import { lineOfJsonPath } from '../../src/templates/positions.js';
import type { TemplateProblem } from '../../src/templates/problems.js';

function problems(text: string): TemplateProblem[] {
  try {
    parseMetadata(text, 'templates/welcome/metadata.json');
  } catch (err) {
    expect(err).toBeInstanceOf(MailengineError);
    expect((err as MailengineError).exitCode).toBe(2);
    return (err as MailengineError).details?.problems as TemplateProblem[];
  }
  throw new Error('expected metadata.json to be rejected');
}

describe('metadata.json', () => {
  it('accepts SESMailEngine metadata as is, and fills in empty variable lists', () => {
    const parsed = parseMetadata(
      JSON.stringify({ subject: 'Welcome to {{ companyName }}!', senderName: '{{ companyName }} Team', senderEmail: 'noreply@{{ domain }}', replyTo: 'support@{{ domain }}', version: '1.0.0' }),
      'm.json',
    );
    expect(parsed.metadata).toMatchObject({ subject: 'Welcome to {{ companyName }}!', requiredVariables: [], optionalVariables: [] });
    expect(parsed.unknownKeys).toEqual([]);
  });

  it('keeps keys it does not know, and says which they are', () => {
    const parsed = parseMetadata('{"subject": "s", "subjcet": "typo", "category": "billing"}', 'm.json');
    expect(parsed.unknownKeys).toEqual(['subjcet', 'category']);
    expect(parsed.raw).toMatchObject({ category: 'billing' });
  });

  it('names the file, the key and its line for every problem at once', () => {
    const text = ['{', '  "requiredVariables": ["userName", "user-name", "userName"],', '  "optionalVariables": ["userName"],', '  "version": "v2",', '  "sampleData": []', '}'].join('\n');
    expect(problems(text)).toEqual([
      { code: 'TEMPLATE_METADATA_INVALID', message: 'subject: is required', file: 'templates/welcome/metadata.json', line: 1 },
      { code: 'TEMPLATE_METADATA_INVALID', message: 'requiredVariables.1: is not a variable name (letters, digits and _, not starting with a digit)', file: 'templates/welcome/metadata.json', line: 2 },
      { code: 'TEMPLATE_METADATA_INVALID', message: 'version: is not a semantic version such as 1.0.0', file: 'templates/welcome/metadata.json', line: 4 },
      { code: 'TEMPLATE_METADATA_INVALID', message: 'sampleData: expected an object', file: 'templates/welcome/metadata.json', line: 5 },
    ]);
  });

  it('rejects duplicates and a variable that is both required and optional', () => {
    const text = JSON.stringify({ subject: 's', requiredVariables: ['a', 'a'], optionalVariables: ['a'] }, null, 2);
    expect(problems(text).map((p) => p.message)).toEqual(['requiredVariables.0: "a" is in both requiredVariables and optionalVariables', 'requiredVariables.1: lists "a" twice', 'requiredVariables.1: "a" is in both requiredVariables and optionalVariables']);
  });

  it('an empty subject is an error; so is JSON that does not parse, with its line', () => {
    expect(problems('{"subject": "   "}')[0].message).toBe('subject: must not be empty');
    const [syntax] = problems('{\n  "subject": "s",\n}');
    expect(syntax).toMatchObject({ code: 'TEMPLATE_METADATA_INVALID', line: 3, file: 'templates/welcome/metadata.json' });
    expect(syntax.message).toMatch(/^not valid JSON: /);
    expect(problems('["subject"]')[0].message).toBe('must be a JSON object');
  });

  it('says what is wrong with a value of the wrong type in words, not "Invalid input"', () => {
    expect(problems(JSON.stringify({ subject: 5, requiredVariables: 'a' }, null, 2)).map((p) => p.message)).toEqual(['subject: expected a string', 'requiredVariables: expected an array']);
  });
});

const order = {
  type: 'object',
  properties: {
    orderId: { type: 'string', description: 'The order number' },
    items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, price: { type: 'number' } }, required: ['name', 'price'] } },
    email: { type: 'string', format: 'email' },
    plan: { type: 'string', enum: ['free', 'pro'] },
  },
  required: ['orderId', 'items'],
};

describe('metadata.json contracts (variables)', () => {
  it('takes the required and optional names from the contract', () => {
    const { metadata } = parseMetadata(JSON.stringify({ subject: 's', variables: order }), 'm.json');
    expect(metadata.requiredVariables).toEqual(['orderId', 'items']);
    expect(metadata.optionalVariables).toEqual(['email', 'plan']);
    expect(metadata.variables?.properties.items.items?.required).toEqual(['name', 'price']);
  });

  it('accepts requiredVariables and optionalVariables that agree with the contract, even partly', () => {
    const { metadata } = parseMetadata(JSON.stringify({ subject: 's', requiredVariables: ['orderId'], optionalVariables: ['plan'], variables: order }), 'm.json');
    expect(metadata.requiredVariables).toEqual(['orderId', 'items']);
    expect(metadata.optionalVariables).toEqual(['email', 'plan']);
  });

  it('refuses lists that contradict the contract, each at its line', () => {
    const text = JSON.stringify({ subject: 's', requiredVariables: ['plan', 'total'], optionalVariables: ['orderId'], variables: order }, null, 2);
    expect(problems(text).map((p) => `${p.line} ${p.message}`)).toEqual([
      '4 requiredVariables.0: "plan" is required here but optional in variables (add it to variables.required, or drop it from requiredVariables)',
      '5 requiredVariables.1: "total" is not declared in variables.properties',
      '8 optionalVariables.0: "orderId" is optional here but required in variables.required',
    ]);
  });

  it('refuses keywords outside the supported subset and inconsistent schemas, at the line of each', () => {
    const text = JSON.stringify(
      {
        subject: 's',
        variables: {
          properties: {
            'user-name': { type: 'string' },
            total: { type: 'float' },
            note: { type: 'number', format: 'email', minLength: 3 },
            count: { type: 'integer', enum: [1, 1.5] },
            lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } }, required: ['qty'] } },
          },
        },
      },
      null,
      2,
    );
    const lines = text.split('\n');
    const lineOf = (fragment: string) => lines.findIndex((l) => l.includes(fragment)) + 1;
    expect(problems(text).map((p) => `${p.line} ${p.message}`)).toEqual([
      `${lineOf('"user-name"')} variables.properties.user-name: key is not a variable name (letters, digits and _, not starting with a digit)`,
      `${lineOf('"float"')} variables.properties.total.type: expected "string" or "number" or "integer" or "boolean" or "array" or "object"`,
      `${lineOf('"note"')} variables.properties.note: unknown keyword "minLength" (contracts use type, description, format, enum, items, properties and required)`,
      `${lineOf('"email"')} variables.properties.note.format: applies to strings, not number`,
      `${lineOf('1.5')} variables.properties.count.enum.1: 1.5 is not of type integer`,
      `${lineOf('"qty"')} variables.properties.lines.items.required.0: "qty" is required but not declared in properties`,
    ]);
  });

  it('reports every mistake of a contract at once, the checks of its shape among them', () => {
    const text = JSON.stringify(
      { subject: 's', requiredVariables: ['a', 'zz'], optionalVariables: ['b'], variables: { properties: { a: { type: 'string', minLength: 2 }, b: { type: 'strin' } }, required: ['a', 'nope', 'b'] } },
      null,
      2,
    );
    // Before, the last three came only once the first two were fixed.
    expect(problems(text).map((p) => `${p.line} ${p.message}`)).toEqual([
      '5 requiredVariables.1: "zz" is not declared in variables.properties',
      '8 optionalVariables.0: "b" is optional here but required in variables.required',
      '12 variables.properties.a: unknown keyword "minLength" (contracts use type, description, format, enum, items, properties and required)',
      '17 variables.properties.b.type: expected "string" or "number" or "integer" or "boolean" or "array" or "object"',
      '22 variables.required.1: "nope" is required but not declared in properties',
    ]);
  });

  it('says a misplaced `required` once: it applies to objects, whatever it names', () => {
    const text = JSON.stringify({ subject: 's', variables: { properties: { a: { type: 'string', required: ['x'] } } } }, null, 2);
    expect(problems(text).map((p) => `${p.line} ${p.message}`)).toEqual(['7 variables.properties.a.required: applies to objects, not string']);
  });

  it('refuses property names no template may read, which would otherwise vanish without a word', () => {
    const text = '{ "subject": "s",\n "variables": { "properties": { "__proto__": { "type": "string" },\n "a": { "type": "object", "properties": { "constructor": { "type": "string" } } } } } }';
    expect(problems(text).map((p) => `${p.line} ${p.message}`)).toEqual([
      `2 variables.properties.__proto__: "__proto__" is a name templates may not use (it reaches into JavaScript's objects)`,
      `3 variables.properties.a.properties.constructor: "constructor" is a name templates may not use (it reaches into JavaScript's objects)`,
    ]);
  });

  it('refuses a required name that the contract does not declare', () => {
    expect(problems(JSON.stringify({ subject: 's', variables: { properties: { a: { type: 'string' } }, required: ['a', 'b'] } })).map((p) => p.message)).toEqual([
      'variables.required.1: "b" is required but not declared in properties',
    ]);
  });
});

describe('lineOfJsonPath', () => {
  const text = ['{', '  "a": {', '    "list": [', '      1,', '      { "x": "y,}" }', '    ]', '  },', '  "b": "\\"quoted\\""', '}'].join('\n');
  it('finds keys and array elements, nested, past strings with brackets and escapes', () => {
    expect(JSON.parse(text)).toBeTruthy();
    expect(lineOfJsonPath(text, ['a'])).toBe(2);
    expect(lineOfJsonPath(text, ['a', 'list', 0])).toBe(4);
    expect(lineOfJsonPath(text, ['a', 'list', 1, 'x'])).toBe(5);
    expect(lineOfJsonPath(text, ['b'])).toBe(8);
  });
  it('falls back to the deepest part that exists, and to nothing for a path outside the document', () => {
    expect(lineOfJsonPath(text, ['a', 'list', 1, 'missing'])).toBe(5);
    expect(lineOfJsonPath(text, ['zzz'])).toBeUndefined();
  });
});
