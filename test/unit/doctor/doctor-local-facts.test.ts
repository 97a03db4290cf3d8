import { describe, expect, it } from 'vitest';
import { subscriptionCheck } from '../../../src/operations/doctor/alerts.js';
import { queueCheck } from '../../../src/operations/doctor/queues.js';
import { queueFacts } from '../../../src/target/local-doctor.js';
import type { RunnerQueueView } from '../../../src/local/runner/client.js';

const message = (sentAt: number) => ({ messageId: `m-${sentAt}`, body: '{}', md5OfBody: 'x', sentAt, receiveCount: 0, visibleAt: sentAt });
const view = (messages: ReturnType<typeof message>[]): RunnerQueueView => ({ name: 'mailengine-send', arn: 'arn:local:sqs:mailengine-send', visible: messages.length, inFlight: 0, delayed: 0, messages });

describe("doctor --local: the runner's queues", () => {
  it('takes the oldest message by when it was sent; an empty queue has no age', () => {
    const now = Date.parse('2026-12-03T10:00:00Z');
    const facts = queueFacts('send', view([message(now - 90_000), message(now - 600_000), message(now - 5_000)]), now);
    expect(facts).toEqual({ name: 'send', waiting: 3, inFlight: 0, delayed: 0, oldestAgeSeconds: 600 });
    expect(queueCheck(facts)).toMatchObject({ status: 'warn', summary: 'send queue: the oldest message has waited 10 min' });
    expect(queueFacts('send', view([]), now)).toEqual({ name: 'send', waiting: 0, inFlight: 0, delayed: 0 });
  });
});

describe('doctor: the alarm subscription', () => {
  const topic = 'arn:aws:sns:eu-west-1:123456789012:mailengine-alarms';
  it('one address confirmed and another pending warns about the pending one; a non-email subscription does not count', () => {
    const c = subscriptionCheck(
      topic,
      [
        { arn: `${topic}:1`, protocol: 'email', endpoint: 'ops@example.com' },
        { arn: 'PendingConfirmation', protocol: 'email', endpoint: 'cto@example.com' },
      ],
      'eu-west-1',
    );
    expect(c).toMatchObject({ status: 'warn', summary: 'Alarms are emailed to ops@example.com; cto@example.com never confirmed' });
    expect(subscriptionCheck(topic, [{ arn: `${topic}:2`, protocol: 'https', endpoint: 'https://hooks.example.com' }], 'eu-west-1').status).toBe('fail');
    expect(subscriptionCheck(topic, [{ arn: `${topic}:1`, protocol: 'email', endpoint: 'ops@example.com' }], 'eu-west-1')).toMatchObject({ status: 'pass', summary: 'Alarms are emailed to ops@example.com' });
  });

  it('no email subscription and no admin address known: the subscribe command with a placeholder address', () => {
    const c = subscriptionCheck(topic, [], 'eu-west-1');
    expect(c.status).toBe('fail');
    expect(c.fix).toContain(`\`aws sns subscribe --region eu-west-1 --topic-arn ${topic} --protocol email --notification-endpoint you@example.com\``);
  });
});
