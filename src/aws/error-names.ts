/**
 * The AWS error name and HTTP status of an error, whether it came straight from an SDK client (as
 * in Lambda) or through the CLI's client factory, which wraps it in a MailengineError.
 */
export function awsErrorName(err: unknown): string | undefined {
  const e = err as { name?: string; code?: string; details?: { awsError?: string } } | undefined;
  return e?.details?.awsError ?? e?.name ?? e?.code;
}

export function httpStatus(err: unknown): number | undefined {
  const e = err as { $metadata?: { httpStatusCode?: number }; details?: { httpStatusCode?: number } } | undefined;
  return e?.details?.httpStatusCode ?? e?.$metadata?.httpStatusCode;
}

/**
 * The error names AWS services (and the local stack's emulators) use for "too many requests": the
 * one list behind the engine's retry decisions and the CLI's THROTTLED message.
 */
export const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'THROTTLED',
]);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'TimeoutError', 'RequestTimeout', 'NETWORK_ERROR', 'LOCAL_STACK_DOWN']);

/** The service is refusing for rate or quota (HTTP 429 or a throttling error name): slow down, then try again. */
export function isThrottling(err: unknown): boolean {
  return THROTTLING_ERROR_NAMES.has(awsErrorName(err) ?? '') || httpStatus(err) === 429;
}

/** Worth another try: throttling, a 5xx, or the network. */
export function isTransient(err: unknown): boolean {
  const name = awsErrorName(err) ?? '';
  const status = httpStatus(err);
  const code = (err as { code?: string })?.code ?? '';
  return THROTTLING_ERROR_NAMES.has(name) || NETWORK.has(name) || NETWORK.has(code) || (status !== undefined && (status >= 500 || status === 429));
}

/**
 * A DynamoDB condition that did not hold: the expected answer of a conditional write (someone got
 * there first), not a failure. By name, so it matches whichever SDK copy threw it.
 */
export function isConditionFailure(err: unknown): boolean {
  return awsErrorName(err) === 'ConditionalCheckFailedException';
}
