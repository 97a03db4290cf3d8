import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

export const cfn = mockClient(CloudFormationClient);
export const secrets = mockClient(SecretsManagerClient);

/**
 * A deployed engine as CloudFormation DescribeStacks reports it (API reference: Stacks with
 * StackName, StackId, StackStatus, CreationTime and Outputs), its tables being the local
 * stack's real ones; and the stack's hash key secret (Secrets Manager GetSecretValue: ARN, Name,
 * VersionId, SecretString, VersionStages, CreatedDate).
 */
export function mockDeployedStack(stackName: string, region: string, tables: { trackingTable: string; suppressionTable: string }, hashKey: string): void {
  const outputs: Record<string, string> = {
    TrackingTableName: tables.trackingTable,
    SuppressionTableName: tables.suppressionTable,
    TemplatesBucketName: `${stackName}-templates-abc123`,
    ConfigurationSetName: stackName,
    EventBusName: `${stackName}-bus`,
    SendQueueUrl: `https://sqs.${region}.amazonaws.com/123456789012/${stackName}-send`,
    SendDeadLetterQueueUrl: `https://sqs.${region}.amazonaws.com/123456789012/${stackName}-send-dlq`,
    FeedbackQueueUrl: `https://sqs.${region}.amazonaws.com/123456789012/${stackName}-feedback`,
    FeedbackDeadLetterQueueUrl: `https://sqs.${region}.amazonaws.com/123456789012/${stackName}-feedback-dlq`,
  };
  cfn.on(DescribeStacksCommand, { StackName: stackName }).resolves({
    Stacks: [
      {
        StackName: stackName,
        StackId: `arn:aws:cloudformation:${region}:123456789012:stack/${stackName}/6f7e1c40-8a1b-11f0-9b5c-0a1b2c3d4e5f`,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date('2026-01-05T09:00:00Z'),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue, Description: OutputKey })),
      },
    ],
  });
  const name = `${stackName}-suppression-hash-key`;
  secrets.on(GetSecretValueCommand, { SecretId: name }).resolves({
    ARN: `arn:aws:secretsmanager:${region}:123456789012:secret:${name}-AbCdEf`,
    Name: name,
    VersionId: 'b4d1c0de-0000-4000-8000-000000000001',
    SecretString: hashKey,
    VersionStages: ['AWSCURRENT'],
    CreatedDate: new Date('2026-01-05T09:00:00Z'),
  });
}
