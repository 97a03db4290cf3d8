import type { AwsClientFactory } from '../aws/clients.js';

export interface QueueDepth {
  /** send, send-dlq, feedback or feedback-dlq. */
  name: string;
  url: string;
  /** Waiting to be received. */
  waiting?: number;
  /** Received and being worked on. */
  inFlight?: number;
  delayed?: number;
}

/** A queue's approximate message counts (SQS GetQueueAttributes). */
export async function queueDepth(aws: AwsClientFactory, name: string, url: string): Promise<QueueDepth> {
  const { GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
  const out = await (await aws.sqs()).send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
  );
  const n = (key: string) => (out.Attributes?.[key as never] === undefined ? undefined : Number(out.Attributes[key as never]));
  return { name, url, waiting: n('ApproximateNumberOfMessages'), inFlight: n('ApproximateNumberOfMessagesNotVisible'), delayed: n('ApproximateNumberOfMessagesDelayed') };
}

/** Every message a queue holds (waiting, in flight and delayed), or undefined when a count is missing. */
export function totalMessages(depth: QueueDepth): number | undefined {
  if (depth.waiting === undefined || depth.inFlight === undefined || depth.delayed === undefined) return undefined;
  return depth.waiting + depth.inFlight + depth.delayed;
}
