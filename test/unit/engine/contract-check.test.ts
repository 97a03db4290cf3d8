import { describe, expect, it } from 'vitest';
import { checkTemplateData } from '../../../src/engine/template-source.js';
import { PermanentFailure } from '../../../src/model/error-types.js';
import { loadStandaloneTemplate } from '../../../src/templates/template.js';

const contract = {
  type: 'object',
  properties: { orderId: { type: 'string' }, items: { type: 'array', items: { type: 'object', properties: { price: { type: 'number' } }, required: ['price'] } }, brand: { type: 'string' } },
  required: ['orderId', 'items', 'brand'],
};
const withContract = loadStandaloneTemplate('order', {
  'template.html': '<p>{{ orderId }}</p>',
  'template.txt': '{{ orderId }}',
  'metadata.json': JSON.stringify({ subject: 'Order', version: '3.0.0', variables: contract, defaults: { brand: 'Shop' } }),
});
const namesOnly = loadStandaloneTemplate('plain', { 'template.html': '<p>{{ a }}</p>', 'template.txt': '{{ a }}', 'metadata.json': JSON.stringify({ subject: 'Hi', requiredVariables: ['a'] }) });

async function failure(data: unknown): Promise<PermanentFailure> {
  try {
    await checkTemplateData(withContract, data);
  } catch (err) {
    expect(err).toBeInstanceOf(PermanentFailure);
    return err as PermanentFailure;
  }
  throw new Error('expected the data to be refused');
}

describe("the Sender's contract check", () => {
  it('passes data that keeps the contract, defaults filling what it leaves out, and any data for a template without one', async () => {
    await expect(checkTemplateData(withContract, { orderId: 'A-1', items: [{ price: 1 }], extra: true })).resolves.toBeUndefined();
    await expect(checkTemplateData(namesOnly, { a: 42, anything: ['goes'] })).resolves.toBeUndefined();
    // Not an object: left to the renderer, which has always said so.
    await expect(checkTemplateData(withContract, 'text')).resolves.toBeUndefined();
  });

  it('refuses the rest as template_data_invalid, naming the template, its version and each path', async () => {
    const err = await failure({ items: [{ price: 1 }, { price: '2' }] });
    expect(err.errorType).toBe('template_data_invalid');
    expect(err.message).toBe('templateData does not match the contract of template "order" 3.0.0 (2 problems): templateData.orderId: is required; templateData.items[1].price: expected number, got string');
    // Defaults are under the data, and the data wins: a wrong value for a defaulted variable is still wrong.
    expect((await failure({ orderId: 'A', items: [], brand: 7 })).message).toContain('templateData.brand: expected string, got integer');
  });

  it('lists ten problems at most and counts the rest', async () => {
    const err = await failure({ orderId: 'A', items: Array.from({ length: 12 }, () => ({ price: 'x' })) });
    expect(err.message).toMatch(/\(12 problems\): /);
    expect(err.message.match(/templateData\.items\[\d+\]\.price/g)).toHaveLength(10);
    expect(err.message).toMatch(/; and 2 more$/);
  });
});
