import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { STSClient } from '@aws-sdk/client-sts';
import { ExitCode, MailengineError } from '../errors.js';
import { LOCAL_CREDENTIALS, type LocalEndpoints } from '../model/local-stack.js';
import { VERSION } from '../version.js';
import { translateAwsError } from './errors.js';

export interface AwsClientSettings {
  region?: string;
  profile?: string;
  /** When set, every client talks to the local stack instead of AWS. */
  local?: LocalEndpoints;
  /** Total attempts per call, first one included. */
  maxAttempts?: number;
  /** Tests only: static credentials instead of the default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export const DEFAULT_MAX_ATTEMPTS = 5;

export type ServiceKey = 'cloudformation' | 'cloudwatch' | 'logs' | 'dynamodb' | 'eventbridge' | 'lambda' | 's3' | 'secretsmanager' | 'sesv2' | 'sns' | 'sqs' | 'sts';

export interface Sendable {
  send(command: unknown, options?: unknown): Promise<unknown>;
}

/**
 * Builds every AWS client the CLI uses, with one retry policy, one user agent and one error
 * translation. SDK modules are imported on first use, so commands that need no AWS (and
 * `--help`, `--version`) never load them.
 *
 * The SDK itself honours the endpoint overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>,
 * `endpoint_url` in the profile); the one exception is SQS, handled in `sqs()`.
 */
export class AwsClientFactory {
  private readonly cache = new Map<ServiceKey, unknown>();

  constructor(readonly settings: AwsClientSettings) {}

  cloudformation(): Promise<CloudFormationClient> {
    return this.get('cloudformation', async () => new (await import('@aws-sdk/client-cloudformation')).CloudFormationClient(this.config('cloudformation')));
  }

  cloudwatch(): Promise<CloudWatchClient> {
    return this.get('cloudwatch', async () => new (await import('@aws-sdk/client-cloudwatch')).CloudWatchClient(this.config('cloudwatch')));
  }

  logs(): Promise<CloudWatchLogsClient> {
    return this.get('logs', async () => new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(this.config('logs')));
  }

  dynamodb(): Promise<DynamoDBClient> {
    return this.get('dynamodb', async () => new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient(this.config('dynamodb')));
  }

  eventbridge(): Promise<EventBridgeClient> {
    return this.get('eventbridge', async () => new (await import('@aws-sdk/client-eventbridge')).EventBridgeClient(this.config('eventbridge')));
  }

  lambda(): Promise<LambdaClient> {
    return this.get('lambda', async () => new (await import('@aws-sdk/client-lambda')).LambdaClient(this.config('lambda')));
  }

  s3(): Promise<S3Client> {
    return this.get('s3', async () => {
      const { S3Client } = await import('@aws-sdk/client-s3');
      const local = this.settings.local
        ? // s3rver speaks path-style only and does not implement the newer default checksums.
          { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const }
        : {};
      return new S3Client({ ...this.config('s3'), ...local });
    });
  }

  secretsmanager(): Promise<SecretsManagerClient> {
    return this.get('secretsmanager', async () => new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient(this.config('secretsmanager')));
  }

  sesv2(): Promise<SESv2Client> {
    return this.get('sesv2', async () => new (await import('@aws-sdk/client-sesv2')).SESv2Client(this.config('sesv2')));
  }

  sns(): Promise<SNSClient> {
    return this.get('sns', async () => new (await import('@aws-sdk/client-sns')).SNSClient(this.config('sns')));
  }

  sqs(): Promise<SQSClient> {
    // By default the SQS client sends every call that carries a QueueUrl to that URL's host, which
    // would take calls past AWS_ENDPOINT_URL(_SQS) or a profile's endpoint_url to the real AWS.
    // Queue URLs are only ever this account's, in this region: the resolved endpoint serves them.
    return this.get('sqs', async () => new (await import('@aws-sdk/client-sqs')).SQSClient({ ...this.config('sqs'), useQueueUrlAsEndpoint: false }));
  }

  sts(): Promise<STSClient> {
    return this.get('sts', async () => new (await import('@aws-sdk/client-sts')).STSClient(this.config('sts')));
  }

  /**
   * Gives a client layered over one of the factory's (a DynamoDB document client, whose `send`
   * runs its own middleware and never reaches the inner client's) the same error translation.
   */
  translated<T extends Sendable>(client: T, service: ServiceKey): T {
    this.translateErrors(client, service);
    return client;
  }

  private async get<T>(service: ServiceKey, build: () => Promise<T>): Promise<T> {
    const cached = this.cache.get(service);
    if (cached) return cached as T;
    const client = await build();
    this.translateErrors(client as unknown as Sendable, service);
    this.cache.set(service, client);
    return client;
  }

  private localEndpoint(service: ServiceKey): string | undefined {
    const local = this.settings.local;
    if (!local) return undefined;
    const endpoint = (local as unknown as Record<string, string | undefined>)[service];
    if (!endpoint) {
      throw new MailengineError('LOCAL_UNSUPPORTED', `The local stack has no ${service} emulator, and this command needs it.`, {
        exitCode: ExitCode.Usage,
        suggestion: 'Run it without --local against a deployed stack.',
      });
    }
    return endpoint;
  }

  private config(service: ServiceKey) {
    const endpoint = this.localEndpoint(service);
    return {
      region: this.settings.region,
      profile: endpoint ? undefined : this.settings.profile,
      maxAttempts: this.settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      retryMode: 'standard',
      customUserAgent: `mailengine/${VERSION}`,
      ...(endpoint ? { endpoint, credentials: LOCAL_CREDENTIALS } : {}),
      ...(this.settings.credentials ? { credentials: this.settings.credentials } : {}),
    };
  }

  /**
   * Wraps `send` on the instance (calling through to the prototype at call time) so errors are
   * translated whether the request went over the wire or was answered by aws-sdk-client-mock.
   */
  private translateErrors(client: Sendable, service: ServiceKey): void {
    const proto = Object.getPrototypeOf(client) as Sendable;
    const settings = this.settings;
    const localEndpoint = this.localEndpoint(service);
    client.send = async function send(command: unknown, options?: unknown) {
      try {
        return await proto.send.call(client, command, options);
      } catch (err) {
        const cmd = command as { constructor: { name: string }; input?: Record<string, unknown> };
        throw translateAwsError(err, {
          service,
          operation: cmd.constructor.name.replace(/Command$/, ''),
          region: settings.region,
          profile: settings.profile,
          input: cmd.input,
          localEndpoint,
          maxAttempts: settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        });
      }
    };
  }
}
