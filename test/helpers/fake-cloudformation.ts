import * as cfn from '@aws-sdk/client-cloudformation';
import type { Change, Parameter, ResourceChange, StackEvent, Tag } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { parseTemplate, type CfnTemplate } from '../../src/cfn/template.js';

/**
 * A small in-memory CloudFormation for deploy, destroy and info tests. Its behaviour is written
 * down in fake-cloudformation.md next to this file; every response has the shape the
 * CloudFormation API reference documents. Time does not pass on its own: each DescribeStacks call
 * advances the stack one step (an event or a status change), so tests are deterministic and fast.
 */

/** An error the way the SDK raises a service error (awsQuery protocol: `name` is the error code). */
export class FakeServiceError extends Error {
  readonly $metadata: { httpStatusCode: number; requestId: string };
  readonly $fault: 'client' | 'server';
  constructor(name: string, message: string, status = 400) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status, requestId: 'fake-request' };
    this.$fault = status >= 500 ? 'server' : 'client';
  }
}

const validation = (message: string) => new FakeServiceError('ValidationError', message);

interface FakeResource {
  logicalId: string;
  type: string;
  physicalId: string;
  status: string;
  properties: Record<string, unknown>;
}

interface FakeChangeSet {
  id: string;
  name: string;
  stackId: string;
  type: 'CREATE' | 'UPDATE' | 'IMPORT';
  status: string;
  executionStatus: string;
  statusReason?: string;
  describeCount: number;
  changes: ResourceChange[];
  parameters: Record<string, string>;
  tags: Tag[];
  template: CfnTemplate;
  body: string;
  creationTime: Date;
  description?: string;
  capabilities: string[];
}

interface FakeStack {
  id: string;
  name: string;
  status: string;
  statusReason?: string;
  creationTime: Date;
  lastUpdatedTime?: Date;
  parameters: Record<string, string>;
  tags: Tag[];
  template?: CfnTemplate;
  body?: string;
  outputs: Record<string, string>;
  resources: Map<string, FakeResource>;
  events: StackEvent[];
  /** Queued progress: one step runs per DescribeStacks. */
  steps: Array<() => void>;
}

/** Where a named resource lives outside any stack, as the name-collision and DynamoDB fakes see it. */
export interface PhysicalResource {
  type: string;
  name: string;
  /** The stack that manages it; undefined once retained by a delete. */
  stackId?: string;
  itemCount?: number;
  sizeBytes?: number;
  /** Secrets (ARN) and queues (URL) are known to CloudFormation (Ref, import identifiers) by this id. */
  arn?: string;
}

export interface FakeCloudFormationOptions {
  region?: string;
  account?: string;
  /** Reads the template a TemplateURL points at (tests wire this to their fake S3). */
  readTemplate: (url: string) => string;
  /** DescribeStackEvents page size (CloudFormation's is 100). */
  eventsPageSize?: number;
  /** DescribeChangeSet page size for Changes. */
  changesPageSize?: number;
  /** Steps a DescribeStacks call advances (1: one event per poll; large: an operation settles in one poll). */
  stepsPerPoll?: number;
  /** DescribeChangeSet calls a change set stays pending/in progress for (2 unless set). */
  changeSetPolls?: number;
  /** Told of every resource CloudFormation deletes (tests use it to drop a bucket from their fake S3). */
  onResourceDeleted?: (resource: { type: string; physicalId: string }) => void;
}

const NAME_PROPERTIES: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::SES::ConfigurationSet': 'Name',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
};

