import { SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSesEvent } from '../../../src/model/ses-event.js';
import type { SqsEvent } from '../../../src/engine/sqs.js';
import { DEFAULT_FEEDBACK_QUEUE } from '../../../src/local/runner/config.js';
import type { BusEvent } from '../../../src/local/runner/event-bus.js';
import { startRunner, type LocalRunner } from '../../../src/local/runner/runner.js';
import { simulatedOutcome, synthesiseSesEvents } from '../../../src/local/runner/simulator.js';
import { fakeSesEmulator, testRunnerConfig } from '../../helpers/local-stack.js';

const ctx = { region: 'us-east-1', accountId: '000000000000', stepMs: 100 };
const sentAt = new Date('2026-03-14T15:42:07.000Z');

function input(to: string[], extra: Partial<SendEmailCommandInput> = {}): SendEmailCommandInput {
  return {
    FromEmailAddress: '"Shop" <orders@shop.example.com>',
    Destination: { ToAddresses: to },
    Content: { Simple: { Subject: { Data: 'Your order' }, Body: { Text: { Data: 'hi' } } } },
    ConfigurationSetName: 'shop',
    EmailTags: [
      { Name: 'emailId', Value: 'order-1' },
      { Name: 'template', Value: 'order-confirmation' },
    ],
    ...extra,
  };
}

const types = (events: Array<{ step: number; event: BusEvent }>) => events.map(({ step, event }) => [step, event['detail-type'], (event.detail as { eventType: string }).eventType]);

