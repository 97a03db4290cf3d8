import type { ResourceChange } from '@aws-sdk/client-cloudformation';

/**
 * The change set turned into what a reviewer needs: which resources are added, changed, replaced
 * or removed, which parameters change, and — called out separately — every change to who may do
 * what (IAM, resource policies, encryption, public access). Built from the change set's own
 * `Changes` with property values, so it shows what CloudFormation will really do.
 */
export type ResourceAction = 'add' | 'modify' | 'replace' | 'maybe-replace' | 'remove' | 'import' | 'other';

export interface PropertyChange {
  /** `Policies`, or a deeper path such as `/Properties/Policies/0/PolicyDocument`. */
  path: string;
  attribute: string;
  change?: string;
  before?: string;
  after?: string;
  recreation?: string;
  security: boolean;
}

export interface ResourceDiff {
  logicalId: string;
  type: string;
  action: ResourceAction;
  physicalId?: string;
  properties: PropertyChange[];
  /** Touches permissions, resource policies, encryption or public access. */
  security: boolean;
  /** Removes or replaces a resource that holds data (tables, buckets, secrets, queues, logs). */
  dataAtRisk: boolean;
}

export interface ParameterChange {
  name: string;
  before?: string;
  after?: string;
}

/** One permission statement that appears or disappears, flattened for reading. */
export interface StatementChange {
  logicalId: string;
  type: string;
  change: 'added' | 'removed';
  statement: string;
}

export interface StackDiff {
  type: 'CREATE' | 'UPDATE';
  resources: ResourceDiff[];
  parameters: ParameterChange[];
  statements: StatementChange[];
  /** Resources whose security-relevant parts change (a superset of those with statements). */
  security: ResourceDiff[];
  dataAtRisk: ResourceDiff[];
}

/** Types whose every change is a permission change. */
const SECURITY_TYPES = [
  /^AWS::IAM::/,
  /^AWS::Lambda::Permission$/,
  /^AWS::Lambda::Url$/,
  /^AWS::SQS::QueuePolicy$/,
  /^AWS::SNS::TopicPolicy$/,
  /^AWS::S3::BucketPolicy$/,
  /^AWS::Events::EventBusPolicy$/,
  /^AWS::SecretsManager::ResourcePolicy$/,
  /^AWS::KMS::/,
];

/** Properties that decide access or protection on resources of any other type. */
const SECURITY_PROPERTIES = new Set([
  'Role',
  'Policies',
  'PolicyDocument',
  'AssumeRolePolicyDocument',
  'ManagedPolicyArns',
  'PermissionsBoundary',
  'KeyPolicy',
  'Principal',
  'Statement',
  'PublicAccessBlockConfiguration',
  'BucketEncryption',
  'OwnershipControls',
  'AccessControl',
  'SSESpecification',
  'SqsManagedSseEnabled',
  'KmsMasterKeyId',
  'KmsKeyId',
  'DeliveryOptions',
  'TlsPolicy',
  'AuthType',
]);

const DATA_TYPES = new Set(['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::SecretsManager::Secret', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup']);

export function isSecurityType(type: string): boolean {
  return SECURITY_TYPES.some((pattern) => pattern.test(type));
}

function isSecurityPath(name: string, path: string | undefined): boolean {
  const segments = [name, ...(path ?? '').split('/')].filter(Boolean);
  return segments.some((segment) => SECURITY_PROPERTIES.has(segment));
}

function actionOf(change: ResourceChange): ResourceAction {
  switch (change.Action) {
    case 'Add':
      return 'add';
    case 'Remove':
      return 'remove';
    case 'Import':
      return 'import';
    case 'Modify':
      return change.Replacement === 'True' ? 'replace' : change.Replacement === 'Conditional' ? 'maybe-replace' : 'modify';
    default:
      return 'other';
  }
}

function parseContext(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return (parsed.Properties as Record<string, unknown> | undefined) ?? parsed;
  } catch {
    return undefined;
  }
}

function compact(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(compact).join(', ');
  return JSON.stringify(value);
}

/** `{"Service": "lambda.amazonaws.com"}` reads better as `lambda.amazonaws.com`. */
function principalOf(principal: unknown): string {
  if (principal && typeof principal === 'object' && !Array.isArray(principal)) {
    return Object.values(principal as Record<string, unknown>).map(compact).join(', ');
  }
  return compact(principal);
}

/** Every IAM-style statement anywhere in a resource's properties, as one readable line each. */
export function statementsIn(type: string, properties: Record<string, unknown> | undefined): string[] {
  if (!properties) return [];
  if (type === 'AWS::Lambda::Permission') {
    const source = properties.SourceArn ? ` from ${compact(properties.SourceArn)}` : '';
    return [`Allow ${compact(properties.Action)} on ${compact(properties.FunctionName)} for ${compact(properties.Principal)}${source}`];
  }
  const found: string[] = [];
  const visit = (node: unknown, key?: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item) => visit(item, key));
      return;
    }
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (key === 'Statement' && typeof record.Effect === 'string') {
      const actions = record.Action ?? (record.NotAction ? `NOT ${compact(record.NotAction)}` : '');
      const resources = record.Resource ?? (record.NotResource ? `NOT ${compact(record.NotResource)}` : undefined);
      const on = resources === undefined ? '' : ` on ${compact(resources)}`;
      const principal = record.Principal ? ` for ${principalOf(record.Principal)}` : '';
      const condition = record.Condition ? ` when ${compact(record.Condition)}` : '';
      found.push(`${record.Effect} ${compact(actions)}${on}${principal}${condition}`);
      return;
    }
    for (const [k, v] of Object.entries(record)) {
      if (k === 'ManagedPolicyArns') for (const arn of [v].flat()) found.push(`Attach managed policy ${compact(arn)}`);
      else visit(v, k);
    }
  };
  visit(properties);
  return found;
}

