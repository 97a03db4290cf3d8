import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { SqsRequeue } from '../../../src/engine/requeue.js';
import { atExpression, createWakeUps, EventBridgeSchedules, scheduleName, type OneTimeSchedules } from '../../../src/engine/schedule.js';
import { parseWakeUp, wakeUpMessage } from '../../../src/model/wake-up.js';

const settings = {
  groupName: 'shop-sends',
  queueArn: 'arn:aws:sqs:eu-west-1:123456789012:shop-send',
  roleArn: 'arn:aws:iam::123456789012:role/shop-SendSchedulerRole-X',
};
const NOW = new Date('2026-12-01T10:00:00.000Z');

describe('wake-ups for scheduled sends', () => {
  it('are named per email and time, within Scheduler’s 64 characters of [0-9A-Za-z-_.]', () => {
    const at = new Date('2026-12-24T08:00:00.250Z');
    const name = scheduleName('order-1234:confirmation@shop+x=y', at);
    expect(name).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
    expect(scheduleName('order-1234:confirmation@shop+x=y', at)).toBe(name);
    expect(scheduleName('order-1235', at)).not.toBe(name);
    expect(scheduleName('order-1234:confirmation@shop+x=y', new Date('2026-12-24T09:00:00Z'))).not.toBe(name);
  });

  it('fire at the whole second at or after sendAt, as an at() expression in UTC', () => {
    expect(atExpression(new Date('2026-12-24T08:00:00.000Z'))).toBe('at(2026-12-24T08:00:00)');
    // Never early: a fraction of a second rounds up.
    expect(atExpression(new Date('2026-12-24T08:00:00.001Z'))).toBe('at(2026-12-24T08:00:01)');
  });

  it('carry only the emailId, as an Email Request event the Sender recognises', () => {
    const body = wakeUpMessage('order-1', NOW, 'b7c1a6e2-0000-4000-8000-000000000001');
    expect(JSON.parse(body)).toMatchObject({ 'detail-type': 'Email Request', source: 'mailengine.schedule', detail: { emailId: 'order-1', wakeUp: true } });
    expect(parseWakeUp(body)).toEqual({ emailId: 'order-1', eventId: 'b7c1a6e2-0000-4000-8000-000000000001' });
    // A request, or anything that only looks like a wake-up, is not one.
    expect(parseWakeUp(JSON.stringify({ 'detail-type': 'Email Request', detail: { to: 'a@b.example', templateName: 't' } }))).toBeUndefined();
    expect(parseWakeUp(JSON.stringify({ 'detail-type': 'Email Request', detail: { emailId: 'x', wakeUp: true, to: 'a@b.example' } }))).toBeUndefined();
    expect(parseWakeUp(JSON.stringify({ 'detail-type': 'Email Request', detail: { emailId: 'bad id', wakeUp: true } }))).toBeUndefined();
    expect(parseWakeUp(JSON.stringify({ 'detail-type': 'Other', detail: { emailId: 'x', wakeUp: true } }))).toBeUndefined();
    expect(parseWakeUp('{"wakeUp": not json')).toBeUndefined();
  });

  it('within 15 minutes go on the send queue with DelaySeconds; further ahead become a one-time schedule', async () => {
    const sqs = mockClient(SQSClient);
    // SendMessage's response (SQS API reference): MessageId and MD5OfMessageBody.
    sqs.on(SendMessageCommand).resolves({ MessageId: 'wake-1', MD5OfMessageBody: 'x' });
    const created: Array<{ name: string; at: Date; body: string }> = [];
    const schedules: OneTimeSchedules = { create: async (s) => void created.push(s) };
    const wakeUps = createWakeUps({ requeue: new SqsRequeue(new SQSClient({ region: 'eu-west-1' })), schedules, now: () => NOW });
    const via = { messageId: 'm-1', body: '{}', eventSourceARN: settings.queueArn };

    expect(await wakeUps.wakeAt('soon', new Date(NOW.getTime() + 14 * 60_000 + 500), via)).toBe('queue');
    const sent = sqs.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(sent).toMatchObject({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/shop-send', DelaySeconds: 841 });
    expect(sent.MessageAttributes).toBeUndefined();
    expect(parseWakeUp(sent.MessageBody!)).toMatchObject({ emailId: 'soon' });

    const later = new Date(NOW.getTime() + 15 * 60_000 + 1);
    expect(await wakeUps.wakeAt('later', later, via)).toBe('schedule');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ name: scheduleName('later', later), at: later });
    expect(parseWakeUp(created[0].body)).toMatchObject({ emailId: 'later' });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
    sqs.restore();
  });

  it('when Scheduler throttles, wake up in 15 minutes to try again instead of failing; a refusal that will not pass is thrown', async () => {
    const queued: number[] = [];
    const requeue = { requeue: async (_m: unknown, delayMs: number) => void queued.push(delayMs) };
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
    const denied = Object.assign(new Error('not authorized to perform: iam:PassRole'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    let failure: Error = throttled;
    const wakeUps = createWakeUps({ requeue, schedules: { create: async () => Promise.reject(failure) }, now: () => NOW });
    expect(await wakeUps.wakeAt('busy', new Date(NOW.getTime() + 86_400_000))).toBe('queue');
    expect(queued).toEqual([900_000]);
    failure = denied;
    await expect(wakeUps.wakeAt('busy', new Date(NOW.getTime() + 86_400_000))).rejects.toThrow(/PassRole/);
    expect(queued).toHaveLength(1);
  });

  it('refuse a time further than 15 minutes ahead when there is no scheduler', async () => {
    const wakeUps = createWakeUps({ requeue: { requeue: async () => undefined }, now: () => NOW });
    await expect(wakeUps.wakeAt('x', new Date(NOW.getTime() + 3_600_000))).rejects.toThrow(/no scheduler/);
  });
});

describe('EventBridge Scheduler one-time schedules', () => {
  it('CreateSchedule: at() in UTC, no flexible window, deleted after completion, the send queue as target with the scheduler role', async () => {
    const scheduler = mockClient(SchedulerClient);
    // CreateSchedule's response (EventBridge Scheduler API reference): { ScheduleArn }.
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/shop-sends/me-x' });
    const at = new Date('2026-12-24T08:00:00Z');
    await new EventBridgeSchedules(new SchedulerClient({ region: 'eu-west-1' }), settings).create({ name: 'me-x', at, body: '{"wake":1}' });
    expect(scheduler.commandCalls(CreateScheduleCommand)[0].args[0].input).toEqual({
      Name: 'me-x',
      GroupName: 'shop-sends',
      ScheduleExpression: 'at(2026-12-24T08:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Description: 'mailengine scheduled send wake-up',
      Target: { Arn: settings.queueArn, RoleArn: settings.roleArn, Input: '{"wake":1}' },
    });
    scheduler.restore();
  });

  it('a schedule that already exists (ConflictException) is the same wake-up: not an error; anything else is', async () => {
    const scheduler = mockClient(SchedulerClient);
    scheduler.on(CreateScheduleCommand).rejectsOnce(new ConflictException({ Message: 'Schedule me-x already exists.', message: 'Schedule me-x already exists.', $metadata: { httpStatusCode: 409 } }));
    const schedules = new EventBridgeSchedules(new SchedulerClient({ region: 'eu-west-1' }), settings);
    await expect(schedules.create({ name: 'me-x', at: NOW, body: '{}' })).resolves.toBeUndefined();
    scheduler.on(CreateScheduleCommand).rejects(Object.assign(new Error('User is not authorized to perform: iam:PassRole'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    await expect(schedules.create({ name: 'me-y', at: NOW, body: '{}' })).rejects.toThrow(/PassRole/);
    scheduler.restore();
  });
});
