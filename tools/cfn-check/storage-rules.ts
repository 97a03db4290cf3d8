import type { Finding, RuleContext } from './types.js';
import { alternatives, isObject, jsonValue, referencedResource, resolveNumber, resourcesOfType } from './values.js';

/** Lambda's default timeout and SQS's default visibility timeout, used when a template omits them. */
const DEFAULT_FUNCTION_TIMEOUT = 3;
const DEFAULT_VISIBILITY_TIMEOUT = 30;
/** AWS's guidance for SQS event sources: room for the function, its retries and batching. */
const VISIBILITY_FACTOR = 6;
const MIN_RECEIVE_COUNT = 5;

function every(value: unknown, predicate: (branch: unknown) => boolean): boolean {
  const branches = alternatives(value);
  return branches.length > 0 && branches.every(predicate);
}

/**
 * Encryption at rest for everything that stores customer data. SNS topics are left out on
 * purpose: the engine's topics carry alarm notifications only, and CloudWatch cannot publish to a
 * topic encrypted with the AWS-managed SNS key.
 */
export function checkEncryption({ template }: RuleContext): Finding[] {
  const findings: Finding[] = [];
  for (const [id, properties] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const encrypted = every(properties.SSESpecification, (sse) => isObject(sse) && every(sse.SSEEnabled, (on) => on === true || on === 'true'));
    if (!encrypted) findings.push({ rule: 'data-store-unencrypted', resource: id, message: 'DynamoDB table needs SSESpecification.SSEEnabled: true (KMS)' });
  }
  for (const [id, properties] of resourcesOfType(template, 'AWS::S3::Bucket')) {
    const encrypted = every(properties.BucketEncryption, (encryption) => isObject(encryption) && Array.isArray(encryption.ServerSideEncryptionConfiguration) && encryption.ServerSideEncryptionConfiguration.length > 0);
    if (!encrypted) findings.push({ rule: 'data-store-unencrypted', resource: id, message: 'S3 bucket needs BucketEncryption' });
  }
  for (const [id, properties] of resourcesOfType(template, 'AWS::SQS::Queue')) {
    const managed = every(properties.SqsManagedSseEnabled, (on) => on === true || on === 'true');
    const kms = properties.KmsMasterKeyId !== undefined;
    if (!managed && !kms) findings.push({ rule: 'data-store-unencrypted', resource: id, message: 'SQS queue needs SqsManagedSseEnabled: true or a KmsMasterKeyId' });
  }
  return findings;
}

const PUBLIC_ACCESS_SETTINGS = ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'] as const;

export function checkPublicAccess({ template }: RuleContext): Finding[] {
  const findings: Finding[] = [];
  for (const [id, properties] of resourcesOfType(template, 'AWS::S3::Bucket')) {
    const block = properties.PublicAccessBlockConfiguration;
    const missing = PUBLIC_ACCESS_SETTINGS.filter((setting) => !(isObject(block) && every(block[setting], (on) => on === true || on === 'true')));
    if (missing.length > 0) {
      findings.push({ rule: 'bucket-public-access', resource: id, message: `PublicAccessBlockConfiguration must set ${missing.join(', ')} to true` });
    }
  }
  return findings;
}

/**
 * Queues feeding Lambda: a visibility timeout of at least 6 x the function's timeout (otherwise a
 * message reappears while its first delivery is still being processed), a bound on the
 * function's concurrency on the mapping, a redrive policy, and
 * a maxReceiveCount of at least 5 on every redrive policy (fewer sends messages to the DLQ on
 * transient throttling).
 */
export function checkQueues({ template }: RuleContext): Finding[] {
  const findings: Finding[] = [];
  const resources = template.Resources ?? {};
  for (const [mappingId, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
    const queueId = referencedResource(mapping.EventSourceArn);
    const functionId = referencedResource(mapping.FunctionName);
    const queue = queueId ? resources[queueId] : undefined;
    const fn = functionId ? resources[functionId] : undefined;
    if (queue?.Type !== 'AWS::SQS::Queue' || fn?.Type !== 'AWS::Lambda::Function' || !queueId) continue;
    const queueProperties = queue.Properties ?? {};
    const timeout = resolveNumber(fn.Properties?.Timeout ?? DEFAULT_FUNCTION_TIMEOUT, template);
    const visibility = resolveNumber(queueProperties.VisibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT, template);
    if (timeout === undefined || visibility === undefined) {
      findings.push({ rule: 'queue-visibility-timeout', resource: queueId, message: `cannot verify against ${functionId} (${mappingId}): use literal numbers for VisibilityTimeout and Timeout` });
    } else if (visibility < VISIBILITY_FACTOR * timeout) {
      findings.push({
        rule: 'queue-visibility-timeout',
        resource: queueId,
        message: `VisibilityTimeout ${visibility}s is under ${VISIBILITY_FACTOR} x ${functionId}'s Timeout ${timeout}s (needs at least ${VISIBILITY_FACTOR * timeout}s)`,
      });
    }
    const scaling = mapping.ScalingConfig;
    if (!isObject(scaling) || scaling.MaximumConcurrency === undefined) {
      findings.push({
        rule: 'queue-concurrency-unbounded',
        resource: mappingId,
        message: `reads ${queueId} with no ScalingConfig.MaximumConcurrency: a burst scales ${functionId} up to the account's concurrency, starving the other functions`,
      });
    }
    if (queueProperties.RedrivePolicy === undefined) {
      findings.push({ rule: 'queue-dlq-missing', resource: queueId, message: `is consumed by ${functionId} but has no RedrivePolicy to a dead-letter queue` });
    }
  }
  for (const [id, properties] of resourcesOfType(template, 'AWS::SQS::Queue')) {
    if (properties.RedrivePolicy === undefined) continue;
    for (const branch of alternatives(properties.RedrivePolicy)) {
      const policy = jsonValue(branch);
      const count = isObject(policy) ? resolveNumber(policy.maxReceiveCount, template) : undefined;
      if (count === undefined || count < MIN_RECEIVE_COUNT) {
        findings.push({ rule: 'redrive-max-receive-count', resource: id, message: `RedrivePolicy.maxReceiveCount is ${count ?? 'not a number'}; use at least ${MIN_RECEIVE_COUNT}` });
      }
    }
  }
  return findings;
}
