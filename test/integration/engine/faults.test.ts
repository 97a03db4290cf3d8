import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { createSender, type SenderDeps } from '../../../src/engine/sender.js';
import { listReceivedEmails } from '../../../src/local/index.js';
import { awsError, batch, faultyDynamo, plentyOfTime, requestMessage, senderFor, useEngineFixture } from '../../helpers/engine-fixture.js';

/**
 * Faults injected at the client boundary while the rest runs on the real emulators: every
 * request must be accounted for (sent, or handed back to the queue and visible on its record),
 * none lost, and none sent twice except in the crash window the README documents.
 */
const f = useEngineFixture('faults', { clearInboxEachTest: true });

const noSleep = { sleep: async () => undefined };
const order = (emailId: string) => ({ to: `${emailId}@customer.example`, templateName: 'receipt', emailId, templateData: { name: 'Ada', orderId: emailId, total: '1' } });

/** The real SES emulator client, failing the calls `fail(n)` picks with `error()`. */
function flakySes(fail: (call: number) => boolean, error: () => Error): Pick<SESv2Client, 'send'> & { calls: number } {
  const real = f.settings.clients.sesv2;
  const wrapper = {
    calls: 0,
    async send(command: never) {
      wrapper.calls += 1;
      if (fail(wrapper.calls)) throw error();
      return real.send(command);
    },
  };
  return wrapper as unknown as Pick<SESv2Client, 'send'> & { calls: number };
}

async function sentCount(prefix: string): Promise<number> {
  const mails = await listReceivedEmails(f.stack.endpoints.sesv2);
  return mails.filter((m) => m.to.some((t) => t.startsWith(prefix))).length;
}

