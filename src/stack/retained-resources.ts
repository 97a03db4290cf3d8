import type { AwsClientFactory } from '../aws/clients.js';
import type { CfnTemplate } from '../cfn/template.js';
import { ExitCode, MailengineError, isMailengineError } from '../errors.js';
import { resolveCfnValue, resolveString, type CfnScope } from '../local/cfn-values.js';

/** Resource types that keep data, and the property that names each one. */
const DATA_RESOURCES: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Logs::LogGroup': 'LogGroupName',
};

export interface DataResource {
  logicalId: string;
  type: string;
  /** The name the template gives it; undefined when CloudFormation generates one. */
  name?: string;
  /** Its DeletionPolicy (with this stack's parameters) keeps it when the stack is deleted. */
  retainedOnDelete: boolean;
}

function evaluateCondition(template: CfnTemplate, condition: unknown, scope: CfnScope, where: string): boolean {
  if (typeof condition === 'string') return evaluateCondition(template, template.Conditions?.[condition], scope, `Conditions.${condition}`);
  if (!condition || typeof condition !== 'object') return Boolean(condition);
  const [fn, args] = Object.entries(condition as Record<string, unknown>)[0] ?? [];
  const list = Array.isArray(args) ? args : [args];
  switch (fn) {
    case 'Fn::Equals': {
      const [a, b] = list.map((v) => String(resolveCfnValue(v, scope, where)));
      return a === b;
    }
    case 'Fn::Not':
      return !evaluateCondition(template, list[0], scope, where);
    case 'Fn::And':
      return list.every((c) => evaluateCondition(template, c, scope, where));
    case 'Fn::Or':
      return list.some((c) => evaluateCondition(template, c, scope, where));
    case 'Condition':
      return evaluateCondition(template, String(args), scope, where);
    default:
      throw new Error(`${where}: cannot evaluate ${String(fn)}`);
  }
}

/** A DeletionPolicy as written (`Retain`) or chosen by a condition (`!If [RetainDataOnDelete, Retain, Delete]`). */
export function effectiveDeletionPolicy(template: CfnTemplate, logicalId: string, scope: CfnScope): string {
  const policy = template.Resources[logicalId]?.DeletionPolicy as unknown;
  if (policy === undefined) return 'Delete';
  if (typeof policy === 'string') return policy;
  const choice = (policy as Record<string, unknown>)['Fn::If'];
  if (Array.isArray(choice)) {
    const [condition, whenTrue, whenFalse] = choice as [string, unknown, unknown];
    return String(evaluateCondition(template, condition, scope, `Resources.${logicalId}.DeletionPolicy`) ? whenTrue : whenFalse);
  }
  return 'Delete';
}

/** Every table, bucket and secret in the template, with its name and whether a delete keeps it. */
export function dataResources(template: CfnTemplate, scope: CfnScope): DataResource[] {
  const found: DataResource[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const nameProperty = DATA_RESOURCES[resource.Type];
    if (!nameProperty) continue;
    const raw = resource.Properties?.[nameProperty];
    let name: string | undefined;
    if (raw !== undefined) {
      try {
        name = resolveString(raw, scope, `Resources.${logicalId}.Properties.${nameProperty}`);
      } catch {
        name = undefined;
      }
    }
    const policy = effectiveDeletionPolicy(template, logicalId, scope);
    found.push({ logicalId, type: resource.Type, ...(name ? { name } : {}), retainedOnDelete: policy === 'Retain' || policy === 'RetainExceptOnCreate' || policy === 'Snapshot' });
  }
  return found;
}

export interface ExistingResource {
  logicalId: string;
  type: string;
  name: string;
  itemCount?: number;
  sizeBytes?: number;
  /** A secret deleted with a recovery window still holds its name until this date. */
  deletionDate?: Date;
  /** How CloudFormation's import names it (ResourceIdentifier): TableName for a table, Id (the ARN) for a secret. */
  identifier: Record<string, string>;
}

