import { main } from '../../commands/main.js';
import type { Runtime } from '../../commands/runtime.js';
import { AwsClientFactory, type AwsClientSettings } from '../../src/aws/clients.js';
import type { LocalEndpoints } from '../../src/model/local-stack.js';
import { captureStreams } from './capture.js';
import { TEST_CREDENTIALS } from './fake-aws.js';

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, for runs with --json. */
  json<T = Record<string, unknown>>(): T;
}

/**
 * Runs the CLI in this process, as a user in CI would run it (no TTY, CI=true), so a test sees
 * exactly the exit code, stdout and stderr of the real command, with clients it controls.
 */
export async function runInProcess(argv: string[], options: { cwd: string; awsFactory?: Runtime['awsFactory']; env?: NodeJS.ProcessEnv }): Promise<InProcessRun> {
  const streams = captureStreams();
  const runtime: Runtime = {
    env: { CI: 'true', FORCE_COLOR: '0', ...options.env },
    cwd: options.cwd,
    streams,
    stdinIsTTY: false,
    signal: new AbortController().signal,
    awsFactory: options.awsFactory,
  };
  const code = await main(argv, runtime);
  return { code, stdout: streams.out(), stderr: streams.err(), json: <T>() => JSON.parse(streams.out()) as T };
}

/**
 * "AWS" as a deployed stack sees it, for commands run without --local: DynamoDB is the local
 * stack's real DynamoDB Local; CloudFormation, SES and Secrets Manager are whatever the test has
 * mocked with aws-sdk-client-mock (the factory still builds, and translates errors for, every client).
 */
export function awsWithLocalDynamoDb(endpoints: Pick<LocalEndpoints, 'dynamodb'>, region = 'eu-west-1'): Runtime['awsFactory'] {
  return (settings: AwsClientSettings) => {
    const dynamo = new AwsClientFactory({ region, local: { dynamodb: endpoints.dynamodb } as LocalEndpoints, maxAttempts: 1 });
    const factory = new AwsClientFactory({ ...settings, region: settings.region ?? region, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    factory.dynamodb = () => dynamo.dynamodb();
    return factory;
  };
}

/** An AWS SDK service error as the SDK raises it from an error response. */
export function serviceError(name: string, message: string, status: number): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, requestId: 'req-test' } });
}
