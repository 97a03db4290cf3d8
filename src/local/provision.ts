import type {
  AttributeDefinition,
  CreateTableCommandInput,
  GlobalSecondaryIndex,
  KeySchemaElement,
  LocalSecondaryIndex,
  ProvisionedThroughput,
  StreamSpecification,
} from '@aws-sdk/client-dynamodb';
import type { AwsClientFactory } from '../aws/clients.js';
import { LOCAL_REGION } from '../config/settings.js';
import { ExitCode, MailengineError } from '../errors.js';
import { engineTemplatePath, loadTemplate, type CfnTemplate } from '../cfn/template.js';
import { cfnScope, resolveCfnValue, resolveString, type CfnScope } from './cfn-values.js';

/** The template `local up` provisions from: the engine's own, so it stays the single source of truth. */
export const LOCAL_STACK_TEMPLATE: string = engineTemplatePath();

/** A table as the local stack creates it, read from an `AWS::DynamoDB::Table` resource. */
export interface LocalTableSpec {
  logicalId: string;
  create: CreateTableCommandInput & { TableName: string };
  ttl?: { attribute: string; enabled: boolean };
}

export interface LocalBucketSpec {
  logicalId: string;
  name: string;
}

export interface ProvisionedTable {
  logicalId: string;
  name: string;
  status: 'created' | 'existing' | 'updated';
  indexes: string[];
  ttlAttribute?: string;
  /** What `updated` changed: indexes added, TTL turned on. */
  changes: string[];
  /** Differences a local update cannot fix (a changed key schema): `local down --purge` and `up` again. */
  warnings: string[];
}

export interface ProvisionedBucket {
  logicalId: string;
  name: string;
  status: 'created' | 'existing';
}

export interface ProvisionResult {
  stackName: string;
  template: string;
  tables: ProvisionedTable[];
  buckets: ProvisionedBucket[];
}

export interface ProvisionOptions {
  /** Clients pointed at the local stack (`new AwsClientFactory({ region, local: endpoints })`). */
  aws: AwsClientFactory;
  stackName: string;
  /** Template file; the engine's own by default. */
  template?: string;
  /** Parameter values overriding the template's defaults (the environment's `parameters`). */
  parameters?: Record<string, string>;
}