async function describeTable(aws: AwsClientFactory, resource: DataResource & { name: string }): Promise<ExistingResource | undefined> {
  const { DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
  try {
    const { Table } = await (await aws.dynamodb()).send(new DescribeTableCommand({ TableName: resource.name }));
    return {
      logicalId: resource.logicalId,
      type: resource.type,
      name: resource.name,
      identifier: { TableName: resource.name },
      ...(Table?.ItemCount !== undefined ? { itemCount: Table.ItemCount } : {}),
      ...(Table?.TableSizeBytes !== undefined ? { sizeBytes: Table.TableSizeBytes } : {}),
    };
  } catch (err) {
    if (isMailengineError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

async function describeSecret(aws: AwsClientFactory, resource: DataResource & { name: string }): Promise<ExistingResource | undefined> {
  const { DescribeSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  try {
    const out = await (await aws.secretsmanager()).send(new DescribeSecretCommand({ SecretId: resource.name }));
    return { logicalId: resource.logicalId, type: resource.type, name: resource.name, identifier: { Id: out.ARN ?? resource.name }, ...(out.DeletedDate ? { deletionDate: out.DeletedDate } : {}) };
  } catch (err) {
    if (isMailengineError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

async function describeQueue(aws: AwsClientFactory, resource: DataResource & { name: string }): Promise<ExistingResource | undefined> {
  const { GetQueueUrlCommand } = await import('@aws-sdk/client-sqs');
  try {
    const out = await (await aws.sqs()).send(new GetQueueUrlCommand({ QueueName: resource.name }));
    return { logicalId: resource.logicalId, type: resource.type, name: resource.name, identifier: { QueueUrl: out.QueueUrl ?? resource.name } };
  } catch (err) {
    if (isMailengineError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

async function describeLogGroup(aws: AwsClientFactory, resource: DataResource & { name: string }): Promise<ExistingResource | undefined> {
  const { DescribeLogGroupsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const out = await (await aws.logs()).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: resource.name }));
  const group = out.logGroups?.find((g) => g.logGroupName === resource.name);
  return group ? { logicalId: resource.logicalId, type: resource.type, name: resource.name, identifier: { LogGroupName: resource.name } } : undefined;
}

const DESCRIBE: Record<string, (aws: AwsClientFactory, resource: DataResource & { name: string }) => Promise<ExistingResource | undefined>> = {
  'AWS::DynamoDB::Table': describeTable,
  'AWS::SecretsManager::Secret': describeSecret,
  'AWS::SQS::Queue': describeQueue,
  'AWS::Logs::LogGroup': describeLogGroup,
};

/**
 * Named tables, secrets, queues and log groups of the template that already exist although the
 * stack does not: left behind by an earlier `destroy` with RetainData=true. A create would fail on
 * them ("already exists"). Buckets are not looked for: the template lets CloudFormation name its
 * bucket.
 */
export async function findExistingData(aws: AwsClientFactory, resources: DataResource[]): Promise<ExistingResource[]> {
  const found: ExistingResource[] = [];
  for (const resource of resources) {
    const describe = DESCRIBE[resource.type];
    if (!resource.name || !describe) continue;
    const existing = await describe(aws, resource as DataResource & { name: string });
    if (existing) found.push(existing);
  }
  return found;
}

/** `{ Ref: <parameter> }` written out: an import template declares no parameters. */
function withParameterValues(value: unknown, parameters: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => withParameterValues(v, parameters));
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && entries[0][0] === 'Ref' && typeof entries[0][1] === 'string' && entries[0][1] in parameters) return parameters[entries[0][1]];
  return Object.fromEntries(entries.map(([k, v]) => [k, withParameterValues(v, parameters)]));
}

/**
 * The template of an IMPORT change set that adopts retained resources into a new stack: only those
 * resources (an import may not create anything else), each with its name written out and
 * DeletionPolicy Retain, as CloudFormation requires of imported resources. The full template
 * follows as an ordinary update. JSON, because that is what the parsed form writes.
 */
export function importTemplate(template: CfnTemplate, existing: ExistingResource[], parameters: Record<string, string> = {}): string {
  const resources: CfnTemplate['Resources'] = {};
  for (const r of existing) {
    const source = template.Resources[r.logicalId];
    const nameProperty = DATA_RESOURCES[r.type];
    resources[r.logicalId] = {
      Type: source.Type,
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { ...(withParameterValues(source.Properties ?? {}, parameters) as Record<string, unknown>), [nameProperty]: r.name },
    };
  }
  return JSON.stringify({ AWSTemplateFormatVersion: '2010-09-09', Description: template.Description, Resources: resources }, null, 1);
}

function describeExisting(r: ExistingResource): string {
  if (r.type === 'AWS::SQS::Queue') return `queue ${r.name}`;
  if (r.type === 'AWS::Logs::LogGroup') return `log group ${r.name}`;
  if (r.type === 'AWS::SecretsManager::Secret') {
    return `secret ${r.name}${r.deletionDate ? ` (scheduled for deletion on ${r.deletionDate.toISOString().slice(0, 10)}, which still holds the name)` : ''}`;
  }
  const items = r.itemCount === undefined ? '' : `, about ${r.itemCount.toLocaleString('en-US')} item${r.itemCount === 1 ? '' : 's'}`;
  return `table ${r.name}${items}`;
}

/** What to do about retained data when nobody can be asked, or the user said no to adopting. */
export function retainedDataError(stackName: string, region: string, existing: ExistingResource[], declined: boolean): MailengineError {
  const tables = existing.filter((r) => r.type === 'AWS::DynamoDB::Table');
  const secrets = existing.filter((r) => r.type === 'AWS::SecretsManager::Secret');
  const deleteCommands = [
    ...tables.map((t) => `aws dynamodb delete-table --table-name ${t.name} --region ${region}`),
    ...secrets.map((s) => `aws secretsmanager delete-secret --secret-id ${s.name} --force-delete-without-recovery --region ${region}`),
    ...existing.filter((r) => r.type === 'AWS::SQS::Queue').map((q) => `aws sqs delete-queue --queue-url ${q.identifier.QueueUrl} --region ${region}`),
    ...existing.filter((r) => r.type === 'AWS::Logs::LogGroup').map((g) => `aws logs delete-log-group --log-group-name ${g.name} --region ${region}`),
  ];
  const backup = tables.length > 0 ? 'back the tables up if you may need them (aws dynamodb create-backup --table-name NAME --backup-name NAME-final), ' : '';
  return new MailengineError(
    'RETAINED_DATA_EXISTS',
    `Stack ${stackName} does not exist in ${region}, but data from an earlier one does: ${existing.map(describeExisting).join('; ')}. ` +
      'A new stack cannot create resources with these names.',
    {
      exitCode: declined ? ExitCode.Failed : ExitCode.Usage,
      suggestion: [
        'Nothing was changed. Choose one:',
        `  keep the data: run the deploy again with --adopt-retained (or --yes); CloudFormation imports ${existing.length === 1 ? 'it' : 'them'} into the new stack first, then installs the rest;`,
        `  start empty: ${backup}delete ${existing.length === 1 ? 'it' : 'them'}, then deploy:\n      ${deleteCommands.join('\n      ')}`,
        '  or leave them alone and deploy under another name: --stack <new-name>.',
      ].join('\n    '),
      details: { existing: existing.map((r) => ({ logicalId: r.logicalId, type: r.type, name: r.name })) },
    },
  );
}
