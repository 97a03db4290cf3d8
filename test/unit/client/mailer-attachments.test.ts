import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMailer } from '../../../src/client/index.js';

/** The client passes attachments on as the request event names them, and refuses what the engine would. */
const eventBridge = mockClient(EventBridgeClient);
beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({ FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `evt-${i}` })), $metadata: {} }));
});
afterEach(() => eventBridge.reset());

const mailer = () => createMailer({ busName: 'shop-bus', eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }), backoff: { baseMs: 0, maxMs: 0 } });

describe('client attachments', () => {
  it('publishes them in the request', async () => {
    const attachments = [
      { key: 'attachments/order-1/invoice.pdf', filename: 'INV-1.pdf', contentType: 'application/pdf' },
      { key: 'attachments/brand/logo.png', filename: 'logo.png', disposition: 'inline' as const, contentId: 'logo', keep: true },
    ];
    const result = await mailer().send({ template: 'invoice', to: 'ann@example.com', emailId: 'order-1-invoice', attachments });
    expect(result).toMatchObject({ ok: true });
    const detail = JSON.parse(eventBridge.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0].Detail!) as Record<string, unknown>;
    expect(detail.attachments).toEqual(attachments);
  });

  it('refuses a key outside attachments/ before publishing', async () => {
    const result = await mailer().send({ template: 'invoice', to: 'ann@example.com', attachments: [{ key: 'templates/invoice/metadata.json', filename: 'x.json' }] });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringContaining('attachments.0.key: must be an object key under attachments/') } });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});