function statementChanges(change: ResourceChange): StatementChange[] {
  const type = change.ResourceType ?? '';
  const before = new Set(statementsIn(type, parseContext(change.BeforeContext)));
  const after = new Set(statementsIn(type, parseContext(change.AfterContext)));
  const logicalId = change.LogicalResourceId ?? '';
  return [
    ...[...after].filter((s) => !before.has(s)).map((statement) => ({ logicalId, type, change: 'added' as const, statement })),
    ...[...before].filter((s) => !after.has(s)).map((statement) => ({ logicalId, type, change: 'removed' as const, statement })),
  ];
}

export function resourceDiff(change: ResourceChange): ResourceDiff {
  const type = change.ResourceType ?? '';
  const action = actionOf(change);
  const securityType = isSecurityType(type);
  const properties: PropertyChange[] = (change.Details ?? []).map((detail) => {
    const target = detail.Target ?? {};
    const name = target.Name ?? target.Attribute ?? '';
    return {
      path: target.Path ?? name,
      attribute: target.Attribute ?? '',
      ...(target.AttributeChangeType ? { change: target.AttributeChangeType } : {}),
      ...(target.BeforeValue !== undefined ? { before: target.BeforeValue } : {}),
      ...(target.AfterValue !== undefined ? { after: target.AfterValue } : {}),
      ...(target.RequiresRecreation ? { recreation: target.RequiresRecreation } : {}),
      security: securityType || (target.Attribute === 'Properties' && isSecurityPath(name, target.Path)),
    };
  });
  // An added, removed or imported resource changes access when it carries permission statements.
  const wholeResourceSecurity =
    (action === 'add' || action === 'remove' || action === 'import') &&
    statementsIn(type, parseContext(action === 'remove' ? change.BeforeContext : change.AfterContext)).length > 0;
  return {
    logicalId: change.LogicalResourceId ?? '',
    type,
    action,
    ...(change.PhysicalResourceId ? { physicalId: change.PhysicalResourceId } : {}),
    properties,
    security: securityType || wholeResourceSecurity || properties.some((p) => p.security),
    dataAtRisk: DATA_TYPES.has(type) && (action === 'remove' || action === 'replace' || action === 'maybe-replace'),
  };
}

/** How DescribeStacks shows a NoEcho parameter's value. */
const MASKED = '****';

/**
 * Builds the diff. `parameters` pairs the stack's current values with the values this deploy
 * sends (equal for parameters that keep their previous value).
 */
export function buildDiff(
  type: 'CREATE' | 'UPDATE',
  changes: ResourceChange[],
  before: Record<string, string>,
  after: Record<string, string>,
  /** The stack's values as given, where CloudFormation resolved them (SSM parameter types). */
  givenBefore: Record<string, string> = {},
): StackDiff {
  const resources = changes.map(resourceDiff);
  const parameters: ParameterChange[] = [];
  for (const name of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (type === 'CREATE' || before[name] === after[name] || givenBefore[name] === after[name]) continue;
    // NoEcho values come back masked: whether one changed cannot be known, so it is not listed.
    if (before[name] === MASKED || after[name] === MASKED) continue;
    parameters.push({ name, ...(name in before ? { before: before[name] } : {}), ...(name in after ? { after: after[name] } : {}) });
  }
  const statements = changes.filter((c) => resources.find((r) => r.logicalId === c.LogicalResourceId)?.security).flatMap(statementChanges);
  return {
    type,
    resources,
    parameters,
    statements,
    security: resources.filter((r) => r.security),
    dataAtRisk: resources.filter((r) => r.dataAtRisk),
  };
}
