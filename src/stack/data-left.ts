import type { AwsClientFactory } from '../aws/clients.js';
import { isMailengineError } from '../errors.js';
import type { StackDataItem } from './stack-data.js';

/** Whether a data resource exists, as its own service says; `unknown` when the check itself failed. */
export type Presence = { state: 'present' } | { state: 'gone' } | { state: 'unknown'; reason: string };

/** A queue URL's last path segment is the queue's name. */
function queueName(item: StackDataItem): string {
  return item.name.startsWith('https://') ? (item.name.split('/').pop() ?? item.name) : item.name;
}

async function look(aws: AwsClientFactory, item: StackDataItem): Promise<boolean> {
  switch (item.type) {
    case 'AWS::DynamoDB::Table': {
      const { DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
      const { Table } = await (await aws.dynamodb()).send(new DescribeTableCommand({ TableName: item.physicalId }));
      return Table?.TableStatus !== 'DELETING';
    }
    case 'AWS::S3::Bucket': {
      const { HeadBucketCommand } = await import('@aws-sdk/client-s3');
      await (await aws.s3()).send(new HeadBucketCommand({ Bucket: item.physicalId }));
      return true;
    }
    case 'AWS::SQS::Queue': {
      const { GetQueueUrlCommand } = await import('@aws-sdk/client-sqs');
      await (await aws.sqs()).send(new GetQueueUrlCommand({ QueueName: queueName(item) }));
      return true;
    }
    case 'AWS::SecretsManager::Secret': {
      const { DescribeSecretCommand } = await import('@aws-sdk/client-secrets-manager');
      const out = await (await aws.secretsmanager()).send(new DescribeSecretCommand({ SecretId: item.physicalId }));
      // Scheduled for deletion: the key is gone for mailengine's purposes, though its name is held.
      return out.DeletedDate === undefined;
    }
    case 'AWS::Logs::LogGroup': {
      const { DescribeLogGroupsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
      const out = await (await aws.logs()).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: item.name }));
      return (out.logGroups ?? []).some((g) => g.logGroupName === item.name);
    }
    default:
      throw new Error(`no presence check for ${item.type}`);
  }
}

/**
 * Asks each resource's own service whether it is still there (DescribeTable, HeadBucket,
 * GetQueueUrl, DescribeSecret, DescribeLogGroups), so `destroy` reports what is left rather than
 * what the template said would be.
 */
export async function presenceOf(aws: AwsClientFactory, item: StackDataItem): Promise<Presence> {
  try {
    return (await look(aws, item)) ? { state: 'present' } : { state: 'gone' };
  } catch (err) {
    if (!isMailengineError(err)) throw err;
    if (err.code === 'NOT_FOUND') return { state: 'gone' };
    return { state: 'unknown', reason: err.message };
  }
}