/** CloudFormation fills in names it was not given; locally they are predictable instead of random. */
function generatedName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}`;
}

/** Properties the local stack uses; the rest (encryption keys, tags, conditions on them) is never resolved. */
const TABLE_PROPERTIES = [
  'TableName',
  'KeySchema',
  'AttributeDefinitions',
  'BillingMode',
  'ProvisionedThroughput',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'StreamSpecification',
  'TimeToLiveSpecification',
] as const;

type TableProperties = Partial<Record<(typeof TABLE_PROPERTIES)[number], unknown>>;

function tableSpec(logicalId: string, props: TableProperties, stackName: string): LocalTableSpec {
  // CloudFormation's default, like the API's.
  const billingMode = ((props.BillingMode as string | undefined) ?? 'PROVISIONED') as CreateTableCommandInput['BillingMode'];
  const provisioned = billingMode === 'PROVISIONED';
  const gsis = (props.GlobalSecondaryIndexes as Array<Record<string, unknown>> | undefined)?.map(
    (index): GlobalSecondaryIndex => ({
      IndexName: index.IndexName as string,
      KeySchema: index.KeySchema as KeySchemaElement[],
      Projection: index.Projection as GlobalSecondaryIndex['Projection'],
      ...(provisioned ? { ProvisionedThroughput: index.ProvisionedThroughput as ProvisionedThroughput } : {}),
    }),
  );
  const lsis = (props.LocalSecondaryIndexes as Array<Record<string, unknown>> | undefined)?.map(
    (index): LocalSecondaryIndex => ({
      IndexName: index.IndexName as string,
      KeySchema: index.KeySchema as KeySchemaElement[],
      Projection: index.Projection as LocalSecondaryIndex['Projection'],
    }),
  );
  const stream = props.StreamSpecification as { StreamViewType: StreamSpecification['StreamViewType'] } | undefined;
  const ttl = props.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean | string } | undefined;
  // Encryption, point-in-time recovery, deletion protection and tags have no local meaning and
  // are left out; deletion protection would only stop tests from cleaning up.
  return {
    logicalId,
    create: {
      TableName: (props.TableName as string | undefined) ?? generatedName(stackName, logicalId),
      KeySchema: props.KeySchema as KeySchemaElement[],
      AttributeDefinitions: props.AttributeDefinitions as AttributeDefinition[],
      BillingMode: billingMode,
      ...(provisioned ? { ProvisionedThroughput: props.ProvisionedThroughput as ProvisionedThroughput } : {}),
      ...(gsis?.length ? { GlobalSecondaryIndexes: gsis } : {}),
      ...(lsis?.length ? { LocalSecondaryIndexes: lsis } : {}),
      ...(stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } } : {}),
    },
    ...(ttl ? { ttl: { attribute: ttl.AttributeName, enabled: ttl.Enabled === true || ttl.Enabled === 'true' } } : {}),
  };
}

/**
 * Every DynamoDB table and S3 bucket the template declares, with names resolved for one stack.
 * Conditions are not evaluated: locally every table and bucket exists.
 */
export function localResourcesFromTemplate(template: CfnTemplate, scope: CfnScope): { tables: LocalTableSpec[]; buckets: LocalBucketSpec[] } {
  const tables: LocalTableSpec[] = [];
  const buckets: LocalBucketSpec[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const raw = resource.Properties ?? {};
    const where = `Resources.${logicalId}.Properties`;
    if (resource.Type === 'AWS::DynamoDB::Table') {
      const props: TableProperties = {};
      for (const key of TABLE_PROPERTIES) {
        if (raw[key] !== undefined) props[key] = resolveCfnValue(raw[key], scope, `${where}.${key}`);
      }
      tables.push(tableSpec(logicalId, props, scope.stackName));
    } else if (resource.Type === 'AWS::S3::Bucket') {
      buckets.push({
        logicalId,
        name: raw.BucketName === undefined ? generatedName(scope.stackName, logicalId).toLowerCase() : resolveString(raw.BucketName, scope, `${where}.BucketName`),
      });
    }
  }
  return { tables, buckets };
}

function awsErrorName(err: unknown): string | undefined {
  const e = err as { details?: { awsError?: string }; name?: string };
  return e?.details?.awsError ?? e?.name;
}

async function existingTables(aws: AwsClientFactory): Promise<Set<string>> {
  const { ListTablesCommand } = await import('@aws-sdk/client-dynamodb');
  const ddb = await aws.dynamodb();
  const names = new Set<string>();
  let start: string | undefined;
  do {
    const page = await ddb.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    for (const name of page.TableNames ?? []) names.add(name);
    start = page.LastEvaluatedTableName;
  } while (start);
  return names;
}

async function ensureTable(aws: AwsClientFactory, spec: LocalTableSpec, exists: boolean): Promise<ProvisionedTable> {
  const ddb = await aws.dynamodb();
  const { CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, UpdateTableCommand, UpdateTimeToLiveCommand } = await import('@aws-sdk/client-dynamodb');
  const name = spec.create.TableName;
  const wanted = spec.create.GlobalSecondaryIndexes ?? [];
  const result: ProvisionedTable = {
    logicalId: spec.logicalId,
    name,
    status: 'existing',
    indexes: wanted.map((index) => index.IndexName as string),
    ...(spec.ttl?.enabled ? { ttlAttribute: spec.ttl.attribute } : {}),
    changes: [],
    warnings: [],
  };

  let created = false;
  if (!exists) {
    try {
      await ddb.send(new CreateTableCommand(spec.create));
      created = true;
    } catch (err) {
      // Someone created it between our listing and now: that is the state we wanted.
      if (awsErrorName(err) !== 'ResourceInUseException') throw err;
    }
  }

  if (!created) {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: name }));
    const key = (schema?: KeySchemaElement[]) => JSON.stringify((schema ?? []).map((k) => [k.AttributeName, k.KeyType]));
    if (key(Table?.KeySchema) !== key(spec.create.KeySchema)) {
      result.warnings.push(`key schema differs from the template (${key(Table?.KeySchema)} here, ${key(spec.create.KeySchema)} in the template)`);
    }
    const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    for (const index of wanted) {
      if (present.has(index.IndexName)) continue;
      // One index per UpdateTable call: DynamoDB refuses more.
      await ddb.send(
        new UpdateTableCommand({
          TableName: name,
          AttributeDefinitions: spec.create.AttributeDefinitions,
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
      result.changes.push(`added index ${index.IndexName}`);
    }
  }

  if (spec.ttl?.enabled) {
    const { TimeToLiveDescription } = await ddb.send(new DescribeTimeToLiveCommand({ TableName: name }));
    const status = TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== 'ENABLED' && status !== 'ENABLING') {
      await ddb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: spec.ttl.attribute, Enabled: true } }));
      if (!created) result.changes.push(`turned on TTL (${spec.ttl.attribute})`);
    } else if (TimeToLiveDescription?.AttributeName !== spec.ttl.attribute) {
      result.warnings.push(`TTL is on attribute ${TimeToLiveDescription?.AttributeName}, the template says ${spec.ttl.attribute}`);
    }
  }

  result.status = created ? 'created' : result.changes.length > 0 ? 'updated' : 'existing';
  return result;
}

async function ensureBuckets(aws: AwsClientFactory, specs: LocalBucketSpec[]): Promise<ProvisionedBucket[]> {
  if (specs.length === 0) return [];
  const { CreateBucketCommand, ListBucketsCommand } = await import('@aws-sdk/client-s3');
  const s3 = await aws.s3();
  const present = new Set(((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name));
  const results: ProvisionedBucket[] = [];
  for (const spec of specs) {
    if (present.has(spec.name)) {
      results.push({ ...spec, status: 'existing' });
      continue;
    }
    try {
      await s3.send(new CreateBucketCommand({ Bucket: spec.name }));
      results.push({ ...spec, status: 'created' });
    } catch (err) {
      const name = awsErrorName(err);
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
      results.push({ ...spec, status: 'existing' });
    }
  }
  return results;
}

/**
 * Creates on the local stack the tables (keys, indexes, TTL) and buckets the CloudFormation
 * template declares, for one stack name. Idempotent: what exists is left alone, except that a
 * missing index or a TTL that is off is added, as CloudFormation would on an update.
 */
export async function provisionLocalStack(options: ProvisionOptions): Promise<ProvisionResult> {
  const templatePath = options.template ?? LOCAL_STACK_TEMPLATE;
  let template: CfnTemplate;
  try {
    template = await loadTemplate(templatePath);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new MailengineError(missing ? 'LOCAL_TEMPLATE_MISSING' : 'LOCAL_TEMPLATE_INVALID', missing ? `No template at ${templatePath}.` : `Could not read the template ${templatePath}: ${(err as Error).message}`, {
      exitCode: missing ? ExitCode.NotFound : ExitCode.Usage,
      cause: err,
      suggestion: missing ? 'Check the path, or run `mailengine local up --no-provision` to start without tables.' : 'Fix the YAML; `mailengine deploy` would reject it too.',
    });
  }
  const scope = cfnScope(template, { stackName: options.stackName, region: options.aws.settings.region ?? LOCAL_REGION, parameters: options.parameters });
  const { tables, buckets } = localResourcesFromTemplate(template, scope);

  const present = tables.length > 0 ? await existingTables(options.aws) : new Set<string>();
  const tableResults: ProvisionedTable[] = [];
  for (const spec of tables) tableResults.push(await ensureTable(options.aws, spec, present.has(spec.create.TableName)));
  return { stackName: options.stackName, template: templatePath, tables: tableResults, buckets: await ensureBuckets(options.aws, buckets) };
}