describe('faults', () => {
  it('a third of the emails throttled, some twice: every request still goes out exactly once, retried within the invocation', async () => {
    // Per email, not per call: with calls counted across the batch, which email meets the throttled
    // calls depends on how the concurrent sends interleave, and one email could meet three of them
    // (the Sender's limit before it hands an email back). Here emails 0, 3, 6 and 9 are throttled on
    // their first try, and 0 and 6 on their second too; two throttles stay under that limit.
    const real = f.settings.clients.sesv2;
    const tries = new Map<string, number>();
    const ses = {
      async send(command: { input: { Destination?: { ToAddresses?: string[] } } }) {
        const to = command.input.Destination?.ToAddresses?.[0] ?? '';
        const index = Number(/^thr-(\d+)@/.exec(to)?.[1]);
        const n = (tries.get(to) ?? 0) + 1;
        tries.set(to, n);
        if (index % 3 === 0 && (n === 1 || (n === 2 && index % 6 === 0))) throw awsError('TooManyRequestsException', 429);
        return real.send(command as never);
      },
    } as unknown as Pick<SESv2Client, 'send'>;
    const deps: SenderDeps = { ...senderFor(f), ses, ...noSleep };
    const messages = Array.from({ length: 10 }, (_, i) => requestMessage(order(`thr-${i}`)));
    const out = await createSender(deps)(batch(...messages), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(await sentCount('thr-')).toBe(10);
    const records = await Promise.all(messages.map((_, i) => deps.tracking.get(`thr-${i}`)));
    expect(records.every((r) => r?.status === 'sent')).toBe(true);
    expect(records.map((r) => r?.attempts)).toEqual([3, 1, 1, 2, 1, 1, 3, 1, 1, 2]);
    expect([...tries.values()].reduce((a, b) => a + b, 0)).toBe(16);
  });

  it('throttled past the time budget: handed back to the queue, the record shows the attempt and error; the redelivery sends once', async () => {
    const message = requestMessage(order('late-1'));
    const always = flakySes(() => true, () => awsError('TooManyRequestsException', 429));
    const tight = { getRemainingTimeInMillis: () => 4_000 };
    const first = await createSender({ ...senderFor(f), ses: always, ...noSleep })(batch(message), tight);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: message.messageId }]);
    const waiting = await senderFor(f).tracking.getWithHistory('late-1');
    expect(waiting?.record).toMatchObject({ status: 'queued', attempts: 1 });
    expect(waiting?.record.lastError).toContain('TooManyRequestsException');
    expect(waiting?.history.map((h) => h.event)).toEqual(['retry_scheduled']);

    const second = await createSender(senderFor(f))(batch(message), plentyOfTime);
    expect(second.batchItemFailures).toEqual([]);
    expect(await senderFor(f).tracking.get('late-1')).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await sentCount('late-1')).toBe(1);
  });

  it('a 5xx from SES is retried like throttling', async () => {
    const ses = flakySes((n) => n === 1, () => awsError('InternalFailure', 500));
    const out = await createSender({ ...senderFor(f), ses, ...noSleep })(batch(requestMessage(order('five-1'))), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(await sentCount('five-1')).toBe(1);
  });

  it('SES MessageRejected is permanent: failed with errorType ses_rejected, not retried', async () => {
    const ses = flakySes(() => true, () => awsError('MessageRejected', 400));
    const out = await createSender({ ...senderFor(f), ses, ...noSleep })(batch(requestMessage(order('rej-1'))), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(await senderFor(f).tracking.get('rej-1')).toMatchObject({ status: 'failed', errorType: 'ses_rejected' });
    expect(ses.calls).toBe(1);
  });

  it('DynamoDB 5xx on the claim: the message goes back to the queue; the redelivery sends once', async () => {
    let failNext = true;
    const flaky = faultyDynamo(f, (command) => {
      if (!failNext || command !== 'PutItemCommand') return undefined;
      failNext = false;
      return awsError('InternalServerError', 500);
    });
    const deps = senderFor(f, { clients: { ...f.settings.clients, dynamodb: flaky } });
    const message = requestMessage(order('ddb-1'));
    expect((await createSender(deps)(batch(message), plentyOfTime)).batchItemFailures).toEqual([{ itemIdentifier: message.messageId }]);
    expect(await sentCount('ddb-1')).toBe(0);
    expect((await createSender(deps)(batch(message), plentyOfTime)).batchItemFailures).toEqual([]);
    expect(await sentCount('ddb-1')).toBe(1);
  });

  it('a DynamoDB blip on the record write after a send is retried without sending again', async () => {
    let sesCalled = false;
    let failures = 1;
    const real = f.settings.clients.sesv2;
    const ses = { calls: 0, send: async (command: never) => ((sesCalled = true), ses.calls++, real.send(command)) };
    const blip = faultyDynamo(f, (command) => {
      if (!sesCalled || failures <= 0 || command !== 'UpdateItemCommand') return undefined;
      failures -= 1;
      return awsError('InternalServerError', 500);
    });
    const deps = senderFor(f, { clients: { ...f.settings.clients, dynamodb: blip } });
    const out = await createSender({ ...deps, ses: ses as unknown as Pick<SESv2Client, 'send'>, ...noSleep })(batch(requestMessage(order('blip-1'))), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(ses.calls).toBe(1);
    expect(await senderFor(f).tracking.get('blip-1')).toMatchObject({ status: 'sent' });
  });

  it('sending paused: the message goes back without churn on the record; after resume it is sent', async () => {
    const paused = flakySes(() => true, () => awsError('SendingPausedException', 400));
    const message = requestMessage(order('pause-1'));
    const first = await createSender({ ...senderFor(f), ses: paused, ...noSleep })(batch(message), plentyOfTime);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: message.messageId }]);
    const waiting = await senderFor(f).tracking.getWithHistory('pause-1');
    expect(waiting?.record).toMatchObject({ status: 'queued', attempts: 0 });
    expect(waiting?.history).toEqual([]);

    expect((await createSender(senderFor(f))(batch(message), plentyOfTime)).batchItemFailures).toEqual([]);
    expect(await senderFor(f).tracking.get('pause-1')).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await sentCount('pause-1')).toBe(1);
  });
});