/** Properties whose change replaces the resource (a small slice of the resource specification). */
const REPLACING: Record<string, string[]> = {
  'AWS::DynamoDB::Table': ['TableName', 'KeySchema'],
  'AWS::S3::Bucket': ['BucketName'],
  'AWS::SQS::Queue': ['QueueName'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::SecretsManager::Secret': ['Name'],
  'AWS::SES::ConfigurationSet': ['Name'],
  'AWS::Events::EventBus': ['Name'],
  'AWS::IAM::Role': ['RoleName'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
};

/** Resources a delete can retain, whose leftover name blocks a create (and which an import can adopt). */
const IMPORTABLE = new Set(['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::SecretsManager::Secret', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup']);

const NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set.";
const BUSY = /_IN_PROGRESS$/;
const UPDATABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);

export class FakeCloudFormation {
  readonly region: string;
  readonly account: string;
  readonly calls: Array<{ command: string; input: Record<string, unknown> }> = [];
  readonly stacks: FakeStack[] = [];
  /** Named resources that exist, inside stacks or retained after them. */
  readonly physical = new Map<string, PhysicalResource>();
  private clock = Date.now();
  private serial = 0;
  private failure?: { logicalId: string; reason: string; rollbackFails?: boolean };
  private deleteFailure?: { logicalId: string; reason: string };
  private readonly ignoreRetain = new Set<string>();
  private emptyButAvailable = false;

  constructor(private readonly options: FakeCloudFormationOptions) {
    this.region = options.region ?? 'eu-west-1';
    this.account = options.account ?? '123456789012';
  }

  // ------------------------------------------------------------------ scripting

  /** The next execution fails on this resource; with `rollbackFails`, so does rolling it back. */
  failNextExecutionOn(logicalId: string, reason: string, options: { rollbackFails?: boolean } = {}): void {
    this.failure = { logicalId, reason, ...options };
  }

  /** The next delete fails on this resource (a bucket that is not empty, say). */
  failNextDeleteOn(logicalId: string, reason: string): void {
    this.deleteFailure = { logicalId, reason };
  }

  /** Someone else's update is running on the stack; it finishes after `polls` DescribeStacks calls. */
  beginForeignUpdate(stackName: string, polls = 3): void {
    this.beginForeignOperation(stackName, 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE', polls);
  }

  /**
   * Someone else's operation: the stack is `status` now and `settlesAs` after `polls`
   * DescribeStacks calls (events with token `Console-foreign`). Settling as `DELETE_COMPLETE`
   * takes its resources with it, as a delete would.
   */
  beginForeignOperation(stackName: string, status: string, settlesAs: string, polls = 3): void {
    const stack = this.liveStack(stackName);
    if (!stack) throw new Error(`no stack ${stackName}`);
    const token = status === 'UPDATE_IN_PROGRESS' ? 'Console-UpdateStack-foreign' : 'Console-foreign';
    stack.status = status;
    this.event(stack, stack.name, 'AWS::CloudFormation::Stack', stack.id, status, 'User Initiated', token);
    for (let i = 1; i < polls; i++) stack.steps.push(() => undefined);
    stack.steps.push(() => {
      if (settlesAs === 'DELETE_COMPLETE') {
        for (const r of stack.resources.values()) this.forgetPhysical(r);
        stack.resources.clear();
      }
      stack.status = settlesAs;
      stack.lastUpdatedTime = this.tick();
      this.event(stack, stack.name, 'AWS::CloudFormation::Stack', stack.id, settlesAs, undefined, token);
    });
  }

  /**
   * The next update change set that changes nothing is still `CREATE_COMPLETE` and `AVAILABLE`,
   * with no Changes, instead of FAILED "didn't contain changes": how some CloudFormation
   * implementations answer, and what a template with a transform can get.
   */
  nextChangeSetEmptyButAvailable(): void {
    this.emptyButAvailable = true;
  }

  /**
   * The next delete removes this resource although its DeletionPolicy says Retain: what happens
   * when CloudFormation reads a policy differently from the CLI. Tests use it to check that
   * `destroy` reports what is left, not what it expected.
   */
  deleteDespitePolicy(logicalId: string): void {
    this.ignoreRetain.add(logicalId);
  }

  /** Puts a stack straight into a status (for the statuses only a failure reaches). */
  forceStatus(stackName: string, status: string, failure?: { logicalId: string; type: string; reason: string }): void {
    const stack = this.liveStack(stackName);
    if (!stack) throw new Error(`no stack ${stackName}`);
    if (failure) {
      this.event(stack, stack.name, 'AWS::CloudFormation::Stack', stack.id, 'UPDATE_IN_PROGRESS', 'User Initiated');
      this.event(stack, failure.logicalId, failure.type, failure.logicalId, 'UPDATE_FAILED', failure.reason);
    }
    stack.status = status;
    this.event(stack, stack.name, 'AWS::CloudFormation::Stack', stack.id, status);
  }

  /**
   * Whether a resource of this type exists, in a stack or retained after one: by physical id,
   * name or ARN. The other services' fakes answer their Describe/Head/GetQueueUrl calls with it.
   */
  exists(type: string, nameOrId: string): boolean {
    for (const stack of this.stacks) {
      if (stack.status === 'DELETE_COMPLETE') continue;
      for (const r of stack.resources.values()) {
        if (r.type === type && (r.physicalId === nameOrId || r.properties[NAME_PROPERTIES[type] ?? ''] === nameOrId)) return true;
      }
    }
    return [...this.physical.values()].some((p) => p.type === type && (p.name === nameOrId || p.arn === nameOrId));
  }

  count(command: string): number {
    return this.calls.filter((c) => c.command === command).length;
  }

  inputsOf(command: string): Array<Record<string, unknown>> {
    return this.calls.filter((c) => c.command === command).map((c) => c.input);
  }

  liveStack(nameOrId: string): FakeStack | undefined {
    return this.stacks.find((s) => (s.id === nameOrId || s.name === nameOrId) && (s.id === nameOrId || s.status !== 'DELETE_COMPLETE'));
  }

  /** Wires the fake into every CloudFormationClient through aws-sdk-client-mock. */
  install(): { restore: () => void } {
    const mock = mockClient(cfn.CloudFormationClient);
    const route = (command: unknown, name: string, handler: (input: Record<string, unknown>) => unknown) => {
      mock.on(command as never).callsFake(async (input: Record<string, unknown>) => {
        this.calls.push({ command: name, input: structuredClone(input) });
        return handler.call(this, input);
      });
    };
    route(cfn.DescribeStacksCommand, 'DescribeStacks', this.describeStacks);
    route(cfn.DescribeStackEventsCommand, 'DescribeStackEvents', this.describeStackEvents);
    route(cfn.CreateChangeSetCommand, 'CreateChangeSet', this.createChangeSet);
    route(cfn.DescribeChangeSetCommand, 'DescribeChangeSet', this.describeChangeSet);
    route(cfn.DeleteChangeSetCommand, 'DeleteChangeSet', this.deleteChangeSet);
    route(cfn.ExecuteChangeSetCommand, 'ExecuteChangeSet', this.executeChangeSet);
    route(cfn.DeleteStackCommand, 'DeleteStack', this.deleteStack);
    route(cfn.ListStackResourcesCommand, 'ListStackResources', this.listStackResources);
    route(cfn.GetTemplateCommand, 'GetTemplate', this.getTemplate);
    route(cfn.CreateStackCommand, 'CreateStack', () => {
      throw new Error('the CLI must not call CreateStack: it deploys through change sets');
    });
    route(cfn.UpdateStackCommand, 'UpdateStack', () => {
      throw new Error('the CLI must not call UpdateStack: it deploys through change sets');
    });
    return { restore: () => mock.restore() };
  }

  // ------------------------------------------------------------------ API

  describeStacks(input: Record<string, unknown>): cfn.DescribeStacksOutput {
    const name = String(input.StackName ?? '');
    const stack = this.liveStack(name);
    if (!stack) throw validation(`Stack with id ${name} does not exist`);
    for (let i = 0; i < (this.options.stepsPerPoll ?? 1) && stack.steps.length > 0; i++) stack.steps.shift()!();
    return {
      Stacks: [
        {
          StackId: stack.id,
          StackName: stack.name,
          StackStatus: stack.status as cfn.StackStatus,
          ...(stack.statusReason ? { StackStatusReason: stack.statusReason } : {}),
          CreationTime: stack.creationTime,
          ...(stack.lastUpdatedTime ? { LastUpdatedTime: stack.lastUpdatedTime } : {}),
          Parameters: Object.entries(stack.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
          Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue, Description: `${OutputKey} output` })),
          Tags: stack.tags,
          Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'],
          DisableRollback: false,
          EnableTerminationProtection: false,
        },
      ],
    };
  }

  describeStackEvents(input: Record<string, unknown>): cfn.DescribeStackEventsOutput {
    const stack = this.liveStack(String(input.StackName));
    if (!stack) throw validation(`Stack [${String(input.StackName)}] does not exist`);
    const size = this.options.eventsPageSize ?? 100;
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const page = stack.events.slice(start, start + size);
    return { StackEvents: page, ...(start + size < stack.events.length ? { NextToken: String(start + size) } : {}) };
  }

  createChangeSet(input: Record<string, unknown>): cfn.CreateChangeSetOutput {
    const stackName = String(input.StackName);
    const type = (input.ChangeSetType ?? 'UPDATE') as 'CREATE' | 'UPDATE' | 'IMPORT';
    let stack = this.liveStack(stackName);
    if (type !== 'UPDATE' && stack && stack.status !== 'REVIEW_IN_PROGRESS' && type === 'CREATE') throw new FakeServiceError('AlreadyExistsException', `Stack [${stackName}] already exists`);
    if (type === 'UPDATE' && !stack) throw validation(`Stack [${stackName}] does not exist`);
    if (type === 'UPDATE' && !UPDATABLE.has(stack!.status)) throw validation(`Stack:${stack!.id} is in ${stack!.status} state and can not be updated.`);
    if (stack?.steps.length) throw validation(`Stack:${stack.id} is in ${stack.status} state and can not be updated.`);
    if (stack && [...this.changeSetsOf(stack)].some((cs) => cs.name === input.ChangeSetName)) throw new FakeServiceError('AlreadyExistsException', `ChangeSet [${String(input.ChangeSetName)}] already exists`);

    const url = String(input.TemplateURL ?? '');
    const body = input.TemplateBody ? String(input.TemplateBody) : this.options.readTemplate(url);
    const template = parseTemplate(body);
    const capabilities = (input.Capabilities as string[] | undefined) ?? [];
    const needed = [
      ...(Object.values(template.Resources).some((r) => r.Type.startsWith('AWS::IAM::')) ? ['CAPABILITY_IAM'] : []),
      ...((template as { Transform?: unknown }).Transform ? ['CAPABILITY_AUTO_EXPAND'] : []),
    ].filter((c) => !capabilities.includes(c) && !(c === 'CAPABILITY_IAM' && capabilities.includes('CAPABILITY_NAMED_IAM')));
    if (needed.length) throw new FakeServiceError('InsufficientCapabilitiesException', `Requires capabilities : [${needed.join(', ')}]`);

    const parameters = this.resolveParameters(template, (input.Parameters as Parameter[] | undefined) ?? [], stack && stack.status !== 'REVIEW_IN_PROGRESS' ? stack.parameters : undefined);
    const imports = type === 'IMPORT' ? this.checkImports(template, (input.ResourcesToImport as cfn.ResourceToImport[] | undefined) ?? [], !stack || stack.status === 'REVIEW_IN_PROGRESS') : undefined;

    if (!stack) {
      stack = {
        id: `arn:aws:cloudformation:${this.region}:${this.account}:stack/${stackName}/${this.uuid()}`,
        name: stackName,
        status: 'REVIEW_IN_PROGRESS',
        statusReason: 'User Initiated',
        creationTime: this.tick(),
        parameters: {},
        tags: [],
        outputs: {},
        resources: new Map(),
        events: [],
        steps: [],
      };
      this.stacks.push(stack);
      this.event(stack, stackName, 'AWS::CloudFormation::Stack', stack.id, 'REVIEW_IN_PROGRESS', 'User Initiated');
    }
    const id = `arn:aws:cloudformation:${this.region}:${this.account}:changeSet/${String(input.ChangeSetName)}/${this.uuid()}`;
    const tags = (input.Tags as Tag[] | undefined) ?? stack.tags;
    const changes = imports ?? this.computeChanges(stack, template, parameters);
    const sameTags = JSON.stringify(tags) === JSON.stringify(stack.tags);
    const sameParameters = JSON.stringify(parameters) === JSON.stringify(stack.parameters);
    const empty = type === 'UPDATE' && changes.length === 0 && sameTags && sameParameters && !this.emptyButAvailable;
    this.emptyButAvailable = false;
    this.changeSets.push({
      id,
      name: String(input.ChangeSetName),
      stackId: stack.id,
      type,
      status: 'CREATE_PENDING',
      executionStatus: 'UNAVAILABLE',
      ...(empty ? { statusReason: NO_CHANGES } : {}),
      describeCount: 0,
      changes,
      parameters,
      tags,
      template,
      body,
      creationTime: this.tick(),
      ...(input.Description ? { description: String(input.Description) } : {}),
      capabilities,
    });
    return { Id: id, StackId: stack.id };
  }

  describeChangeSet(input: Record<string, unknown>): cfn.DescribeChangeSetOutput {
    const cs = this.findChangeSet(input);
    // CloudFormation takes a moment: pending, then in progress, then the verdict.
    const settleAfter = this.options.changeSetPolls ?? 2;
    cs.describeCount++;
    if (cs.status === 'CREATE_PENDING' || cs.status === 'CREATE_IN_PROGRESS') {
      if (cs.describeCount >= settleAfter) {
        cs.status = cs.statusReason === NO_CHANGES ? 'FAILED' : 'CREATE_COMPLETE';
        cs.executionStatus = cs.status === 'FAILED' ? 'UNAVAILABLE' : 'AVAILABLE';
      } else cs.status = 'CREATE_IN_PROGRESS';
    }
    const stack = this.liveStack(cs.stackId)!;
    const size = this.options.changesPageSize ?? 100;
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const withValues = input.IncludePropertyValues === true;
    const page: Change[] = cs.changes.slice(start, start + size).map((rc) => ({ Type: 'Resource', HookInvocationCount: 0, ResourceChange: withValues ? rc : stripValues(rc) }));
    return {
      ChangeSetName: cs.name,
      ChangeSetId: cs.id,
      StackId: cs.stackId,
      StackName: stack.name,
      ...(cs.description ? { Description: cs.description } : {}),
      Parameters: Object.entries(cs.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      CreationTime: cs.creationTime,
      ExecutionStatus: cs.executionStatus as cfn.ExecutionStatus,
      Status: cs.status as cfn.ChangeSetStatus,
      ...(cs.status === 'FAILED' && cs.statusReason ? { StatusReason: cs.statusReason } : {}),
      Capabilities: cs.capabilities as cfn.Capability[],
      Tags: cs.tags,
      Changes: cs.status === 'CREATE_COMPLETE' ? page : [],
      ...(cs.status === 'CREATE_COMPLETE' && start + size < cs.changes.length ? { NextToken: String(start + size) } : {}),
      IncludeNestedStacks: false,
    };
  }

  deleteChangeSet(input: Record<string, unknown>): cfn.DeleteChangeSetOutput {
    const cs = this.findChangeSet(input);
    if (cs.executionStatus === 'EXECUTE_IN_PROGRESS') throw new FakeServiceError('InvalidChangeSetStatus', `Cannot delete ChangeSet ${cs.id} in its current status`);
    this.changeSets.splice(this.changeSets.indexOf(cs), 1);
    return {};
  }

  executeChangeSet(input: Record<string, unknown>): cfn.ExecuteChangeSetOutput {
    const cs = this.findChangeSet(input);
    if (cs.executionStatus !== 'AVAILABLE') {
      throw new FakeServiceError('InvalidChangeSetStatus', `ChangeSet [${cs.id}] cannot be executed in its current execution status of [${cs.executionStatus}]`);
    }
    const stack = this.liveStack(cs.stackId)!;
    if (BUSY.test(stack.status) && stack.status !== 'REVIEW_IN_PROGRESS') throw validation(`Stack:${stack.id} is in ${stack.status} state and can not be updated.`);
    cs.executionStatus = 'EXECUTE_IN_PROGRESS';
    for (const other of this.changeSetsOf(stack)) if (other !== cs) other.executionStatus = 'OBSOLETE';
    this.planExecution(stack, cs, input.ClientRequestToken ? String(input.ClientRequestToken) : undefined);
    return {};
  }

  deleteStack(input: Record<string, unknown>): Record<string, never> {
    const stack = this.liveStack(String(input.StackName));
    // Deleting a stack that is not there succeeds, as in CloudFormation.
    if (!stack || stack.status === 'DELETE_COMPLETE') return {};
    const token = input.ClientRequestToken ? String(input.ClientRequestToken) : undefined;
    if (stack.status === 'REVIEW_IN_PROGRESS') {
      stack.status = 'DELETE_COMPLETE';
      this.event(stack, stack.name, 'AWS::CloudFormation::Stack', stack.id, 'DELETE_COMPLETE', undefined, token);
      return {};
    }
    this.planDeletion(stack, token);
    return {};
  }

  listStackResources(input: Record<string, unknown>): cfn.ListStackResourcesOutput {
    const stack = this.liveStack(String(input.StackName));
    if (!stack) throw validation(`Stack with id ${String(input.StackName)} does not exist`);
    return {
      StackResourceSummaries: [...stack.resources.values()].map((r) => ({
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.type,
        ResourceStatus: r.status as cfn.ResourceStatus,
        LastUpdatedTimestamp: new Date(this.clock),
      })),
    };
  }

  getTemplate(input: Record<string, unknown>): cfn.GetTemplateOutput {
    const stack = this.liveStack(String(input.StackName));
    if (!stack) throw validation(`Stack with id ${String(input.StackName)} does not exist`);
    return { TemplateBody: stack.body ?? '{}', StagesAvailable: ['Original', 'Processed'] };
  }

  // ------------------------------------------------------------------ internals

  private readonly changeSets: FakeChangeSet[] = [];

  private changeSetsOf(stack: FakeStack): FakeChangeSet[] {
    return this.changeSets.filter((cs) => cs.stackId === stack.id);
  }

  private findChangeSet(input: Record<string, unknown>): FakeChangeSet {
    const key = String(input.ChangeSetName);
    const stack = input.StackName ? this.liveStack(String(input.StackName)) : undefined;
    const cs = this.changeSets.find((c) => c.id === key || (c.name === key && (!stack || c.stackId === stack.id)));
    if (!cs) throw new FakeServiceError('ChangeSetNotFound', `ChangeSet [${key}] does not exist`, 404);
    return cs;
  }

  private tick(): Date {
    this.clock += 1000;
    return new Date(this.clock);
  }

  private uuid(): string {
    this.serial++;
    return `0000${this.serial}`.slice(-4).padStart(8, 'a') + '-fake-4fak-8fak-000000000000';
  }

  private event(stack: FakeStack, logicalId: string, type: string, physicalId: string, status: string, reason?: string, token?: string): void {
    stack.events.unshift({
      StackId: stack.id,
      EventId: `${logicalId}-${status}-${++this.serial}`,
      StackName: stack.name,
      LogicalResourceId: logicalId,
      PhysicalResourceId: physicalId,
      ResourceType: type,
      Timestamp: this.tick(),
      ResourceStatus: status as cfn.ResourceStatus,
      ...(reason ? { ResourceStatusReason: reason } : {}),
      ...(token ? { ClientRequestToken: token } : {}),
    });
  }

  private resolveParameters(template: CfnTemplate, given: Parameter[], previous?: Record<string, string>): Record<string, string> {
    const declared = template.Parameters ?? {};
    const unknown = given.filter((p) => !(String(p.ParameterKey) in declared)).map((p) => p.ParameterKey);
    if (unknown.length) throw validation(`Parameters: [${unknown.join(', ')}] do not exist in the template`);
    const values: Record<string, string> = {};
    const missing: string[] = [];
    for (const [name, spec] of Object.entries(declared)) {
      const p = given.find((g) => g.ParameterKey === name);
      if (p?.UsePreviousValue) {
        if (!previous || !(name in previous)) throw validation(`Invalid input for parameter key ${name}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`);
        values[name] = previous[name];
      } else if (p) values[name] = String(p.ParameterValue ?? '');
      else if (spec.Default !== undefined) values[name] = String(spec.Default);
      else missing.push(name);
    }
    if (missing.length) throw validation(`Parameters: [${missing.join(', ')}] must have values`);
    return values;
  }

  private scope(stack: FakeStack, parameters: Record<string, string>) {
    return { stack, parameters };
  }

  /** Renders intrinsic functions the way the fake needs them: parameters and pseudo parameters resolved, references to resources as stable placeholders. */
  private render(value: unknown, template: CfnTemplate, scope: { stack: FakeStack; parameters: Record<string, string> }): unknown {
    const pseudo: Record<string, string> = { 'AWS::StackName': scope.stack.name, 'AWS::Region': this.region, 'AWS::AccountId': this.account, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackId': scope.stack.id };
    const ref = (name: string): unknown => (name in pseudo ? pseudo[name] : name in scope.parameters ? scope.parameters[name] : `<ref:${name}>`);
    const walk = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(walk).filter((x) => x !== NO_VALUE);
      if (!v || typeof v !== 'object') return v;
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 1) {
        const [key, arg] = entries[0];
        switch (key) {
          case 'Ref':
            return arg === 'AWS::NoValue' ? NO_VALUE : ref(String(arg));
          case 'Fn::GetAtt':
            return `<getatt:${[arg].flat().join('.')}>`;
          case 'Fn::Sub': {
            const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
            return text.replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) => (name in vars ? String(walk(vars[name])) : name.includes('.') ? `<getatt:${name}>` : String(ref(name))));
          }
          case 'Fn::Join': {
            const [sep, items] = arg as [string, unknown];
            return ([walk(items)].flat() as unknown[]).map(String).join(sep);
          }
          case 'Fn::Split': {
            const [sep, text] = arg as [string, unknown];
            return String(walk(text)).split(sep);
          }
          case 'Fn::Select': {
            const [index, items] = arg as [unknown, unknown];
            return ([walk(items)].flat() as unknown[])[Number(walk(index))];
          }
          case 'Fn::If': {
            const [condition, a, b] = arg as [string, unknown, unknown];
            return walk(this.condition(template, condition, scope) ? a : b);
          }
          case 'Fn::ToJsonString':
            return JSON.stringify(walk(arg));
        }
      }
      const out: Record<string, unknown> = {};
      for (const [k, child] of entries) {
        const rendered = walk(child);
        if (rendered !== NO_VALUE) out[k] = rendered;
      }
      return out;
    };
    return walk(value);
  }

  private condition(template: CfnTemplate, name: unknown, scope: { stack: FakeStack; parameters: Record<string, string> }): boolean {
    const evaluate = (c: unknown): boolean => {
      if (typeof c === 'string') return evaluate(template.Conditions?.[c]);
      const [key, arg] = Object.entries((c ?? {}) as Record<string, unknown>)[0] ?? [];
      const args = [arg].flat();
      switch (key) {
        case 'Fn::Equals':
          return String(this.render(args[0], template, scope)) === String(this.render(args[1], template, scope));
        case 'Fn::Not':
          return !evaluate(args[0]);
        case 'Fn::And':
          return args.every(evaluate);
        case 'Fn::Or':
          return args.some(evaluate);
        case 'Condition':
          return evaluate(String(arg));
        default:
          return Boolean(c);
      }
    };
    return evaluate(name);
  }

  private deletionPolicy(template: CfnTemplate, logicalId: string, scope: { stack: FakeStack; parameters: Record<string, string> }): string {
    const policy = template.Resources[logicalId]?.DeletionPolicy as unknown;
    return policy === undefined ? 'Delete' : String(this.render(policy, template, scope));
  }

  /** The resources a template declares under these parameters (conditions applied), properties rendered. */
  private desired(stack: FakeStack, template: CfnTemplate, parameters: Record<string, string>): Map<string, { type: string; properties: Record<string, unknown> }> {
    const scope = this.scope(stack, parameters);
    const wanted = new Map<string, { type: string; properties: Record<string, unknown> }>();
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Condition && !this.condition(template, resource.Condition, scope)) continue;
      wanted.set(id, { type: resource.Type, properties: (this.render(resource.Properties ?? {}, template, scope) ?? {}) as Record<string, unknown> });
    }
    return wanted;
  }

  /**
   * An IMPORT change set: every resource to import must be in the template with a DeletionPolicy,
   * exist, and belong to no stack; a new stack's template may hold nothing else.
   */
  private checkImports(template: CfnTemplate, toImport: cfn.ResourceToImport[], newStack: boolean): ResourceChange[] {
    const missingPolicy = toImport.filter((r) => template.Resources[r.LogicalResourceId!]?.DeletionPolicy === undefined).map((r) => r.LogicalResourceId);
    if (missingPolicy.length) throw validation(`The following resources to import [${missingPolicy.join(', ')}] must have DeletionPolicy attribute specified in the template.`);
    const others = Object.keys(template.Resources).filter((id) => !toImport.some((r) => r.LogicalResourceId === id));
    if (newStack && others.length) throw validation(`As part of the import operation, you cannot modify or add [Resources]: ${others.join(', ')}`);
    return toImport.map((r) => {
      const identifier = Object.values(r.ResourceIdentifier ?? {})[0] ?? '';
      const found = [...this.physical.values()].find((p) => p.type === r.ResourceType && (p.name === identifier || p.arn === identifier));
      if (!found) throw validation(`Resource import failed: ${r.ResourceType} with identifier ${identifier} does not exist.`);
      if (found.stackId) throw validation(`Resource import failed: ${identifier} already belongs to stack ${found.stackId}.`);
      return { Action: 'Import', LogicalResourceId: r.LogicalResourceId, PhysicalResourceId: identifier, ResourceType: r.ResourceType, Scope: [], Details: [] };
    });
  }

  private computeChanges(stack: FakeStack, template: CfnTemplate, parameters: Record<string, string>): ResourceChange[] {
    const wanted = this.desired(stack, template, parameters);
    const changes: ResourceChange[] = [];
    for (const [id, next] of wanted) {
      const current = stack.resources.get(id);
      const context = (props: Record<string, unknown>) => JSON.stringify({ Properties: props });
      if (!current) {
        changes.push({ Action: 'Add', LogicalResourceId: id, ResourceType: next.type, Scope: [], Details: [], AfterContext: context(next.properties) });
        continue;
      }
      const details: cfn.ResourceChangeDetail[] = [];
      for (const key of [...new Set([...Object.keys(current.properties), ...Object.keys(next.properties)])].sort()) {
        const before = current.properties[key];
        const after = next.properties[key];
        if (JSON.stringify(before) === JSON.stringify(after)) continue;
        const replaces = (REPLACING[next.type] ?? []).includes(key);
        details.push({
          Target: {
            Attribute: 'Properties',
            Name: key,
            Path: `/Properties/${key}`,
            RequiresRecreation: replaces ? 'Always' : 'Never',
            AttributeChangeType: before === undefined ? 'Add' : after === undefined ? 'Remove' : 'Modify',
            ...(before !== undefined ? { BeforeValue: typeof before === 'string' ? before : JSON.stringify(before) } : {}),
            ...(after !== undefined ? { AfterValue: typeof after === 'string' ? after : JSON.stringify(after) } : {}),
          },
          Evaluation: 'Static',
          ChangeSource: 'DirectModification',
        });
      }
      if (details.length === 0) continue;
      changes.push({
        Action: 'Modify',
        LogicalResourceId: id,
        PhysicalResourceId: current.physicalId,
        ResourceType: next.type,
        Replacement: details.some((d) => d.Target?.RequiresRecreation === 'Always') ? 'True' : 'False',
        Scope: ['Properties'],
        Details: details,
        BeforeContext: context(current.properties),
        AfterContext: context(next.properties),
      });
    }
    for (const [id, current] of stack.resources) {
      if (wanted.has(id)) continue;
      changes.push({ Action: 'Remove', LogicalResourceId: id, PhysicalResourceId: current.physicalId, ResourceType: current.type, Scope: [], Details: [], BeforeContext: JSON.stringify({ Properties: current.properties }) });
    }
    return changes;
  }

  private physicalIdFor(stack: FakeStack, id: string, type: string, properties: Record<string, unknown>): string {
    const nameProperty = NAME_PROPERTIES[type];
    const named = nameProperty && typeof properties[nameProperty] === 'string' ? String(properties[nameProperty]) : undefined;
    if (type === 'AWS::SQS::Queue') return `https://sqs.${this.region}.amazonaws.com/${this.account}/${named ?? `${stack.name}-${id}`}`;
    if (type === 'AWS::Lambda::EventSourceMapping') return `${this.uuid()}-esm`;
    if (type === 'AWS::SecretsManager::Secret') return `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${named ?? `${stack.name}-${id}`}-AbCdEf`;
    if (type === 'AWS::S3::Bucket' && !named) return `${stack.name}-${id.toLowerCase()}-${this.uuid().slice(0, 8)}`;
    return named ?? `${stack.name}-${id}-${this.uuid().slice(0, 8)}`;
  }

  private planExecution(stack: FakeStack, cs: FakeChangeSet, token?: string): void {
    const create = cs.type === 'CREATE' || (cs.type === 'IMPORT' && stack.status === 'REVIEW_IN_PROGRESS');
    const importing = cs.type === 'IMPORT';
    const failure = this.failure;
    this.failure = undefined;
    const previous = new Map([...stack.resources].map(([k, v]) => [k, { ...v }]));
    const scope = this.scope(stack, cs.parameters);
    const wanted = this.desired(stack, cs.template, cs.parameters);
    const inProgress = importing ? 'IMPORT_IN_PROGRESS' : create ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS';
    const steps: Array<() => void> = [];
    const stackEvent = (status: string, reason?: string) => () => {
      stack.status = status;
      stack.statusReason = reason;
      this.event(stack, stack.name, 'AWS::CloudFormation::Stack', stack.id, status, reason, token);
    };
    steps.push(stackEvent(inProgress, 'User Initiated'));
    const touched: string[] = [];
    let failedOn: ResourceChange | undefined;
    for (const change of cs.changes.filter((c) => c.Action !== 'Remove')) {
      const id = change.LogicalResourceId!;
      const type = change.ResourceType!;
      const next = wanted.get(id) ?? { type, properties: (this.render(cs.template.Resources[id]?.Properties ?? {}, cs.template, scope) ?? {}) as Record<string, unknown> };
      const verb = change.Action === 'Import' ? 'IMPORT' : change.Action === 'Add' ? 'CREATE' : 'UPDATE';
      const name = typeof next.properties[NAME_PROPERTIES[type] ?? ''] === 'string' ? String(next.properties[NAME_PROPERTIES[type]]) : undefined;
      const collides = change.Action === 'Add' && name !== undefined && IMPORTABLE.has(type) && this.physical.has(name);
      const reason = failure?.logicalId === id ? failure.reason : collides ? `Resource of type '${type}' with identifier '${name}' already exists.` : undefined;
      if (reason) {
        failedOn = change;
        steps.push(() => this.event(stack, id, type, '', `${verb}_IN_PROGRESS`, undefined, token));
        steps.push(() => {
          this.event(stack, id, type, '', `${verb}_FAILED`, reason, token);
          // Whatever else was in flight is cancelled, and says so.
          const next = cs.changes.find((c) => c.Action === 'Add' && !touched.includes(c.LogicalResourceId!) && c !== change);
          if (next) this.event(stack, next.LogicalResourceId!, next.ResourceType!, '', 'CREATE_FAILED', 'Resource creation cancelled', token);
        });
        break;
      }
      touched.push(id);
      steps.push(() => this.event(stack, id, type, change.PhysicalResourceId ?? '', `${verb}_IN_PROGRESS`, change.Action === 'Import' ? 'Resource import started.' : undefined, token));
      steps.push(() => {
        const physicalId = change.PhysicalResourceId && change.Action !== 'Modify' ? change.PhysicalResourceId : (stack.resources.get(id)?.physicalId ?? this.physicalIdFor(stack, id, type, next.properties));
        if (change.Action === 'Import') {
          const p = [...this.physical.values()].find((x) => x.name === physicalId || x.arn === physicalId);
          if (p) p.stackId = stack.id;
        }
        const replaced = change.Replacement === 'True' ? this.physicalIdFor(stack, id, type, next.properties) : physicalId;
        stack.resources.set(id, { logicalId: id, type, physicalId: replaced, status: `${verb}_COMPLETE`, properties: next.properties });
        if (name && IMPORTABLE.has(type) && change.Action !== 'Import') {
          this.physical.set(name, { ...this.physical.get(name), type, name, stackId: stack.id, ...(type === 'AWS::SecretsManager::Secret' || type === 'AWS::SQS::Queue' ? { arn: replaced } : {}) });
        }
        this.event(stack, id, type, replaced, `${verb}_COMPLETE`, undefined, token);
      });
    }
    if (failedOn) {
      const failedId = failedOn.LogicalResourceId!;
      if (importing) {
        steps.push(stackEvent('IMPORT_ROLLBACK_IN_PROGRESS', `The following resource(s) failed to import: [${failedId}].`));
        steps.push(stackEvent('IMPORT_ROLLBACK_COMPLETE'));
      } else if (create) {
        steps.push(stackEvent('ROLLBACK_IN_PROGRESS', `The following resource(s) failed to create: [${failedId}]. Rollback requested by user.`));
        for (const id of [...touched].reverse()) {
          steps.push(() => {
            const r = stack.resources.get(id)!;
            this.event(stack, id, r.type, r.physicalId, 'DELETE_IN_PROGRESS', undefined, token);
            if (failure?.rollbackFails && id === touched[0]) {
              this.event(stack, id, r.type, r.physicalId, 'DELETE_FAILED', 'Resource handler returned message: "Access denied while deleting"', token);
              return;
            }
            stack.resources.delete(id);
            this.forgetPhysical(r);
            this.event(stack, id, r.type, r.physicalId, 'DELETE_COMPLETE', undefined, token);
          });
        }
        steps.push(stackEvent(failure?.rollbackFails ? 'ROLLBACK_FAILED' : 'ROLLBACK_COMPLETE', failure?.rollbackFails ? 'The following resource(s) failed to delete.' : undefined));
      } else {
        steps.push(stackEvent('UPDATE_ROLLBACK_IN_PROGRESS', `The following resource(s) failed to update: [${failedId}].`));
        if (failure?.rollbackFails) {
          steps.push(() => this.event(stack, failedId, failedOn!.ResourceType!, failedOn!.PhysicalResourceId ?? '', 'UPDATE_FAILED', 'Resource handler returned message: "The resource was changed outside CloudFormation"', token));
          steps.push(stackEvent('UPDATE_ROLLBACK_FAILED', `The following resource(s) failed to update: [${failedId}].`));
        } else {
          for (const id of [...touched].reverse()) {
            steps.push(() => {
              const before = previous.get(id);
              const r = stack.resources.get(id)!;
              if (before) {
                stack.resources.set(id, before);
                this.event(stack, id, r.type, before.physicalId, 'UPDATE_COMPLETE', undefined, token);
              } else {
                stack.resources.delete(id);
                this.forgetPhysical(r);
                this.event(stack, id, r.type, r.physicalId, 'DELETE_COMPLETE', undefined, token);
              }
            });
          }
          steps.push(stackEvent('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'));
          steps.push(stackEvent('UPDATE_ROLLBACK_COMPLETE'));
        }
      }
      // The change set's verdict lands with the stack's final status, in the same step.
      const settle = steps.pop()!;
      steps.push(() => {
        settle();
        cs.executionStatus = 'EXECUTE_FAILED';
      });
    } else {
      const removals = cs.changes.filter((c) => c.Action === 'Remove');
      if (!create && removals.length) {
        steps.push(stackEvent('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'));
        for (const change of removals) {
          steps.push(() => {
            const r = stack.resources.get(change.LogicalResourceId!)!;
            stack.resources.delete(r.logicalId);
            const retained = this.deletionPolicy(stack.template!, r.logicalId, this.scope(stack, stack.parameters)) === 'Retain';
            if (retained) this.retain(r);
            else this.forgetPhysical(r);
            this.event(stack, r.logicalId, r.type, r.physicalId, retained ? 'DELETE_SKIPPED' : 'DELETE_COMPLETE', undefined, token);
          });
        }
      }
      steps.push(() => {
        stack.template = cs.template;
        stack.body = cs.body;
        stack.parameters = cs.parameters;
        stack.tags = cs.tags;
        stack.lastUpdatedTime = create ? undefined : new Date(this.clock);
        stack.outputs = this.outputs(stack, cs.template, scope);
        cs.executionStatus = 'EXECUTE_COMPLETE';
        stackEvent(importing ? 'IMPORT_COMPLETE' : create ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE')();
      });
    }
    stack.steps.push(...steps);
  }

  private planDeletion(stack: FakeStack, token?: string): void {
    const failure = this.deleteFailure;
    this.deleteFailure = undefined;
    const steps: Array<() => void> = [];
    const stackStatus = (status: string, reason?: string) => () => {
      stack.status = status;
      stack.statusReason = reason;
      this.event(stack, stack.name, 'AWS::CloudFormation::Stack', stack.id, status, reason, token);
    };
    steps.push(stackStatus('DELETE_IN_PROGRESS', 'User Initiated'));
    let failed = false;
    const ignoreRetain = new Set(this.ignoreRetain);
    this.ignoreRetain.clear();
    for (const r of [...stack.resources.values()].reverse()) {
      const retained = stack.template && !ignoreRetain.has(r.logicalId) ? this.deletionPolicy(stack.template, r.logicalId, this.scope(stack, stack.parameters)) === 'Retain' : false;
      if (failure?.logicalId === r.logicalId) {
        failed = true;
        steps.push(() => this.event(stack, r.logicalId, r.type, r.physicalId, 'DELETE_IN_PROGRESS', undefined, token));
        steps.push(() => this.event(stack, r.logicalId, r.type, r.physicalId, 'DELETE_FAILED', failure.reason, token));
        continue;
      }
      steps.push(() => {
        stack.resources.delete(r.logicalId);
        if (retained) this.retain(r);
        else this.forgetPhysical(r);
        this.event(stack, r.logicalId, r.type, r.physicalId, retained ? 'DELETE_SKIPPED' : 'DELETE_COMPLETE', undefined, token);
      });
    }
    steps.push(failed ? stackStatus('DELETE_FAILED', `The following resource(s) failed to delete: [${failure!.logicalId}].`) : stackStatus('DELETE_COMPLETE'));
    stack.steps.push(...steps);
  }

  private retain(r: FakeResource): void {
    const name = NAME_PROPERTIES[r.type] && typeof r.properties[NAME_PROPERTIES[r.type]] === 'string' ? String(r.properties[NAME_PROPERTIES[r.type]]) : r.physicalId;
    const known = this.physical.get(name);
    this.physical.set(name, { ...known, type: r.type, name, stackId: undefined, ...(r.type === 'AWS::SecretsManager::Secret' || r.type === 'AWS::SQS::Queue' ? { arn: r.physicalId } : {}) });
  }

  private forgetPhysical(r: FakeResource): void {
    this.options.onResourceDeleted?.({ type: r.type, physicalId: r.physicalId });
    for (const [name, p] of this.physical) if (p.type === r.type && (name === r.physicalId || r.properties[NAME_PROPERTIES[r.type] ?? ''] === name)) this.physical.delete(name);
  }

  private outputs(stack: FakeStack, template: CfnTemplate, scope: { stack: FakeStack; parameters: Record<string, string> }): Record<string, string> {
    const values: Record<string, string> = {};
    for (const [key, output] of Object.entries(template.Outputs ?? {})) {
      if (output.Condition && !this.condition(template, output.Condition, scope)) continue;
      const rendered = this.render(output.Value, template, scope);
      values[key] = String(rendered).replace(/<ref:([^>]+)>/g, (_m, id: string) => stack.resources.get(id)?.physicalId ?? id).replace(/<getatt:([^.>]+)\.([^>]+)>/g, (_m, id: string, attr: string) => `arn:aws:fake:${this.region}:${this.account}:${id}/${attr}`);
    }
    return values;
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

function stripValues(rc: ResourceChange): ResourceChange {
  const { BeforeContext: _b, AfterContext: _a, ...rest } = rc;
  return {
    ...rest,
    Details: (rc.Details ?? []).map((d) => {
      const { BeforeValue: _bv, AfterValue: _av, ...target } = d.Target ?? {};
      return { ...d, Target: target };
    }),
  };
}
