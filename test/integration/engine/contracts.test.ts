import { beforeAll, describe, expect, it } from 'vitest';
import { createSender } from '../../../src/engine/sender.js';
import { listReceivedEmails } from '../../../src/local/index.js';
import { batch, plentyOfTime, putTemplate, requestMessage, senderFor, useEngineFixture } from '../../helpers/engine-fixture.js';

/**
 * Template contracts in the Sender, against the local stack's emulators: templateData that breaks
 * the template's `variables` ends as a `failed` record naming each path, before anything renders
 * or reaches SES; data that keeps it sends; a template without a contract behaves as before.
 */
const f = useEngineFixture('contracts', { clearInboxEachTest: true });

const ORDER = {
  html: '<p>Order {{ orderId }} for {{ email }}</p>{% for item in items %}<p>{{ item.name }}: {{ item.price }}</p>{% endfor %}{% if plan %}<p>{{ plan }}</p>{% endif %}',
  text: 'Order {{ orderId }}',
  metadata: {
    subject: 'Order {{ orderId }}',
    version: '2.1.0',
    variables: {
      type: 'object',
      properties: {
        orderId: { type: 'string' },
        email: { type: 'string', format: 'email' },
        items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, price: { type: 'number' } }, required: ['name', 'price'] } },
        plan: { type: 'string', enum: ['free', 'pro'] },
        brand: { type: 'string' },
      },
      required: ['orderId', 'email', 'items', 'brand'],
    },
    // A required variable the template's defaults give: the caller may leave it out.
    defaults: { brand: 'Example Shop' },
  },
};

beforeAll(async () => {
  await putTemplate(f, 'order', ORDER);
}, 60_000);

const inbox = () => listReceivedEmails(f.stack.endpoints.sesv2);
const items = [
  { name: 'Shoes', price: 98 },
  { name: 'Socks', price: 18 },
  { name: 'Bottle', price: 13 },
];

describe('the Sender checks templateData against the template contract', () => {
  it('a request that breaks it ends failed / template_data_invalid with the path of each problem, and sends nothing', async () => {
    const deps = senderFor(f);
    const detail = {
      to: 'ada@customer.example',
      templateName: 'order',
      emailId: 'contract-bad-1',
      templateData: { email: 'not an address', items: [items[0], items[1], { name: 'Bottle', price: '13' }, { price: 1 }], plan: 'gold' },
    };
    const out = await createSender(deps)(batch(requestMessage(detail)), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    const stored = await deps.tracking.getWithHistory('contract-bad-1');
    expect(stored?.record).toMatchObject({ status: 'failed', errorType: 'template_data_invalid' });
    const message = stored?.record.errorMessage ?? '';
    expect(message).toMatch(/^templateData does not match the contract of template "order" 2\.1\.0 \(5 problems\): /);
    for (const problem of [
      'templateData.orderId: is required',
      'templateData.email: expected an email address',
      'templateData.items[2].price: expected number, got string',
      'templateData.items[3].name: is required',
      'templateData.plan: expected one of "free", "pro"',
    ]) {
      expect(message).toContain(problem);
    }
    expect(stored?.history.map((h) => h.event)).toEqual(['failed']);
    expect(f.published.events.filter((e) => e.emailId === 'contract-bad-1')).toMatchObject([{ status: 'failed', errorType: 'template_data_invalid' }]);
    expect(await inbox()).toEqual([]);
  });

  it('a request that keeps it sends, with the defaults filling what it leaves out', async () => {
    const deps = senderFor(f);
    const detail = { to: 'ada@customer.example', templateName: 'order', emailId: 'contract-good-1', templateData: { orderId: 'A-1', email: 'ada@customer.example', items, plan: 'pro', extra: 'ignored' } };
    const out = await createSender(deps)(batch(requestMessage(detail)), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(await deps.tracking.get('contract-good-1')).toMatchObject({ status: 'sent' });
    const mails = await inbox();
    expect(mails).toHaveLength(1);
    expect(mails[0].html).toContain('Bottle: 13');
  });

  it('a template without a contract is checked as before (names only)', async () => {
    const deps = senderFor(f);
    const typesNobodyDeclared = { to: 'ada@customer.example', templateName: 'receipt', emailId: 'no-contract-1', templateData: { name: 42, orderId: ['o'], total: { amount: 1 } } };
    const missing = { to: 'ada@customer.example', templateName: 'receipt', emailId: 'no-contract-2', templateData: { name: 'Ada' } };
    await createSender(deps)(batch(requestMessage(typesNobodyDeclared), requestMessage(missing)), plentyOfTime);
    expect(await deps.tracking.get('no-contract-1')).toMatchObject({ status: 'sent' });
    expect(await deps.tracking.get('no-contract-2')).toMatchObject({ status: 'failed', errorType: 'template_missing_variable' });
  });

  it('a pushed change to the contract applies to the next send', async () => {
    const before = { to: 'ada@customer.example', templateName: 'order', emailId: 'contract-changed-0', templateData: { orderId: 'A-2', email: 'ada@customer.example', items, plan: 'gold' } };
    await createSender(senderFor(f))(batch(requestMessage(before)), plentyOfTime);
    expect(await senderFor(f).tracking.get('contract-changed-0')).toMatchObject({ status: 'failed', errorType: 'template_data_invalid' });
    const properties = { ...ORDER.metadata.variables.properties, plan: { type: 'string', enum: ['free', 'pro', 'gold'] } };
    await putTemplate(f, 'order', { ...ORDER, metadata: { ...ORDER.metadata, version: '2.2.0', variables: { ...ORDER.metadata.variables, properties } } });
    // A fresh Sender, as after the cache's freshness window: it reads the pushed version.
    const deps = senderFor(f);
    const detail = { to: 'ada@customer.example', templateName: 'order', emailId: 'contract-changed-1', templateData: { ...before.templateData } };
    await createSender(deps)(batch(requestMessage(detail)), plentyOfTime);
    expect(await deps.tracking.get('contract-changed-1')).toMatchObject({ status: 'sent' });
  });
});
