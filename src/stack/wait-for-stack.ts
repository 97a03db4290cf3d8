import type { AwsClientFactory } from '../aws/clients.js';
import { say, type IoHost, type Progress } from '../io/io-host.js';
import { pollUntil } from '../util/poll.js';
import { pause } from './abortable.js';
import { StackEventReader, formatEventLine, type StackEventLine } from './stack-events.js';
import { describeStackById, type StackSnapshot } from './stack-status.js';

export interface WaitForStackOptions {
  aws: AwsClientFactory;
  io: IoHost;
  progress: Progress;
  stackId: string;
  /** When the operation started: older events are history. */
  since: Date;
  /** The operation's ClientRequestToken, to show only its events. */
  token?: string;
  /** What is happening, for the spinner: "Creating stack mailengine". */
  label: string;
  /** How many resources the operation touches, for an `[n/total]` count. */
  total?: number;
  pollMs: number;
  signal?: AbortSignal;
}

export interface WaitForStackResult {
  /** The settled stack; its status is DELETE_COMPLETE after a deletion. */
  stack: StackSnapshot | undefined;
  events: StackEventLine[];
}

/**
 * Polls until the stack leaves every `*_IN_PROGRESS` status, streaming its events: on a terminal
 * the spinner shows the count and the resource being worked on, elsewhere each event is a line.
 * Failures are printed as they happen, so they stay on screen above the spinner. Ctrl-C rejects
 * with WaitInterrupted and leaves CloudFormation to carry on.
 */
export async function waitForStack(options: WaitForStackOptions): Promise<WaitForStackResult> {
  const reader = new StackEventReader(options.aws, options.stackId, options.since, options.token);
  const done = new Set<string>();
  const show = (event: StackEventLine) => {
    if (!event.isStack && /_COMPLETE$|_SKIPPED$/.test(event.status)) done.add(event.logicalId);
    if (event.status.endsWith('_FAILED') && !/cancel+ed/i.test(event.reason ?? '')) {
      say.warn(options.io, 'stack.event.failed', formatEventLine(event), { event });
    }
    if (options.io.interactive) {
      const count = options.total ? ` [${Math.min(done.size, options.total)}/${options.total}]` : '';
      options.progress.update(`${options.label}${count}  ${event.status} ${event.isStack ? 'stack' : event.logicalId}`);
    } else {
      options.progress.update(formatEventLine(event));
    }
  };
  const { value: stack } = await pollUntil(
    async () => {
      (await reader.poll()).forEach(show);
      const stack = await describeStackById(options.aws, options.stackId);
      return { done: !stack || !stack.status.endsWith('_IN_PROGRESS'), value: stack };
    },
    { delayMs: options.pollMs, signal: options.signal, sleep: pause },
  );
  // Events written between the last read and the status change.
  (await reader.poll()).forEach(show);
  return { stack, events: reader.collected };
}
