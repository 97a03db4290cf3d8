import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EmailStatus } from '../model/statuses.js';

export const STATUS_CHANGED_DETAIL_TYPE = 'Email Status Changed';
export const ENGINE_EVENT_SOURCE = 'mailengine';

export interface StatusChange {
  emailId: string;
  recipient?: string;
  status: EmailStatus;
  templateName?: string;
  errorType?: string;
  sesMessageId?: string;
  time: string;
  /** The SES event or engine step that caused it. */
  cause: string;
}

/** Where "Email Status Changed" events go: the engine bus in AWS, the runner's log locally. */
export interface StatusEventPublisher {
  publish(change: StatusChange): Promise<void>;
}

export class EventBridgeStatusPublisher implements StatusEventPublisher {
  constructor(
    private readonly events: Pick<EventBridgeClient, 'send'>,
    private readonly busName: string,
  ) {}

  async publish(change: StatusChange): Promise<void> {
    // Read on the first event, not at a cold start: the Sender publishes only for requests that end in it (failed, suppressed).
    const { PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
    const out = await this.events.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.busName, Source: ENGINE_EVENT_SOURCE, DetailType: STATUS_CHANGED_DETAIL_TYPE, Detail: JSON.stringify(change), Time: new Date(change.time) }],
      }),
    );
    if (out.FailedEntryCount) throw new Error(`PutEvents refused the status event: ${out.Entries?.[0]?.ErrorCode ?? 'unknown'} ${out.Entries?.[0]?.ErrorMessage ?? ''}`);
  }
}

/** Structured log lines (CloudWatch Logs Insights reads the JSON). */
export interface EngineLogger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: EngineLogger = { info() {}, warn() {}, error() {} };
