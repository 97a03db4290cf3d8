import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { AwsClientFactory } from '../aws/clients.js';
import type { ResolvedSettings } from '../config/settings.js';
import { ExitCode, MailengineError } from '../errors.js';
import { localStackResources, notProvisionedError } from '../local/resources.js';

/** The engine's resources that operations commands read and write. */
export interface EngineResources {
  stackName: string;
  local: boolean;
  trackingTable: string;
  suppressionTable: string;
  templatesBucket: string;
  configurationSet: string;
  eventBusName: string;
  /** Present for a deployed stack; the local stack's runner keeps its queues in memory. */
  queues?: { send: string; sendDlq: string; feedback: string; feedbackDlq: string };
  senderEventSourceMappingId?: string;
  alarmTopicArn?: string;
  /** Every output as CloudFormation reported it (empty locally). */
  outputs: Record<string, string>;
}

/**
 * Finds the engine named by the settings: a deployed stack's outputs, or with `--local` the names
 * the local stack recorded when it provisioned the tables and bucket from the same template.
 */
export async function resolveEngineResources(aws: AwsClientFactory, settings: ResolvedSettings, cwd: string): Promise<EngineResources> {
  if (settings.local) {
    const names = localStackResources(cwd, settings.stackName);
    if (!names?.TrackingTable || !names.SuppressionTable || !names.TemplatesBucket) {
      throw notProvisionedError(cwd, { stackName: settings.stackName, environment: settings.environment });
    }
    return {
      stackName: settings.stackName,
      local: true,
      trackingTable: names.TrackingTable,
      suppressionTable: names.SuppressionTable,
      templatesBucket: names.TemplatesBucket,
      configurationSet: settings.stackName,
      eventBusName: `${settings.stackName}-bus`,
      outputs: {},
    };
  }

  const cfn = await aws.cloudformation();
  const out = await cfn.send(new DescribeStacksCommand({ StackName: settings.stackName }));
  const stack = out.Stacks?.[0];
  const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const need = (key: string) => {
    const value = outputs[key];
    if (!value) {
      throw new MailengineError('STACK_INCOMPLETE', `Stack ${settings.stackName} (${stack?.StackStatus ?? 'unknown status'}) has no output ${key}.`, {
        exitCode: ExitCode.NotFound,
        suggestion: 'Is this a mailengine stack? `mailengine info` shows its state; `mailengine deploy` completes or upgrades it.',
      });
    }
    return value;
  };
  return {
    stackName: settings.stackName,
    local: false,
    trackingTable: need('TrackingTableName'),
    suppressionTable: need('SuppressionTableName'),
    templatesBucket: need('TemplatesBucketName'),
    configurationSet: need('ConfigurationSetName'),
    eventBusName: need('EventBusName'),
    queues: { send: need('SendQueueUrl'), sendDlq: need('SendDeadLetterQueueUrl'), feedback: need('FeedbackQueueUrl'), feedbackDlq: need('FeedbackDeadLetterQueueUrl') },
    senderEventSourceMappingId: outputs.SenderEventSourceMappingId,
    alarmTopicArn: outputs.AlarmTopicArn,
    outputs,
  };
}
