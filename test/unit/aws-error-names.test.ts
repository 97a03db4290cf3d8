import { describe, expect, it } from 'vitest';
import { THROTTLING_ERROR_NAMES, isThrottling, isTransient } from '../../src/aws/error-names.js';
import { translateAwsError } from '../../src/aws/errors.js';
import { MailengineError } from '../../src/errors.js';

/**
 * One classification of AWS errors: the engine retries what the CLI calls THROTTLED, and an error
 * that reaches the engine through the CLI's client factory (wrapped in a MailengineError) is
 * classified as the raw SDK error is.
 */
const THROTTLING = [
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'THROTTLED',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
];
const NOT_THROTTLING = ['AccessDeniedException', 'ConditionalCheckFailedException', 'ValidationError', 'MessageRejected', 'ResourceNotFoundException', 'ExpiredToken'];

function sdkError(name: string, status: number) {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status, attempts: 3 } });
}

const ctx = { service: 'sesv2', operation: 'SendEmail', region: 'eu-west-1' };

describe('AWS error classification', () => {
  it('has one list of throttling names', () => {
    expect([...THROTTLING_ERROR_NAMES].sort()).toEqual([...THROTTLING].sort());
  });

  it.each(THROTTLING)('%s is throttling for the engine and THROTTLED for the CLI', (name) => {
    const raw = sdkError(name, 400);
    expect(isThrottling(raw)).toBe(true);
    expect(isTransient(raw)).toBe(true);
    const translated = translateAwsError(raw, ctx);
    expect(translated.code).toBe('THROTTLED');
    expect(isThrottling(translated)).toBe(true);
  });

  it.each(NOT_THROTTLING)('%s is not throttling for either', (name) => {
    const raw = sdkError(name, 400);
    expect(isThrottling(raw)).toBe(false);
    expect(isTransient(raw)).toBe(false);
    expect(translateAwsError(raw, ctx).code).not.toBe('THROTTLED');
  });

  it('HTTP 429 is throttling whatever the name', () => {
    const raw = sdkError('SomethingNew', 429);
    expect(isThrottling(raw)).toBe(true);
    expect(translateAwsError(raw, ctx).code).toBe('THROTTLED');
  });

  it('a 5xx or a network failure is transient but not throttling', () => {
    for (const raw of [sdkError('InternalFailure', 500), sdkError('ServiceUnavailable', 503), Object.assign(new Error('reset'), { code: 'ECONNRESET' })]) {
      expect(isThrottling(raw)).toBe(false);
      expect(isTransient(raw)).toBe(true);
    }
    expect(isTransient(new MailengineError('LOCAL_STACK_DOWN', 'down'))).toBe(true);
  });
});
