import { describe, expect, it } from 'vitest';
import { compileContract, formatDataPath } from '../../src/templates/contract-check.js';
import { variablesContractSchema, type VariablesContract } from '../../src/templates/contract.js';

const contract: VariablesContract = variablesContractSchema.parse({
  type: 'object',
  properties: {
    orderId: { type: 'string' },
    email: { type: 'string', format: 'email' },
    plan: { type: 'string', enum: ['free', 'pro'] },
    seats: { type: 'integer' },
    total: { type: 'number' },
    gift: { type: 'boolean' },
    site: { type: 'string', format: 'uri' },
    placedAt: { type: 'string', format: 'date-time' },
    deliverOn: { type: 'string', format: 'date' },
    items: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, price: { type: 'number' } }, required: ['name', 'price'] },
    },
    address: { type: 'object', properties: { 'post code': { type: 'string' } }, required: ['post code'] },
  },
  required: ['orderId', 'items'],
});
const validate = compileContract(contract);
const lines = (data: unknown) => validate(data).map((p) => `${formatDataPath('templateData', p.path)}: ${p.message}`);

const valid = {
  orderId: 'A-1',
  email: 'ann.lee+orders@shop.example.co.uk',
  plan: 'pro',
  seats: 3,
  total: 12.5,
  gift: false,
  site: 'https://shop.example.com/orders?id=1',
  placedAt: '2026-03-14T15:42:00.123+01:00',
  deliverOn: '2026-02-28',
  items: [{ name: 'Mug', price: 9 }],
  address: { 'post code': 'N1 9GU' },
  notInTheContract: { anything: true },
};

describe('compileContract', () => {
  it('passes data that keeps the contract, with properties it does not name', () => {
    expect(validate(valid)).toEqual([]);
    expect(validate({ orderId: 'A-1', items: [] })).toEqual([]);
  });

  it('names every problem by its path, in the contract\'s order', () => {
    expect(
      lines({
        ...valid,
        orderId: 7,
        seats: 2.5,
        total: '12',
        gift: null,
        items: [{ name: 'Mug', price: 9 }, { name: 'Tea' }, { name: 'Pot', price: '4.00' }, 'spoon'],
        address: { 'post code': 1 },
      }),
    ).toEqual([
      'templateData.orderId: expected string, got integer',
      'templateData.seats: expected integer, got number',
      'templateData.total: expected number, got string',
      'templateData.gift: expected boolean, got null',
      'templateData.items[1].price: is required',
      'templateData.items[2].price: expected number, got string',
      'templateData.items[3]: expected object, got string',
      'templateData.address["post code"]: expected string, got integer',
    ]);
  });

  it('reports a missing required variable, and an undefined one as missing', () => {
    expect(lines({ items: [] })).toEqual(['templateData.orderId: is required']);
    expect(lines({ orderId: undefined, items: [] })).toEqual(['templateData.orderId: is required']);
    expect(lines({ orderId: 'A-1', items: {} })).toEqual(['templateData.items: expected array, got object']);
  });

  it('checks enums and formats, and says what was expected', () => {
    expect(lines({ ...valid, plan: 'gold' })).toEqual(['templateData.plan: expected one of "free", "pro"']);
    expect(lines({ ...valid, email: 'ann@' })).toEqual(['templateData.email: expected an email address']);
    expect(lines({ ...valid, site: 'shop.example.com/orders' })).toEqual(['templateData.site: expected a URI such as https://example.com/']);
    expect(lines({ ...valid, placedAt: '2026-03-14 15:42' })).toEqual(['templateData.placedAt: expected a date-time such as 2026-03-14T15:42:00Z']);
    expect(lines({ ...valid, deliverOn: '2026-02-30' })).toEqual(['templateData.deliverOn: expected a date such as 2026-03-14']);
  });

  it.each([
    ['email', ['a@b.co', "o'brien@example.com", 'x_y-z@sub.example.io'], ['plain', 'a@b', '.a@b.co', 'a..b@c.co', 'a.@b.co', 'a@-b.co', 'a b@c.co']],
    ['site', ['https://example.com/', 'mailto:ann@example.com', 'http://[::1]:8080/x'], ['example.com', '/relative/path', 'https://', '', 'https://ex\nample.com/', 'https://x.com/\n', ' https://x.com/', 'https://x.com/a b', 'https://x.com/\t']],
    ['placedAt', ['2026-03-14T15:42:00Z', '2026-03-14t15:42:00.5z', '2026-12-31T23:59:60-05:30'], ['2026-03-14T15:42:00', '2026-13-01T00:00:00Z', '2026-03-14T24:00:00Z', '2026-02-29T00:00:00Z']],
    ['deliverOn', ['2028-02-29', '2026-01-01'], ['2026-2-1', '2026-02-29', '20260101', '2026-01-01T00:00:00Z']],
  ])('%s: accepts the well-formed, refuses the rest', (name, good, bad) => {
    for (const value of good) expect(validate({ ...valid, [name]: value }), value).toEqual([]);
    for (const value of bad) expect(validate({ ...valid, [name]: value }).map((p) => p.path.join('.')), value).toEqual([name]);
  });
});
