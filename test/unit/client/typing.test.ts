import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileErrors } from '../../helpers/typescript.js';

/**
 * The typed client at compile time: an app using it with a template map (in the shape
 * `mailengine templates types` generates) compiles when its requests match the map, and gets a
 * compile error naming the variable or template when they do not. Compiled with the project's own
 * compiler settings, as `tsc --noEmit` would.
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLIENT = join(ROOT, 'src/client/index.js');
const TYPES = join(ROOT, 'test/fixtures/client/mail-types.js');

const header = `import { createMailer } from ${JSON.stringify(CLIENT)};\nimport type { MailTemplates } from ${JSON.stringify(TYPES)};\nconst mailer = createMailer<MailTemplates>({ busName: 'shop-bus' });\n`;

/** Each case: one request that must not compile, and the words its error must contain. */
const WRONG: Record<string, { code: string; expected: string[] }> = {
  'wrong-variable-type': {
    code: `await mailer.send({ template: 'order-confirmation', to: 'a@example.com', data: { orderId: 1234, items: [] } });`,
    expected: ["at `orderId`: Type 'number' is not assignable to type 'string'"],
  },
  'wrong-nested-type': {
    code: `await mailer.send({ template: 'order-confirmation', to: 'a@example.com', data: { orderId: '1', items: [{ name: 'Tea', quantity: 'two' }] } });`,
    expected: ["at `quantity`: Type 'string' is not assignable to type 'number'"],
  },
  'missing-required-variable': {
    code: `await mailer.send({ template: 'order-confirmation', to: 'a@example.com', data: { orderId: '1234' } });`,
    expected: ["at `data`: Property 'items' is missing"],
  },
  'missing-data': {
    code: `await mailer.send({ template: 'welcome', to: 'a@example.com' });`,
    expected: ["Property 'data' is missing"],
  },
  'unknown-variable': {
    code: `await mailer.send({ template: 'welcome', to: 'a@example.com', data: { userName: 'Ann', usrName: 'Ann' } });`,
    expected: ["'usrName' does not exist"],
  },
  'unknown-template': {
    code: `await mailer.send({ template: 'order-confirmaton', to: 'a@example.com', data: {} });`,
    expected: ["at `template`: Type '\"order-confirmaton\"' is not assignable"],
  },
  'wrong-variable-in-a-batch': {
    code: `await mailer.sendBatch([{ template: 'welcome', to: 'a@example.com', data: { userName: 'Ann' } }, { template: 'welcome', to: 'b@example.com', data: { userName: 42 } }]);`,
    expected: ["at `userName`: Type 'number' is not assignable to type 'string'"],
  },
};

describe('the client is typed against the template map', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailengine-client-types-'));
  const diagnostics = new Map<string, string[]>();

  beforeAll(() => {
    const roots = [join(ROOT, 'test/fixtures/client/app.ts')];
    for (const [name, { code }] of Object.entries(WRONG)) {
      // .mts: an ES module wherever it lies, as the client is.
      const file = join(dir, `${name}.mts`);
      writeFileSync(file, `${header}${code}\n`);
      roots.push(file);
    }
    for (const [file, errors] of compileErrors(roots)) diagnostics.set(file, errors.map((e) => `at \`${e.at}\`: ${e.text}`));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an app sending requests that match the map compiles (typed and untyped mailers)', () => {
    expect(diagnostics.get(join(ROOT, 'test/fixtures/client/app.ts'))).toEqual([]);
  });

  for (const [name, { expected }] of Object.entries(WRONG)) {
    it(`${name}: a compile error that names it`, () => {
      const errors = diagnostics.get(join(dir, `${name}.mts`));
      expect(errors?.length, `no error for ${name}`).toBeGreaterThan(0);
      const text = errors!.join('\n');
      for (const words of expected) expect(text).toContain(words);
    });
  }
});
