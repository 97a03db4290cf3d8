import type { StackEvent } from '@aws-sdk/client-cloudformation';
import type { AwsClientFactory } from '../aws/clients.js';

/** One line of a stack's history, as the CLI shows and returns it. */
export interface StackEventLine {
  time: Date;
  logicalId: string;
  resourceType: string;
  status: string;
  reason?: string;
  /** True for the stack's own status changes (the stack is a resource of itself in the event log). */
  isStack: boolean;
}

// Clocks differ; an event stamped a little before we asked is still ours.
const CLOCK_SKEW_MS = 5 * 60_000;

function toLine(event: StackEvent): StackEventLine {
  return {
    time: event.Timestamp ?? new Date(0),
    logicalId: event.LogicalResourceId ?? '',
    resourceType: event.ResourceType ?? '',
    status: event.ResourceStatus ?? '',
    ...(event.ResourceStatusReason ? { reason: event.ResourceStatusReason } : {}),
    isStack: event.ResourceType === 'AWS::CloudFormation::Stack' && event.LogicalResourceId === event.StackName,
  };
}

/**
 * Reads a stack's events as they arrive. DescribeStackEvents returns newest first, a page at a
 * time, and the whole history of the stack; each `poll()` reads back only to the first event it
 * has already seen (or one older than the operation), and returns the new ones oldest first.
 */
export class StackEventReader {
  private readonly seen = new Set<string>();
  readonly collected: StackEventLine[] = [];

  /**
   * @param stackId the stack's id, so events stay readable after it is deleted
   * @param since events older than this (less clock skew) belong to earlier operations
   * @param token when set, only events of the operation started with this ClientRequestToken
   */
  constructor(
    private readonly aws: AwsClientFactory,
    private readonly stackId: string,
    private readonly since: Date,
    private readonly token?: string,
  ) {}

  async poll(): Promise<StackEventLine[]> {
    const { DescribeStackEventsCommand } = await import('@aws-sdk/client-cloudformation');
    const cfn = await this.aws.cloudformation();
    const fresh: StackEvent[] = [];
    const cutoff = this.since.getTime() - CLOCK_SKEW_MS;
    let next: string | undefined;
    reading: do {
      const page = await cfn.send(new DescribeStackEventsCommand({ StackName: this.stackId, NextToken: next }));
      for (const event of page.StackEvents ?? []) {
        const id = event.EventId ?? '';
        if (this.seen.has(id) || (event.Timestamp && event.Timestamp.getTime() < cutoff)) break reading;
        fresh.push(event);
      }
      next = page.NextToken;
    } while (next);
    const lines: StackEventLine[] = [];
    for (const event of fresh.reverse()) {
      this.seen.add(event.EventId ?? '');
      // Every event of an operation carries the token it was started with; others are not ours.
      if (this.token && event.ClientRequestToken !== this.token) continue;
      lines.push(toLine(event));
    }
    this.collected.push(...lines);
    return lines;
  }
}

/**
 * The event that explains a failed operation: the earliest resource failure that is not merely
 * a cancellation caused by another failure. The stack's own summary ("The following resource(s)
 * failed…") is the fallback.
 */
export function firstFailure(events: readonly StackEventLine[]): StackEventLine | undefined {
  const failures = events.filter((e) => e.status.endsWith('_FAILED'));
  const cause = failures.find((e) => !e.isStack && !/cancel+ed/i.test(e.reason ?? ''));
  return cause ?? failures.find((e) => !e.isStack) ?? failures[0];
}

export function formatEventLine(event: StackEventLine): string {
  const time = event.time.toISOString().slice(11, 19);
  const what = event.isStack ? `stack ${event.logicalId}` : `${event.logicalId} (${event.resourceType})`;
  return `${time}  ${event.status.padEnd(20)}  ${what}${event.reason && event.status.endsWith('_FAILED') ? `: ${event.reason}` : ''}`;
}
