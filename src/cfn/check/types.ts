import type { CfnTemplate } from '../template.js';
import type { SourceMap } from './source-map.js';

/**
 * Every rule has a stable id: tests and CI logs match on it, people read the message.
 * The README section on `npm run cfn:check` lists them with what each one guards against.
 */
export const RULES = {
  'template-unknown-key': 'a template section, resource attribute or parameter key CloudFormation does not know',
  'template-transform-missing': 'an intrinsic function that needs the AWS::LanguageExtensions transform without it',
  'spec-unknown-type': 'a resource type missing from the CloudFormation resource database',
  'spec-unknown-property': 'a property (at any depth) the resource type does not have',
  'spec-missing-property': 'a required property (at any depth) that is absent',
  'spec-wrong-shape': 'a value of the wrong kind: a list where an object is expected, and so on',
  'spec-invalid-value': 'a literal outside the values the resource database allows',
  'ref-dangling': 'a Ref to no parameter, resource or pseudo parameter',
  'getatt-dangling': 'a GetAtt to no resource, or to an attribute the resource type does not have',
  'sub-dangling': 'a ${Name} or ${Resource.Attribute} inside Fn::Sub that resolves to nothing',
  'condition-dangling': 'a condition name used but never defined',
  'depends-on-dangling': 'a DependsOn entry naming no resource',
  'mapping-dangling': 'a Fn::FindInMap naming no mapping',
  'dependency-cycle': 'resources that depend on each other in a circle (CloudFormation rejects the template)',
  'parameter-unused': 'a parameter nothing refers to',
  'parameter-undocumented': 'a parameter without a Description',
  'iam-star-action': 'an Allow statement granting "*" or "service:*"',
  'iam-star-resource': 'an Allow statement on Resource "*" without an allow-star-resource comment saying why',
  'iam-not-action': 'an Allow statement using NotAction or NotResource',
  'data-store-unencrypted': 'a DynamoDB table, S3 bucket or SQS queue without encryption at rest',
  'bucket-public-access': 'an S3 bucket without all four public access block settings',
  'queue-visibility-timeout': "a queue whose visibility timeout is under 6 x its consuming function's timeout",
  'queue-dlq-missing': 'a queue consumed by Lambda with no redrive policy (failed messages would loop)',
  'redrive-max-receive-count': 'a redrive policy with maxReceiveCount under 5',
  'queue-concurrency-unbounded': 'an SQS event source mapping without ScalingConfig.MaximumConcurrency (a burst takes the account\'s Lambda concurrency)',
  'bus-policy-any-detail-type': 'an event bus policy that allows PutEvents without an events:detail-type condition',
  'lambda-runtime': 'a function on a runtime older than nodejs22.x',
  'table-contract': 'a table, index, key or TTL attribute that differs from src/model/tables.ts',
  'ses-sending-hardcoded': 'a configuration set that fixes SendingEnabled (an upgrade would undo a pause)',
} as const;

export type RuleId = keyof typeof RULES;

export interface Finding {
  rule: RuleId;
  /** Logical id of the resource, parameter or output at fault; `template` for whole-template problems. */
  resource: string;
  message: string;
}

/** What every rule group receives. */
export interface RuleContext {
  template: CfnTemplate;
  /** Line numbers and comments of the YAML source, when the template came from text. */
  source?: SourceMap;
}
