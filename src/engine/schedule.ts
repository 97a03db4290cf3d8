import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { createHash } from 'node:crypto';
import { awsErrorName, isThrottling, isTransient } from '../aws/error-names.js';
import { wakeUpMessage } from '../model/wake-up.js';
import { lazyClient } from './lazy-client.js';
import { MAX_REQUEUE_DELAY_MS, type RequeuePort } from './requeue.js';
import type { SqsRecord } from './sqs.js';

/**
 * Wake-ups for scheduled sends. The tracking record is the schedule (`scheduled`, `sendAt`, the
 * request); a wake-up only brings the Sender back to look at it at the right time:
 * - within SQS's 15 minutes, a delayed message on the send queue (the requeue port);
 * - further ahead, an EventBridge Scheduler one-time schedule whose target is the send queue.
 * A wake-up that comes early (the email was moved later) makes another; one for an email that is
 * cancelled or already sent is dropped. So no wake-up ever needs deleting, and a cancel or a
 * reschedule is one conditional write on the record.
 */

/** One one-time schedule that puts `body` on the send queue at `at`. Creating the same one twice is not an error. */
export interface OneTimeSchedules {
  create(schedule: { name: string; at: Date; body: string }): Promise<void>;
}

export interface WakeUpPort {
  /** Makes sure the Sender looks at `emailId` again at `sendAt`; `via` is the message being handled (its queue). */
  wakeAt(emailId: string, sendAt: Date, via?: SqsRecord): Promise<'queue' | 'schedule'>;
}

/** Schedule names: 1-64 of [0-9A-Za-z-_.]. One per email and time, so a repeated wake-up request creates nothing new. */
export function scheduleName(emailId: string, at: Date): string {
  const digest = createHash('sha256').update(emailId).digest('hex').slice(0, 40);
  return `me-${digest}-${Math.ceil(at.getTime() / 1000)}`;
}

/** EventBridge Scheduler's one-time expression, in UTC, at the whole second at or after `at`. */
export function atExpression(at: Date): string {
  const second = new Date(Math.ceil(at.getTime() / 1000) * 1000);
  return `at(${second.toISOString().slice(0, 19)})`;
}

export function createWakeUps(deps: { requeue?: RequeuePort; schedules?: OneTimeSchedules; now?: () => Date; queueDelayLimitMs?: number }): WakeUpPort {
  const now = deps.now ?? (() => new Date());
  const limit = Math.min(deps.queueDelayLimitMs ?? MAX_REQUEUE_DELAY_MS, MAX_REQUEUE_DELAY_MS);
  return {
    async wakeAt(emailId, sendAt, via) {
      const at = now();
      const body = wakeUpMessage(emailId, at);
      const wait = Math.max(0, sendAt.getTime() - at.getTime());
      if (wait <= limit || !deps.schedules) {
        if (!deps.requeue) throw new Error('no send queue to put a wake-up on');
        if (wait > MAX_REQUEUE_DELAY_MS) throw new Error('no scheduler for a wake-up more than 15 minutes ahead');
        await deps.requeue.requeue({ messageId: `wake-up:${emailId}`, body, eventSourceARN: via?.eventSourceARN }, wait);
        return 'queue';
      }
      try {
        await deps.schedules.create({ name: scheduleName(emailId, sendAt), at: sendAt, body });
        return 'schedule';
      } catch (err) {
        // Scheduler throttled or failed for a moment (a burst of scheduled requests can exceed its
        // CreateSchedule rate): wake up in 15 minutes and try again then, rather than hand the
        // request back and spend its receives on the way to the DLQ.
        if (!deps.requeue || !(isThrottling(err) || isTransient(err))) throw err;
        await deps.requeue.requeue({ messageId: `wake-up:${emailId}`, body, eventSourceARN: via?.eventSourceARN }, limit);
        return 'queue';
      }
    },
  };
}

export interface SchedulerSettings {
  /** The stack's schedule group. */
  groupName: string;
  /** The send queue's ARN: the schedules' target. */
  queueArn: string;
  /** The role EventBridge Scheduler assumes to send to the queue (sqs:SendMessage on it only). */
  roleArn: string;
}

/** The CreateSchedule request for one wake-up (the shape of the EventBridge Scheduler API reference). */
export function createScheduleInput(settings: SchedulerSettings, schedule: { name: string; at: Date; body: string }) {
  return {
    Name: schedule.name,
    GroupName: settings.groupName,
    ScheduleExpression: atExpression(schedule.at),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    // A one-time schedule is of no use once it fired: Scheduler deletes it.
    ActionAfterCompletion: 'DELETE' as const,
    State: 'ENABLED' as const,
    Description: 'mailengine scheduled send wake-up',
    Target: { Arn: settings.queueArn, RoleArn: settings.roleArn, Input: schedule.body },
  };
}

/** One-time schedules on EventBridge Scheduler. The SDK module is loaded on the first schedule, not at the Sender's start. */
export class EventBridgeSchedules implements OneTimeSchedules {
  constructor(
    private readonly client: Pick<SchedulerClient, 'send'>,
    private readonly settings: SchedulerSettings,
  ) {}

  async create(schedule: { name: string; at: Date; body: string }): Promise<void> {
    const { CreateScheduleCommand } = await import('@aws-sdk/client-scheduler');
    try {
      await this.client.send(new CreateScheduleCommand(createScheduleInput(this.settings, schedule)));
    } catch (err) {
      // The same name is the same email and time: the wake-up already exists.
      if (awsErrorName(err) === 'ConflictException') return;
      throw err;
    }
  }
}

/** A Scheduler client created on first use (the Sender's cold start never loads it). */
export function lazyScheduler(): Pick<SchedulerClient, 'send'> {
  return lazyClient(() => import('@aws-sdk/client-scheduler').then(({ SchedulerClient }) => new SchedulerClient({})));
}
