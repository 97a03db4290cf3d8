import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SendEmailCommandInput, SESv2Client } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { documentClient } from '../../../src/engine/deps.js';
import { createFeedback } from '../../../src/engine/feedback.js';
import { createSender } from '../../../src/engine/sender.js';
import { listReceivedEmails } from '../../../src/local/index.js';
import { TrackingStore } from '../../../src/tracking/tracking-store.js';
import { batch, feedbackFor, plentyOfTime, requestMessage, senderFor, sesSendEvent, useEngineFixture } from '../../helpers/engine-fixture.js';

/**
 * The crash window, measured. A Sender invocation dies at every point of a send in turn (the
 * call at that point never returns, and nothing after it runs, as when Lambda's process dies);
 * SQS then redelivers the request after its visibility timeout. Counted: how many copies each
 * recipient got, with and without SES's Send event recorded before the redelivery.
 *
 * The calls of one send, in order: 1 the claim (PutItem), 2 the suppression check (BatchGetItem),
 * 3–5 the template's three files (GetObject), 6 SendEmail (here: SES accepts, the answer is
 * lost), 7 the `sent` write (UpdateItem), 8 the `sent` history entry (PutItem).
 */
const f = useEngineFixture('crash');

const CALLS_IN_A_SEND = 8;
const REQUESTS_PER_POINT = 3;
/** The template's visibility timeout: when SQS hands an unfinished message out again. */
const VISIBILITY_TIMEOUT_MS = 180_000;

const never = new Promise<never>(() => undefined);

/** Clients that work until call number `dieAt`, which (with every later one) never returns. */
function dyingClients(dieAt: number, sent: Array<{ input: SendEmailCommandInput }>) {
  let calls = 0;
  const dead = () => ++calls >= dieAt;
  const dynamodb = new DynamoDBClient({ endpoint: f.stack.endpoints.dynamodb, region: f.stack.region, credentials: f.stack.credentials, maxAttempts: 1 });
  dynamodb.middlewareStack.add((next) => async (args) => (dead() ? never : next(args)), { step: 'initialize', name: 'dieHere' });
  const s3 = { send: (command: never) => (dead() ? never : f.settings.clients.s3.send(command)) };
  const ses = {
    async send(command: { input: SendEmailCommandInput }) {
      const dying = dead();
      const out = await f.settings.clients.sesv2.send(command as never);
      sent.push({ input: command.input });
      // SES took the message; the process died before its answer arrived.
      return dying ? never : out;
    },
  };
  return { clients: { ...f.settings.clients, dynamodb, s3: s3 as never }, ses: ses as unknown as Pick<SESv2Client, 'send'> };
}

async function copiesOf(address: string): Promise<number> {
  return (await listReceivedEmails(f.stack.endpoints.sesv2)).filter((m) => m.to.includes(address)).length;
}

/** Sends one request with a crash at `dieAt`, then the redelivery; returns the copies received. */
async function crashThenRedeliver(label: string, dieAt: number, sendEventFirst: boolean): Promise<number> {
  const to = `${label}@customer.example`;
  const message = requestMessage({ to, templateName: 'receipt', emailId: `${label}:x`, templateData: { name: 'A', orderId: label, total: '1' } });
  const accepted: Array<{ input: SendEmailCommandInput }> = [];
  const { clients, ses } = dyingClients(dieAt, accepted);
  const invocation = createSender({ ...senderFor(f, { clients }), ses })(batch(message), plentyOfTime);
  // The invocation either finishes (no crash point reached) or hangs at the crash: give it a moment.
  await Promise.race([invocation, new Promise((resolve) => setTimeout(resolve, 1_500))]);

  if (sendEventFirst) {
    for (const { input } of accepted) {
      const received = (await listReceivedEmails(f.stack.endpoints.sesv2)).find((m) => m.to.includes(to));
      if (received) await createFeedback(feedbackFor(f))(sesSendEvent(input, received.messageId));
    }
  }
  const later = new TrackingStore(documentClient(f.settings.clients.dynamodb), { tableName: f.settings.trackingTable, retentionDays: 90, now: () => new Date(Date.now() + VISIBILITY_TIMEOUT_MS) });
  const redelivered = await createSender({ ...senderFor(f), tracking: later })(batch(message), plentyOfTime);
  expect(redelivered.batchItemFailures).toEqual([]);
  // Whatever happened, the request ends as a record that says it was sent.
  expect(['sent', 'delivered']).toContain((await senderFor(f).tracking.get(`${label}:x`))?.status);
  return copiesOf(to);
}

describe('the crash window', () => {
  const points = Array.from({ length: CALLS_IN_A_SEND + 1 }, (_, i) => i + 1);

  it(`with SES's Send event recorded before the redelivery: no duplicate at any of ${CALLS_IN_A_SEND + 1} crash points`, async () => {
    const copies: Record<number, number[]> = {};
    for (const point of points) {
      copies[point] = [];
      for (let r = 0; r < REQUESTS_PER_POINT; r++) copies[point].push(await crashThenRedeliver(`cw-e-${point}-${r}`, point, true));
    }
    expect(Object.values(copies).flat().every((n) => n === 1)).toBe(true);
  }, 120_000);

  it('without it: duplicates only where SES had accepted and the `sent` write had not landed', async () => {
    const duplicated = new Set<number>();
    for (const point of points) {
      for (let r = 0; r < REQUESTS_PER_POINT; r++) {
        const n = await crashThenRedeliver(`cw-n-${point}-${r}`, point, false);
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n).toBeLessThanOrEqual(2);
        if (n === 2) duplicated.add(point);
      }
    }
    // 6: SES accepted but its answer was lost; 7: the `sent` write never made.
    expect([...duplicated].sort()).toEqual([6, 7]);
  }, 120_000);
});
