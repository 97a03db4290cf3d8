import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SqsRecord } from './sqs.js';

/**
 * Gives a request back to its queue for later without using up its receive count: a copy of the
 * message is sent again, delayed, and the original is then reported done. A plain batch item
 * failure would bring the message back after the queue's visibility timeout with one more
 * receive, and enough of those (sustained throttling) would move it to the dead letter queue.
 */
export interface RequeuePort {
  /**
   * Sends a copy of `message`'s body to its queue, hidden for `delayMs`; resolves once the queue
   * accepted it. Without `state` the copy carries no requeue attributes (a scheduled send's wake-up).
   */
  requeue(message: SqsRecord, delayMs: number, state?: RequeueState): Promise<void>;
}

/** What a requeued copy carries, as SQS message attributes. */
export interface RequeueState {
  /** How many times this request has been given back so far (the copy's own count). */
  requeues: number;
  /** Epoch ms since which the request has been waiting for SES to take it. */
  waitingSince: number;
}

export const REQUEUE_ATTRIBUTES = { requeues: 'mailengine-requeues', waitingSince: 'mailengine-waiting-since' } as const;

/** SQS's limit on `DelaySeconds`. */
export const MAX_REQUEUE_DELAY_MS = 900_000;

export interface RequeuePolicy {
  /** Delay of the first requeue; each next one doubles. */
  firstDelayMs: number;
  /** Longest delay (at most SQS's 15 minutes). */
  maxDelayMs: number;
  /** A request still waiting this long after it was first throttled ends `failed` (`throttled_too_long`). */
  giveUpAfterMs: number;
}

/** 30 s, 60 s, 2 min, … 15 min; a request that waited 6 hours for SES ends failed rather than circulate for the queue's 14 days. */
export const DEFAULT_REQUEUE_POLICY: RequeuePolicy = { firstDelayMs: 30_000, maxDelayMs: MAX_REQUEUE_DELAY_MS, giveUpAfterMs: 6 * 3_600_000 };

/** The delay before the copy given back for the `requeues`-th time (0-based) becomes visible. */
export function requeueDelayMs(policy: RequeuePolicy, requeues: number): number {
  return Math.min(policy.maxDelayMs, MAX_REQUEUE_DELAY_MS, policy.firstDelayMs * 2 ** Math.min(requeues, 30));
}

/** The requeue count and waiting time a message carries; a first delivery carries none. */
export function requeueStateOf(message: SqsRecord): { requeues: number; waitingSince?: number } {
  const number = (name: string) => {
    const raw = message.messageAttributes?.[name]?.stringValue;
    const n = raw === undefined ? Number.NaN : Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const waitingSince = number(REQUEUE_ATTRIBUTES.waitingSince);
  return { requeues: number(REQUEUE_ATTRIBUTES.requeues) ?? 0, ...(waitingSince !== undefined ? { waitingSince } : {}) };
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` for a queue ARN (the record's `eventSourceARN`). */
export function queueUrlFromArn(arn: string): string {
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs') throw new Error(`not an SQS queue ARN: ${arn}`);
  const [, partition, , region, account, name] = parts;
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}

/** The requeue port on SQS: SendMessage with `DelaySeconds` (whole seconds, at most 900). */
export class SqsRequeue implements RequeuePort {
  /** `queueUrl` (the send queue, from the template); without it, the URL is derived from the record's queue ARN. */
  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    private readonly queueUrl?: string,
  ) {}

  async requeue(message: SqsRecord, delayMs: number, state?: RequeueState): Promise<void> {
    const queueUrl = this.queueUrl ?? (message.eventSourceARN ? queueUrlFromArn(message.eventSourceARN) : undefined);
    if (!queueUrl) throw new Error('no queue to give the request back to: SEND_QUEUE_URL is unset and the record names no eventSourceARN');
    // Loaded on first use: the CLI reaches this module through the local runner and must not load the SDK for --help.
    const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: message.body,
        DelaySeconds: Math.min(900, Math.max(0, Math.ceil(delayMs / 1000))),
        ...(state
          ? {
              MessageAttributes: {
                [REQUEUE_ATTRIBUTES.requeues]: { DataType: 'Number', StringValue: String(state.requeues) },
                [REQUEUE_ATTRIBUTES.waitingSince]: { DataType: 'Number', StringValue: String(state.waitingSince) },
              },
            }
          : {}),
      }),
    );
  }
}