describe('the SES mailbox simulator, as the runner plays it', () => {
  it('recognises each simulator mailbox, with or without a +label, in any case', () => {
    expect(simulatedOutcome('success@simulator.amazonses.com')).toBe('success');
    expect(simulatedOutcome('Success+order-1@Simulator.AmazonSES.com')).toBe('success');
    expect(simulatedOutcome('"Test" <bounce+x@simulator.amazonses.com>')).toBe('bounce');
    expect(simulatedOutcome('complaint@simulator.amazonses.com')).toBe('complaint');
    expect(simulatedOutcome('ooto+1@simulator.amazonses.com')).toBe('ooto');
    expect(simulatedOutcome('suppressionlist@simulator.amazonses.com')).toBe('suppressionlist');
    expect(simulatedOutcome('someone@simulator.amazonses.com')).toBe('delivered');
    expect(simulatedOutcome('bounce@example.com')).toBe('delivered');
  });

  it.each([
    ['success@simulator.amazonses.com', [[1, 'Email Sent', 'Send'], [2, 'Email Delivered', 'Delivery']]],
    ['ann@example.com', [[1, 'Email Sent', 'Send'], [2, 'Email Delivered', 'Delivery']]],
    ['bounce@simulator.amazonses.com', [[1, 'Email Sent', 'Send'], [2, 'Email Bounced', 'Bounce']]],
    ['complaint@simulator.amazonses.com', [[1, 'Email Sent', 'Send'], [2, 'Email Delivered', 'Delivery'], [3, 'Email Complaint Received', 'Complaint']]],
    ['ooto@simulator.amazonses.com', [[1, 'Email Sent', 'Send'], [2, 'Email Delivered', 'Delivery']]],
    ['suppressionlist@simulator.amazonses.com', [[1, 'Email Sent', 'Send'], [2, 'Email Bounced', 'Bounce']]],
    ['success+order1@simulator.amazonses.com', [[1, 'Email Sent', 'Send'], [2, 'Email Delivered', 'Delivery']]],
  ])('%s: the events SES would publish, in order', (address, expected) => {
    expect(types(synthesiseSesEvents({ input: input([address]), messageId: 'm-1', sentAt }, ctx))).toEqual(expected);
  });

  it('shapes each event as EventBridge delivers SES events, with the send’s tags as lists', () => {
    const [send, bounce] = synthesiseSesEvents({ input: input(['bounce@simulator.amazonses.com']), messageId: 'm-1', sentAt }, ctx);
    expect(send.event).toMatchObject({ version: '0', source: 'aws.ses', account: '000000000000', region: 'us-east-1', resources: [], time: '2026-03-14T15:42:07Z' });
    expect(bounce.event.detail).toMatchObject({
      eventType: 'Bounce',
      mail: {
        messageId: 'm-1',
        timestamp: '2026-03-14T15:42:07.000Z',
        source: '"Shop" <orders@shop.example.com>',
        destination: ['bounce@simulator.amazonses.com'],
        tags: { 'ses:configuration-set': ['shop'], emailId: ['order-1'], template: ['order-confirmation'], 'ses:from-domain': ['shop.example.com'] },
        commonHeaders: { subject: 'Your order', to: ['bounce@simulator.amazonses.com'] },
      },
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [{ emailAddress: 'bounce@simulator.amazonses.com', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
        timestamp: '2026-03-14T15:42:07.200Z',
        feedbackId: expect.stringMatching(/^m-1-/),
      },
    });
  });

  it('reads back through the engine’s own SES event parser as the outcome each mailbox stands for', () => {
    const kinds = (address: string) =>
      synthesiseSesEvents({ input: input([address]), messageId: 'm-1', sentAt }, ctx).map(({ event }) => {
        const parsed = parseSesEvent(JSON.stringify(event));
        return [parsed.kind, parsed.emailId, parsed.configurationSet, parsed.recipients];
      });
    expect(kinds('bounce@simulator.amazonses.com')).toEqual([
      ['send', 'order-1', 'shop', ['bounce@simulator.amazonses.com']],
      ['hard_bounce', 'order-1', 'shop', ['bounce@simulator.amazonses.com']],
    ]);
    expect(kinds('complaint@simulator.amazonses.com').map(([kind]) => kind)).toEqual(['send', 'delivery', 'complaint']);
    expect(kinds('suppressionlist@simulator.amazonses.com').map(([kind]) => kind)).toEqual(['send', 'hard_bounce']);
    const ooto = parseSesEvent(JSON.stringify(synthesiseSesEvents({ input: input(['ooto@simulator.amazonses.com']), messageId: 'm-1', sentAt }, ctx)[1].event));
    expect(ooto).toMatchObject({ kind: 'delivery', status: 'delivered', details: { smtpResponse: expect.stringMatching(/out-of-office auto-reply/) } });
    const suppressed = parseSesEvent(JSON.stringify(synthesiseSesEvents({ input: input(['suppressionlist@simulator.amazonses.com']), messageId: 'm-1', sentAt }, ctx)[1].event));
    expect(suppressed.details).toMatchObject({ bounceType: 'Permanent', bounceSubType: 'Suppressed' });
  });

  it('gives a message to several recipients one event per outcome, naming the recipients it concerns', () => {
    const events = synthesiseSesEvents(
      { input: input(['success@simulator.amazonses.com'], { Destination: { ToAddresses: ['success@simulator.amazonses.com'], CcAddresses: ['bounce@simulator.amazonses.com'], BccAddresses: ['complaint@simulator.amazonses.com'] } }), messageId: 'm-2', sentAt },
      ctx,
    );
    expect(events.map(({ event }) => parseSesEvent(JSON.stringify(event))).map((e) => [e.kind, e.recipients])).toEqual([
      ['send', ['success@simulator.amazonses.com', 'bounce@simulator.amazonses.com', 'complaint@simulator.amazonses.com']],
      ['delivery', ['success@simulator.amazonses.com', 'complaint@simulator.amazonses.com']],
      ['hard_bounce', ['bounce@simulator.amazonses.com']],
      ['complaint', ['complaint@simulator.amazonses.com']],
    ]);
  });

  it('publishes nothing for a send without a configuration set, as SES does', () => {
    expect(synthesiseSesEvents({ input: input(['success@simulator.amazonses.com'], { ConfigurationSetName: undefined }), messageId: 'm-3', sentAt }, ctx)).toEqual([]);
  });
});

describe('SES events in the running runner', () => {
  let runner: LocalRunner | undefined;
  afterEach(async () => {
    await runner?.close();
    runner = undefined;
  });

  /** A Sender that sends each request's `to` through the runner's wrapped SES client (the emulator faked). */
  async function start(delayMs: number) {
    const feedbackBodies: Array<{ at: number; event: BusEvent }> = [];
    const config = testRunnerConfig('runner-sim', { feedback: { ...DEFAULT_FEEDBACK_QUEUE, batchSize: 1 }, sesEventDelayMs: delayMs });
    let n = 0;
    const emulator = fakeSesEmulator(() => `ses-${++n}`);
    runner = await startRunner({
      config,
      engine: (hooks) => {
        const ses = hooks.wrapSes(emulator);
        return {
          sender: async (event: SqsEvent) => {
            for (const r of event.Records) {
              const to = (JSON.parse(r.body) as { detail: { to: string } }).detail.to;
              await ses.send(new SendEmailCommand(input([to], { EmailTags: [{ Name: 'emailId', Value: to.split('@')[0].replace(/\W/g, '-') }] })));
            }
            return { batchItemFailures: [] };
          },
          feedback: async (event: SqsEvent) => {
            for (const r of event.Records) feedbackBodies.push({ at: Date.now(), event: JSON.parse(r.body) as BusEvent });
            return { batchItemFailures: [] };
          },
        };
      },
    });
    const publish = (to: string) =>
      runner!.bus.put('shop-bus', { version: '0', id: to, 'detail-type': 'Email Request', source: 'test', account: '000000000000', time: '2026-03-14T15:42:07Z', region: 'us-east-1', resources: [], detail: { to } });
    return { feedbackBodies, publish };
  }

  it('routes the synthesised events over the default bus to the Feedback, after the configured delay', async () => {
    const { feedbackBodies, publish } = await start(120);
    const sent = Date.now();
    publish('complaint@simulator.amazonses.com');
    const deadline = Date.now() + 5000;
    while (feedbackBodies.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(feedbackBodies.map((b) => (b.event.detail as { eventType: string }).eventType)).toEqual(['Send', 'Delivery', 'Complaint']);
    // One delay per step: Send after ~1, Delivery after ~2, Complaint after ~3.
    expect(feedbackBodies[0].at - sent).toBeGreaterThanOrEqual(110);
    expect(feedbackBodies[2].at - sent).toBeGreaterThanOrEqual(350);
    expect(runner!.sends()).toEqual([expect.objectContaining({ messageId: 'ses-1', emailId: 'complaint', recipients: [{ address: 'complaint@simulator.amazonses.com', simulated: 'complaint' }] })]);
    const routed = runner!.bus.events((e) => e.bus === 'default');
    expect(routed.every((e) => e.matchedRules.includes('shop-ses-events'))).toBe(true);
    const deadline2 = Date.now() + 2000;
    while (!runner!.state().idle && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 10));
    expect(runner!.state()).toMatchObject({ idle: true, pendingSesEvents: 0, sends: 1 });
  });

  it('with no delay, publishes them at once', async () => {
    const { feedbackBodies, publish } = await start(0);
    publish('bounce+x@simulator.amazonses.com');
    const deadline = Date.now() + 2000;
    while (feedbackBodies.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(feedbackBodies.map((b) => (b.event.detail as { eventType: string }).eventType)).toEqual(['Send', 'Bounce']);
  });
});
