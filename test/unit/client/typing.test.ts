import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTemplateTypes } from '../../../src/templates/contract-types.js';
import { compileErrors } from '../../helpers/typescript.js';

/**
 * The typed client at compile time: an app using it with a template map compiles when its
 * requests match the map, and gets a compile error naming the variable or template when they do
 * not. Two maps: one written by hand in the generated shape, and the one the generator behind
 * `mailengine templates types` writes for the starter templates. Compiled together, with the
 * project's own compiler settings, as `tsc --noEmit` would.
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLIENT = join(ROOT, 'src/client/index.js');
const TYPES = join(ROOT, 'test/fixtures/client/mail-types.js');
const STARTERS = join(ROOT, 'starter-templates');

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
  'a-union-of-templates-with-the-data-of-one': {
    code: `declare const reset: boolean;\nawait mailer.send({ template: reset ? 'password-reset' : 'welcome', to: 'a@example.com', data: { resetUrl: 'https://example.com/r' } });`,
    expected: ['is not assignable to parameter of type \'MailRequestFor<MailTemplates, "welcome"> | MailRequestFor<MailTemplates, "password-reset">\''],
  },
  'wrong-variable-in-a-batch': {
    code: `await mailer.sendBatch([{ template: 'welcome', to: 'a@example.com', data: { userName: 'Ann' } }, { template: 'welcome', to: 'b@example.com', data: { userName: 42 } }]);`,
    expected: ["at `userName`: Type 'number' is not assignable to type 'string'"],
  },
};

/** An app against the starter templates' generated map (written next to it as starter-mail-types.mts): it must compile. */
const starterHeader = `import { createMailer } from ${JSON.stringify(CLIENT)};\nimport type { MailTemplates } from './starter-mail-types.mjs';\nconst mailer = createMailer<MailTemplates>({ busName: 'shop-bus' });\ndeclare const flag: boolean;\n`;
const STARTER_APP = `await mailer.send({ template: 'welcome', to: 'ann@example.com', data: { userName: 'Ann', nextSteps: ['Add a photo'], dashboardUrl: 'https://app.example.com' } });
await mailer.send({ template: 'sign-in-code', to: 'ann@example.com', data: { code: '123456', expiresIn: '10 minutes' } });
await mailer.sendBatch([
  { template: 'order-confirmation', to: 'bob@example.com', data: { customerName: 'Bob', orderId: '1234', orderTime: '2026-12-03T10:00:00Z', items: [{ name: 'Tea', quantity: 2, price: 4.5 }], total: 9 } },
  { template: 'password-reset', to: 'cy@example.com', data: { userName: 'Cy', resetUrl: 'https://app.example.com/reset/abc' } },
]);
await mailer.send(flag ? { template: 'welcome', to: 'dee@example.com', data: { userName: 'Dee' } } : { template: 'sign-in-code', to: 'dee@example.com', data: { code: '1' } });`;
const STARTER_WRONG: Record<string, { code: string; expected: string[] }> = {
  'starter-wrong-variable-name': {
    code: `await mailer.send({ template: 'welcome', to: 'a@example.com', data: { userName: 'Ann', dashboardURL: 'https://app.example.com' } });`,
    expected: ["'dashboardURL' does not exist"],
  },
  'starter-wrong-variable-type': {
    code: `await mailer.send({ template: 'sign-in-code', to: 'a@example.com', data: { code: 123456 } });`,
    expected: ["at `code`: Type 'number' is not assignable to type 'string'"],
  },
  'starter-wrong-nested-type': {
    code: `await mailer.send({ template: 'invoice', to: 'a@example.com', data: { customerName: 'Ann', invoiceNumber: 'I-1', issueDate: '2026-12-03', total: 9, items: [{ name: 'Tea', quantity: 2, price: '4.50' }] } });`,
    expected: ["at `price`: Type 'string' is not assignable to type 'number'"],
  },
  'starter-union-of-templates-with-the-data-of-one': {
    code: `await mailer.send({ template: flag ? 'welcome' : 'sign-in-code', to: 'a@example.com', data: { code: '1' } });`,
    expected: ['is not assignable to parameter of type \'MailRequestFor<MailTemplates, "welcome"> | MailRequestFor<MailTemplates, "sign-in-code">\''],
  },
};

describe('the client is typed against the template map', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailengine-client-types-'));
  const diagnostics = new Map<string, string[]>();

  beforeAll(() => {
    const roots = [join(ROOT, 'test/fixtures/client/app.ts')];
    // .mts: an ES module wherever it lies, as the client is.
    const write = (name: string, text: string) => {
      const file = join(dir, `${name}.mts`);
      writeFileSync(file, text);
      roots.push(file);
    };
    for (const [name, { code }] of Object.entries(WRONG)) write(name, `${header}${code}\n`);
    writeFileSync(join(dir, 'starter-mail-types.mts'), generateTemplateTypes({ dir: STARTERS }).source);
    write('starter-app', `${starterHeader}${STARTER_APP}\n`);
    for (const [name, { code }] of Object.entries(STARTER_WRONG)) write(name, `${starterHeader}${code}\n`);
    for (const [file, errors] of compileErrors(roots)) diagnostics.set(file, errors.map((e) => `at \`${e.at}\`: ${e.text}`));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an app sending requests that match the map compiles (typed and untyped mailers)', () => {
    expect(diagnostics.get(join(ROOT, 'test/fixtures/client/app.ts'))).toEqual([]);
  });

  it('an app sending requests that match the starter templates’ generated map compiles', () => {
    expect(diagnostics.get(join(dir, 'starter-app.mts'))).toEqual([]);
  });

  for (const [name, { expected }] of Object.entries({ ...WRONG, ...STARTER_WRONG })) {
    it(`${name}: a compile error that names it`, () => {
      const errors = diagnostics.get(join(dir, `${name}.mts`));
      expect(errors?.length, `no error for ${name}`).toBeGreaterThan(0);
      const text = errors!.join('\n');
      for (const words of expected) expect(text).toContain(words);
    });
  }
});
