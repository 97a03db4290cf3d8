import type { AwsClientFactory } from '../aws/clients.js';
import { parseTemplate } from '../cfn/template.js';
import { isMailengineError } from '../errors.js';
import { cfnScope } from '../local/cfn-values.js';
import { listAllVersions } from './empty-bucket.js';
import { queueDepth, totalMessages, type QueueDepth } from './queue-depth.js';
import { monthlyCostUsd } from './retained-cost.js';
import { dataResources } from './retained-resources.js';
import type { StackSnapshot } from './stack-status.js';

/** A table, bucket, secret, queue or log group of a deployed stack, and what happens to it on delete. */
export interface StackDataItem {
  logicalId: string;
  type: string;
  physicalId: string;
  /** What people call it: the table, bucket, queue, log group or secret name (a secret's physical id is its ARN, a queue's its URL). */
  name: string;
  retainedOnDelete: boolean;
  sizeBytes?: number;
  itemCount?: number;
  /** Versions counted; the bucket's size is a lower bound when there were too many to count. */
  sizeIsLowerBound?: boolean;
  /** A queue's messages: waiting, in flight and delayed. Absent when SQS would not say. */
  messages?: QueueDepth;
  monthlyUsd: number;
}

/** Every message a queue item holds; undefined when they could not be counted (or it is no queue). */
export function messagesIn(item: StackDataItem): number | undefined {
  return item.messages ? totalMessages(item.messages) : undefined;
}

async function stackResources(aws: AwsClientFactory, stackId: string): Promise<Map<string, { physicalId: string; type: string }>> {
  const { ListStackResourcesCommand } = await import('@aws-sdk/client-cloudformation');
  const cfn = await aws.cloudformation();
  const found = new Map<string, { physicalId: string; type: string }>();
  let next: string | undefined;
  do {
    const page = await cfn.send(new ListStackResourcesCommand({ StackName: stackId, NextToken: next }));
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.LogicalResourceId && r.PhysicalResourceId && r.ResourceStatus !== 'DELETE_COMPLETE') found.set(r.LogicalResourceId, { physicalId: r.PhysicalResourceId, type: r.ResourceType ?? '' });
    }
    next = page.NextToken;
  } while (next);
  return found;
}

async function measure(aws: AwsClientFactory, type: string, physicalId: string, name: string): Promise<Pick<StackDataItem, 'sizeBytes' | 'itemCount' | 'sizeIsLowerBound' | 'messages'>> {
  try {
    if (type === 'AWS::SQS::Queue') return { messages: await queueDepth(aws, name, physicalId) };
    if (type === 'AWS::Logs::LogGroup') {
      const { DescribeLogGroupsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
      const out = await (await aws.logs()).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
      const group = out.logGroups?.find((g) => g.logGroupName === name);
      return group?.storedBytes === undefined ? {} : { sizeBytes: group.storedBytes };
    }
    if (type === 'AWS::DynamoDB::Table') {
      const { DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
      const { Table } = await (await aws.dynamodb()).send(new DescribeTableCommand({ TableName: physicalId }));
      return { sizeBytes: Table?.TableSizeBytes, itemCount: Table?.ItemCount };
    }
    if (type === 'AWS::S3::Bucket') {
      const limit = 10_000;
      const versions = await listAllVersions(aws, physicalId, { limit });
      return { sizeBytes: versions.reduce((sum, v) => sum + (v.Size ?? 0), 0), itemCount: versions.length, ...(versions.length >= limit ? { sizeIsLowerBound: true } : {}) };
    }
  } catch (err) {
    // Sizes only refine the estimate; a resource we may not read still gets listed. A queue whose
    // messages could not be counted has no `messages`, which destroy treats as "may hold some".
    if (!isMailengineError(err)) throw err;
  }
  return {};
}

/**
 * The stack's data resources, read from the template CloudFormation actually deployed (after
 * transforms), with its own parameter values deciding each DeletionPolicy, and sized for a cost
 * estimate.
 */
export async function stackDataItems(aws: AwsClientFactory, stack: StackSnapshot, region: string, account: string): Promise<StackDataItem[]> {
  // A stack that never got past review (or whose first install rolled back) manages nothing, and
  // its template may be an empty shell: look at its resources before its template.
  const deployed = await stackResources(aws, stack.stackId);
  if (deployed.size === 0) return [];
  const { GetTemplateCommand } = await import('@aws-sdk/client-cloudformation');
  const out = await (await aws.cloudformation()).send(new GetTemplateCommand({ StackName: stack.stackId, TemplateStage: 'Processed' }));
  const template = parseTemplate(out.TemplateBody ?? '{"Resources":{}}');
  const scope = { ...cfnScope(template, { stackName: stack.stackName, region, parameters: stack.parameters }), accountId: account };
  const items: StackDataItem[] = [];
  for (const resource of dataResources(template, scope)) {
    const live = deployed.get(resource.logicalId);
    if (!live) continue;
    const name = resource.name ?? live.physicalId;
    const size = await measure(aws, resource.type, live.physicalId, name);
    items.push({ logicalId: resource.logicalId, type: resource.type, physicalId: live.physicalId, name, retainedOnDelete: resource.retainedOnDelete, ...size, monthlyUsd: monthlyCostUsd(resource.type, size.sizeBytes) });
  }
  return items;
}
