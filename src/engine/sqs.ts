/**
 * The slice of Lambda's SQS event and batch response the engine uses. Declared here so the
 * handlers and the local stack's runner share one definition without a dependency on
 * @types/aws-lambda.
 */
export interface SqsRecord {
  messageId: string;
  receiptHandle?: string;
  body: string;
  attributes?: { ApproximateReceiveCount?: string; SentTimestamp?: string };
  /** The message's SQS message attributes, in Lambda's shape (`stringValue`, `dataType`). */
  messageAttributes?: Record<string, { stringValue?: string; dataType: string }>;
  eventSourceARN?: string;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** What a handler may learn about the invocation it runs in. */
export interface InvocationContext {
  /** Milliseconds until the invocation times out. */
  getRemainingTimeInMillis(): number;
}
