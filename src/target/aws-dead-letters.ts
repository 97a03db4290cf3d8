import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MailengineError } from '../errors.js';
import { PEEK_HOLD_SECONDS, type DeadLetterSource, type DlqQueue, type QueuePeek, type RawDeadLetter, type RedriveItem, type RedrivePlan } from '../operations/dlq.js';

const queueName = (url: string) => url.split('/').pop() ?? url;

/** A deployed engine's DLQs, through SQS. */
export class SqsDeadLetters implements DeadLetterSource {
  readonly local = false;

  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    readonly stackName: string,
    /** The target's name for the engine, as messages give it. */
    readonly title: string,
    private readonly urls: Record<DlqQueue, { source: string; dlq: string }>,
  ) {}

  private async attributes(url: string, names: QueueAttributeName[]): Promise<Record<string, string>> {
    // GetQueueAttributes: every attribute value is a string (API reference).
    const out = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }));
    return (out.Attributes ?? {}) as Record<string, string>;
  }

  async peek(queue: DlqQueue, limit: number): Promise<QueuePeek & { releaseFailed?: string }> {
    const url = this.urls[queue].dlq;
    const attrs = await this.attributes(url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']);
    const seen = new Map<string, RawDeadLetter>();
    const handles: string[] = [];
    let releaseFailed: string | undefined;
    try {
      while (seen.size < limit) {
        // ReceiveMessage (API reference): Messages[] with MessageId, ReceiptHandle, Body, Attributes
        // (system attributes as strings) and MessageAttributes ({ StringValue, DataType }).
        const out = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: Math.min(10, limit - seen.size),
            VisibilityTimeout: PEEK_HOLD_SECONDS,
            // A short long-poll asks every SQS server, so a small queue is not missed by sampling.
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
            MessageAttributeNames: ['All'],
          }),
        );
        const batch = out.Messages ?? [];
        if (batch.length === 0) break;
        for (const m of batch) {
          if (m.ReceiptHandle) handles.push(m.ReceiptHandle);
          if (!m.MessageId || seen.has(m.MessageId)) continue;
          const count = Number(m.Attributes?.ApproximateReceiveCount);
          const sent = Number(m.Attributes?.SentTimestamp);
          seen.set(m.MessageId, {
            messageId: m.MessageId,
            body: m.Body ?? '',
            ...(Number.isFinite(count) ? { receiveCount: Math.max(0, count - 1) } : {}),
            ...(Number.isFinite(sent) ? { sentAt: sent } : {}),
            attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).flatMap(([k, v]) => (v.StringValue !== undefined ? [[k, v.StringValue]] : []))),
          });
        }
      }
    } finally {
      releaseFailed = await this.release(url, handles);
    }
    return {
      name: queueName(url),
      approximate: Number(attrs.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(attrs.ApproximateNumberOfMessagesNotVisible ?? 0),
      messages: [...seen.values()],
      ...(releaseFailed ? { releaseFailed } : {}),
    };
  }

  /** Makes the peeked messages visible again at once. Returns why it failed, if it did. */
  private async release(url: string, handles: string[]): Promise<string | undefined> {
    try {
      for (let i = 0; i < handles.length; i += 10) {
        const entries = handles.slice(i, i + 10).map((ReceiptHandle, j) => ({ Id: `m${i + j}`, ReceiptHandle, VisibilityTimeout: 0 }));
        await this.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: entries }));
      }
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  async planRedrive(queue: DlqQueue): Promise<RedrivePlan> {
    const { source, dlq } = this.urls[queue];
    const [dlqAttrs, sourceAttrs] = await Promise.all([this.attributes(dlq, ['QueueArn', 'ApproximateNumberOfMessages']), this.attributes(source, ['QueueArn'])]);
    const from = dlqAttrs.QueueArn;
    const to = sourceAttrs.QueueArn;
    if (!from || !to) throw new MailengineError('QUEUE_ARN_MISSING', `SQS did not report the ARN of ${from ? queueName(source) : queueName(dlq)}.`, { suggestion: 'Run it again; if it persists, check the queue in the SQS console.' });
    // ListMessageMoveTasks: Results[] with Status RUNNING | COMPLETED | CANCELLING | CANCELLED | FAILED (API reference).
    const tasks = await this.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: from, MaxResults: 1 }));
    const running = tasks.Results?.find((t) => t.Status === 'RUNNING');
    return {
      from,
      to,
      messages: Number(dlqAttrs.ApproximateNumberOfMessages ?? 0),
      ...(running
        ? {
            runningTask: {
              status: running.Status ?? 'RUNNING',
              moved: running.ApproximateNumberOfMessagesMoved,
              toMove: running.ApproximateNumberOfMessagesToMove,
              ...(running.StartedTimestamp ? { startedAt: new Date(running.StartedTimestamp).toISOString() } : {}),
            },
          }
        : {}),
    };
  }

  async redrive(_queue: DlqQueue, plan: RedrivePlan): Promise<Pick<RedriveItem, 'taskHandle'>> {
    // StartMessageMoveTask: SourceArn (the DLQ), DestinationArn (named, because the send DLQ also
    // holds events the EventBridge rule could not deliver, which have no SQS source queue to go back to).
    const out = await this.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: plan.from, DestinationArn: plan.to }));
    return { taskHandle: out.TaskHandle };
  }
}
