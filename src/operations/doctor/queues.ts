import { age, check, type DoctorCheck } from './report.js';

/** One of the engine's four queues as doctor sees it. */
export interface QueueFacts {
  name: 'send' | 'send-dlq' | 'feedback' | 'feedback-dlq';
  waiting?: number;
  inFlight?: number;
  delayed?: number;
  /** Seconds the oldest message has waited, when known. */
  oldestAgeSeconds?: number;
  /** Why the age is not known, when it could not be read. */
  ageUnknown?: string;
}

/** The send-queue backlog alarm of the template fires when the oldest request has waited this long. */
export const BACKLOG_WARN_SECONDS = 300;
/** A transactional email an hour late has missed its moment. */
export const BACKLOG_FAIL_SECONDS = 3600;

const IDS: Record<QueueFacts['name'], string> = { send: 'send-queue', 'send-dlq': 'send-dlq', feedback: 'feedback-queue', 'feedback-dlq': 'feedback-dlq' };

const count = (n: number | undefined) => (n === undefined ? '?' : n.toLocaleString('en-US'));
const messages = (n: number) => `${n.toLocaleString('en-US')} message${n === 1 ? '' : 's'}`;

function depthDetail(q: QueueFacts): string {
  const parts = [`${count(q.waiting)} waiting`, `${count(q.inFlight)} in flight`];
  if (q.delayed) parts.push(`${count(q.delayed)} delayed`);
  if (q.oldestAgeSeconds !== undefined) parts.push(`oldest ${age(q.oldestAgeSeconds)}`);
  else if (q.ageUnknown) parts.push(`the oldest message's age is unknown (${q.ageUnknown})`);
  return parts.join(', ');
}

/**
 * The work queues pass while their oldest message is young (a backlog over the alarm's 5 minutes
 * warns, over an hour fails); a dead-letter queue passes only empty: each message in the send DLQ
 * is a request that was never sent, each in the feedback DLQ an SES event never recorded.
 */
export function queueCheck(q: QueueFacts): DoctorCheck {
  const id = IDS[q.name];
  const detail = depthDetail(q);
  if (q.name.endsWith('-dlq')) {
    const held = (q.waiting ?? 0) + (q.inFlight ?? 0) + (q.delayed ?? 0);
    const which = q.name === 'send-dlq' ? 'send' : 'feedback';
    if (held === 0) return check(id, 'queues', 'pass', `${q.name} is empty`, { detail });
    const what = which === 'send' ? 'requests that were never sent' : 'SES events that were never recorded';
    return check(id, 'queues', which === 'send' ? 'fail' : 'warn', `${q.name} holds ${messages(held)}: ${what}`, {
      detail,
      fix: `See why with \`mailengine dlq list --queue ${which}\`; once the cause is fixed, \`mailengine dlq redrive --queue ${which}\` sends them back.`,
    });
  }
  const oldest = q.oldestAgeSeconds;
  // Messages wait and their age is unknown (not readable, or no datapoint): a backlog cannot be ruled out.
  if ((q.waiting ?? 0) > 0 && oldest === undefined) {
    return check(id, 'queues', 'warn', `${q.name} queue: ${count(q.waiting)} waiting, for how long is unknown`, {
      detail: q.ageUnknown ? detail : `${detail}; CloudWatch has no recent ApproximateAgeOfOldestMessage datapoint for it`,
      fix: q.ageUnknown
        ? 'Grant cloudwatch:GetMetricData to see how long the oldest message has waited.'
        : "Run doctor again in a few minutes (SQS reports the age every minute while messages wait); if it stays unknown, see the queue's Monitoring tab in the SQS console.",
    });
  }
  if ((q.waiting ?? 0) === 0 || oldest === undefined || oldest < BACKLOG_WARN_SECONDS) {
    return check(id, 'queues', 'pass', `${q.name} queue: ${count(q.waiting)} waiting${oldest !== undefined && (q.waiting ?? 0) > 0 ? `, oldest ${age(oldest)}` : ''}`, { detail });
  }
  const status = oldest >= BACKLOG_FAIL_SECONDS ? 'fail' : 'warn';
  const fix =
    q.name === 'send'
      ? 'Requests are not being taken: check that sending is not paused (above) and the Sender\'s errors (`mailengine info`, the dashboard); SES throttling shows as a slow drain.'
      : "SES events wait to be recorded: check the Feedback function's errors and its FeedbackConcurrency.";
  return check(id, 'queues', status, `${q.name} queue: the oldest message has waited ${age(oldest)}`, { detail, fix });
}
