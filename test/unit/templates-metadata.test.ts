import { describe, expect, it } from 'vitest';
import { MailengineError } from '../../src/errors.js';
import { parseMetadata } from '../../src/templates/metadata.js';
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
      { code: 'TEMPLATE_METADATA_INVALID', message: expect.stringMatching(/^sampleData: .*expected record/) as unknown as string, file: 'templates/welcome/metadata.json', line: 5 },
    ]);
  });

  it('rejects duplicates and a variable that is both required and optional', () => {
    const text = JSON.stringify({ subject: 's', requiredVariables: ['a', 'a'], optionalVariables: ['a'] }, null, 2);
    expect(problems(text).map((p) => p.message)).toEqual(['requiredVariables.1: lists "a" twice', 'requiredVariables.0: "a" is in both requiredVariables and optionalVariables', 'requiredVariables.1: "a" is in both requiredVariables and optionalVariables']);
  });

  it('an empty subject is an error; so is JSON that does not parse, with its line', () => {
    expect(problems('{"subject": "   "}')[0].message).toBe('subject: must not be empty');
    const [syntax] = problems('{\n  "subject": "s",\n}');
    expect(syntax).toMatchObject({ code: 'TEMPLATE_METADATA_INVALID', line: 3, file: 'templates/welcome/metadata.json' });
    expect(syntax.message).toMatch(/^not valid JSON: /);
    expect(problems('["subject"]')[0].message).toBe('must be a JSON object');
  });
});
