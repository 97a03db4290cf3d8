import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileErrors, type CompileError } from '../../helpers/typescript.js';

/**
 * The client's examples in the README and docs/client.md compile against the client as they are
 * written; the one that shows a compile error gets exactly that error, where its marker points.
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PAGES = ['README.md', 'docs/client.md'];
const CLIENT = join(ROOT, 'src/client/index.js');
const TYPES = join(ROOT, 'test/fixtures/client/mail-types.js');

interface Example {
  page: string;
  index: number;
  code: string;
}

/** The TypeScript blocks of a page that use the client (indented ones too, inside lists). */
function examples(page: string): Example[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const found: Example[] = [];
  for (const match of text.matchAll(/^( *)```ts\n([\s\S]*?)^\1```$/gm)) {
    const code = match[2].replace(new RegExp(`^${match[1]}`, 'gm'), '');
    if (code.includes('createMailer')) found.push({ page, index: found.length, code });
  }
  return found;
}

/**
 * A block as a module of its own: the package's specifiers pointed at the source, and the client
 * imported first when the block continues an earlier one. `offset`: the lines put before the block.
 */
function asModule(code: string): { text: string; offset: number } {
  const body = code.replaceAll("'mailengine/client'", JSON.stringify(CLIENT)).replaceAll("'./mail-types.js'", JSON.stringify(TYPES));
  const prefix = body.includes(CLIENT) ? '' : `import { createMailer } from ${JSON.stringify(CLIENT)};\n`;
  return { text: `${prefix}${body}\nexport {};\n`, offset: prefix ? 1 : 0 };
}

describe('the client examples in the docs compile', () => {
  // Inside the checkout, so the examples' other imports (the AWS SDK) resolve as in an app.
  mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'node_modules/.cache/mailengine-client-docs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const all = PAGES.flatMap(examples);
  const files = all.map((example) => {
    const file = join(dir, `${example.page.replace(/\W/g, '-')}-${example.index}.mts`);
    writeFileSync(file, asModule(example.code).text);
    return file;
  });
  let errors = new Map<string, CompileError[]>();
  beforeAll(() => {
    errors = compileErrors(files);
  }, 120_000);

  it('finds the examples: the README’s first email and the client page’s', () => {
    expect(all.filter((e) => e.page === 'README.md')).toHaveLength(1);
    expect(all.filter((e) => e.page === 'docs/client.md').length).toBeGreaterThanOrEqual(3);
  });

  all.forEach((example, i) => {
    // A `//  ~~~ message` line marks the compile error the example shows, under the code it points at.
    const marker = example.code.split('\n').findIndex((line) => /^\s*\/\/\s*~+ /.test(line));
    it(`${example.page} example ${example.index + 1}${marker >= 0 ? ': the error it shows' : ''}`, () => {
      const found = errors.get(files[i])!;
      if (marker < 0) {
        expect(found.map((e) => `${e.line}:${e.column} ${e.text}`)).toEqual([]);
        return;
      }
      const line = example.code.split('\n')[marker];
      const message = line.replace(/^\s*\/\/\s*~+ /, '');
      // The error is on the line above the marker: line `marker` counted from 1, after the lines asModule put first.
      const expectedLine = asModule(example.code).offset + marker;
      expect(found.map((e) => ({ line: e.line, column: e.column, text: e.text.split('\n')[0] }))).toEqual([{ line: expectedLine, column: line.indexOf('~') + 1, text: message }]);
    });
  });
});
