import type { CfnTemplate } from '../../src/cfn/template.js';
import type { SourceMap } from './source-map.js';

/**
 * The rules this template holds itself to beyond what AWS's cfn-lint checks (CloudFormation's
 * grammar, the resource spec, references, cycles and unused parameters are cfn-lint's).
 * Every rule has a stable id: tests and CI logs match on it, people read the message.
 * The README section on `npm run cfn:check` lists them with what each one guards against.
 */
export const RULES = {
  'template-transform-missing': 'an intrinsic function that needs the AWS::LanguageExtensions transform without it',
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
