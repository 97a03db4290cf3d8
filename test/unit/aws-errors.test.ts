import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetEmailIdentityCommand, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory, type AwsClientSettings } from '../../src/aws/clients.js';
import { translateAwsError } from '../../src/aws/errors.js';
import { ExitCode, MailengineError } from '../../src/errors.js';
import { defaultLocalEndpoints } from '../../src/local/endpoints.js';
import { CALLER_IDENTITY, FakeAws, TEST_CREDENTIALS, jsonError, queryError, restJsonError } from '../helpers/fake-aws.js';

/**
 * Error translation at the client boundary, through the real SDK clients: a loopback server
 * answers with the error bodies each service's API reference documents, the SDK parses them, and
 * the factory's wrapper must turn them into MailengineErrors a person can act on.
 */
const fake = new FakeAws(() => CALLER_IDENTITY);
const savedEnv = { ...process.env };

beforeAll(async () => {
  await fake.start();
  process.env.AWS_ENDPOINT_URL = fake.url;
});
afterEach(() => {
  fake.requests.length = 0;
  fake.setReply(() => CALLER_IDENTITY);
});
afterAll(async () => {
  process.env = savedEnv;
  await fake.stop();
});

function factory(settings: Partial<AwsClientSettings> = {}): AwsClientFactory {
  return new AwsClientFactory({ region: 'eu-west-1', credentials: TEST_CREDENTIALS, maxAttempts: 1, ...settings });
}

async function failure(run: () => Promise<unknown>): Promise<MailengineError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(MailengineError);
    return err as MailengineError;
  }
  throw new Error('expected the call to fail');
}

describe('AWS error translation', () => {
  it('passes a successful call through, honouring AWS_ENDPOINT_URL and sending the mailengine user agent', async () => {
    const sts = await factory().sts();
    const out = await sts.send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe('123456789012');
    expect(fake.requests).toHaveLength(1);
    expect(String(fake.requests[0].headers['user-agent'])).toMatch(/mailengine\/\d+\.\d+\.\d+/);
  });

  it('no credentials: fails before any request is made, exit 3', async () => {
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) {
      delete process.env[key];
    }
    const sts = await new AwsClientFactory({ region: 'eu-west-1', maxAttempts: 1 }).sts();
    const err = await failure(() => sts.send(new GetCallerIdentityCommand({})));
    expect(err.code).toBe('CREDENTIALS_MISSING');
    expect(err.exitCode).toBe(ExitCode.Environment);
    expect(err.suggestion).toMatch(/aws configure|--profile/);
    expect(fake.requests).toHaveLength(0);
  });

  it('expired token (STS ExpiredToken): exit 3, suggests signing in again with the profile', async () => {
    fake.setReply(() => queryError(400, 'ExpiredToken', 'The security token included in the request is expired'));
    const sts = await factory({ profile: 'prod-admin' }).sts();
    const err = await failure(() => sts.send(new GetCallerIdentityCommand({})));
    expect(err.code).toBe('CREDENTIALS_EXPIRED');
    expect(err.exitCode).toBe(ExitCode.Environment);
    expect(err.suggestion).toContain('aws sso login --profile prod-admin');
  });

  it('invalid key (InvalidClientTokenId): exit 3', async () => {
    fake.setReply(() => queryError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.'));
    const sts = await factory().sts();
    const err = await failure(() => sts.send(new GetCallerIdentityCommand({})));
    expect(err.code).toBe('CREDENTIALS_INVALID');
    expect(err.exitCode).toBe(ExitCode.Environment);
  });

  it('AccessDenied names the action from the AWS message, and the principal', async () => {
    fake.setReply(() =>
      restJsonError(403, 'AccessDeniedException', 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ses:SendEmail on resource: arn:aws:ses:eu-west-1:123456789012:identity/example.com'),
    );
    const ses = await factory().sesv2();
    const err = await failure(() => ses.send(new SendEmailCommand({ Destination: { ToAddresses: ['a@example.com'] }, Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } } })));
    expect(err.code).toBe('ACCESS_DENIED');
    expect(err.exitCode).toBe(ExitCode.Environment);
    expect(err.message).toContain('ses:SendEmail');
    expect(err.message).toContain('arn:aws:iam::123456789012:user/ci');
  });

  it('AccessDenied without a detailed message still names the IAM action of the call', async () => {
    fake.setReply(() => queryError(403, 'AccessDenied', 'Access Denied'));
    const cfn = await factory().cloudformation();
    const err = await failure(() => cfn.send(new DescribeStacksCommand({ StackName: 'mailengine' })));
    expect(err.code).toBe('ACCESS_DENIED');
    expect(err.message).toContain('cloudformation:DescribeStacks');
  });

  it('throttling: says it gave up after the configured attempts, exit 1', async () => {
    fake.setReply(() => queryError(400, 'Throttling', 'Rate exceeded'));
    const cfn = await factory({ maxAttempts: 2 }).cloudformation();
    const err = await failure(() => cfn.send(new DescribeStacksCommand({ StackName: 'mailengine' })));
    expect(err.code).toBe('THROTTLED');
    expect(err.exitCode).toBe(ExitCode.Failed);
    expect(fake.requests).toHaveLength(2);
    expect(err.message).toContain('2 attempts');
  });

  it('missing stack (CloudFormation ValidationError): exit 4 naming the stack and region', async () => {
    fake.setReply(() => queryError(400, 'ValidationError', 'Stack with id mailengine-prod does not exist'));
    const cfn = await factory().cloudformation();
    const err = await failure(() => cfn.send(new DescribeStacksCommand({ StackName: 'mailengine-prod' })));
    expect(err.code).toBe('STACK_NOT_FOUND');
    expect(err.exitCode).toBe(ExitCode.NotFound);
    expect(err.message).toBe('No stack named mailengine-prod in eu-west-1.');
    expect(err.suggestion).toContain('mailengine deploy');
  });

  it('missing table (DynamoDB ResourceNotFoundException): exit 4 naming the table', async () => {
    fake.setReply(() => jsonError(400, 'ResourceNotFoundException', 'Requested resource not found'));
    const ddb = await factory().dynamodb();
    const err = await failure(() => ddb.send(new DescribeTableCommand({ TableName: 'mailengine-tracking' })));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.exitCode).toBe(ExitCode.NotFound);
    expect(err.message).toContain('mailengine-tracking');
  });

  it('missing SES identity (NotFoundException, 404): exit 4', async () => {
    fake.setReply(() => restJsonError(404, 'NotFoundException', 'Email identity example.com does not exist.'));
    const ses = await factory().sesv2();
    const err = await failure(() => ses.send(new GetEmailIdentityCommand({ EmailIdentity: 'example.com' })));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('example.com');
  });

  it('a server error is reported as AWS-side and temporary, keeping the request id', async () => {
    fake.setReply(() => queryError(500, 'InternalFailure', 'boom', 'Receiver'));
    const cfn = await factory().cloudformation();
    const err = await failure(() => cfn.send(new DescribeStacksCommand({ StackName: 'mailengine' })));
    expect(err.code).toBe('AWS_SERVICE_ERROR');
    expect(err.details?.requestId).toBe('req-0001');
  });

  it('no region at all: exit 3 telling where to set one', async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    const sts = await factory({ region: undefined }).sts();
    const err = await failure(() => sts.send(new GetCallerIdentityCommand({})));
    expect(err.code).toBe('REGION_MISSING');
    expect(err.exitCode).toBe(ExitCode.Environment);
    expect(fake.requests).toHaveLength(0);
  });

  it('--local with the local stack down: says to run `mailengine local up`', async () => {
    const port = await closedPort();
    const local = { ...defaultLocalEndpoints(), dynamodb: `http://127.0.0.1:${port}` };
    const ddb = await new AwsClientFactory({ region: 'us-east-1', local, maxAttempts: 1 }).dynamodb();
    const err = await failure(() => ddb.send(new DescribeTableCommand({ TableName: 't' })));
    expect(err.code).toBe('LOCAL_STACK_DOWN');
    expect(err.suggestion).toContain('mailengine local up');
    expect(err.exitCode).toBe(ExitCode.Environment);
  });

  it('--local for a service the local stack lacks: a usage error before any client is built', async () => {
    const err = await failure(() => new AwsClientFactory({ region: 'us-east-1', local: defaultLocalEndpoints() }).cloudformation());
    expect(err.code).toBe('LOCAL_UNSUPPORTED');
    expect(err.exitCode).toBe(ExitCode.Usage);
  });

  it('unknown region: the DNS failure Node reports for a region that does not exist', () => {
    // Shaped exactly as Node's resolver rejects; tests make no real DNS queries.
    const dnsFailure = Object.assign(new Error('getaddrinfo ENOTFOUND sts.eu-nowhere-1.amazonaws.com'), {
      code: 'ENOTFOUND',
      errno: -3008,
      syscall: 'getaddrinfo',
      hostname: 'sts.eu-nowhere-1.amazonaws.com',
    });
    const err = translateAwsError(dnsFailure, { service: 'sts', operation: 'GetCallerIdentity', region: 'eu-nowhere-1' });
    expect(err.code).toBe('UNKNOWN_REGION');
    expect(err.message).toContain('eu-nowhere-1');
    expect(err.exitCode).toBe(ExitCode.Environment);
  });

  describe('network failures each say what they are (exit 3), none of them "the region does not exist"', () => {
    // Shaped exactly as Node's net, dns and tls modules reject; tests make no real DNS queries.
    const nodeError = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields);
    const ctx = { service: 'sesv2', operation: 'GetAccount', region: 'eu-west-1' };

    it('DNS failure for a real region (ENOTFOUND): the host, and network and DNS to check', () => {
      const err = translateAwsError(nodeError('getaddrinfo ENOTFOUND email.eu-west-1.amazonaws.com', { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname: 'email.eu-west-1.amazonaws.com' }), ctx);
      expect(err).toMatchObject({ code: 'DNS_FAILURE', exitCode: ExitCode.Environment });
      expect(err.message).toBe('Could not look up email.eu-west-1.amazonaws.com: DNS has no such name (ENOTFOUND).');
      expect(err.suggestion).toContain('network connection, DNS and proxy settings');
    });

    it('DNS that does not answer (EAI_AGAIN)', () => {
      const err = translateAwsError(nodeError('getaddrinfo EAI_AGAIN email.eu-west-1.amazonaws.com', { code: 'EAI_AGAIN', errno: -3001, syscall: 'getaddrinfo', hostname: 'email.eu-west-1.amazonaws.com' }), ctx);
      expect(err).toMatchObject({ code: 'DNS_FAILURE', exitCode: ExitCode.Environment });
      expect(err.message).toContain('the DNS server did not answer in time (EAI_AGAIN)');
    });

    it('no route to the host (ENETUNREACH, EHOSTUNREACH)', () => {
      for (const code of ['ENETUNREACH', 'EHOSTUNREACH']) {
        const err = translateAwsError(nodeError(`connect ${code} 52.95.120.1:443`, { code, syscall: 'connect', address: '52.95.120.1', port: 443 }), ctx);
        expect(err).toMatchObject({ code: 'NO_ROUTE', exitCode: ExitCode.Environment, message: `No network route to 52.95.120.1:443 (${code}).` });
      }
    });

    it('TLS failure (a proxy that re-signs certificates)', () => {
      const err = translateAwsError(nodeError('self-signed certificate in certificate chain', { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), ctx);
      expect(err).toMatchObject({ code: 'TLS_FAILURE', exitCode: ExitCode.Environment });
      expect(err.suggestion).toContain('NODE_EXTRA_CA_CERTS');
      expect(translateAwsError(nodeError('certificate has expired', { code: 'CERT_HAS_EXPIRED' }), ctx).code).toBe('TLS_FAILURE');
    });

    it('connection refused, also inside the AggregateError Node raises after trying IPv4 and IPv6', () => {
      const refused = (address: string) => nodeError(`connect ECONNREFUSED ${address}:4566`, { code: 'ECONNREFUSED', syscall: 'connect', address, port: 4566 });
      const err = translateAwsError(Object.assign(new AggregateError([refused('127.0.0.1'), refused('::1')], ''), { code: 'ECONNREFUSED' }), ctx);
      expect(err).toMatchObject({ code: 'CONNECTION_REFUSED', exitCode: ExitCode.Environment, message: 'Nothing is listening at 127.0.0.1:4566: the connection was refused (ECONNREFUSED).' });
      expect(err.suggestion).toContain('AWS_ENDPOINT_URL');
    });

    it('through the real client: AWS_ENDPOINT_URL at a port nobody listens on', async () => {
      const port = await closedPort();
      process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
      try {
        const sts = await factory().sts();
        const err = await failure(() => sts.send(new GetCallerIdentityCommand({})));
        expect(err).toMatchObject({ code: 'CONNECTION_REFUSED', exitCode: ExitCode.Environment });
        expect(err.message).toContain(`127.0.0.1:${port}`);
      } finally {
        process.env.AWS_ENDPOINT_URL = fake.url;
      }
    });
  });

  it('an unknown profile is named as such', () => {
    const sdkError = Object.assign(new Error('Profile missing-one could not be found or parsed in shared credentials file.'), { name: 'CredentialsProviderError' });
    const err = translateAwsError(sdkError, { service: 'sts', operation: 'GetCallerIdentity', profile: 'missing-one' });
    expect(err.code).toBe('PROFILE_NOT_FOUND');
    expect(err.message).toContain('missing-one');
  });

  it('S3 operations are named by their IAM action', () => {
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const err = translateAwsError(denied, { service: 's3', operation: 'ListObjectsV2', input: { Bucket: 'b' } });
    expect(err.message).toContain('s3:ListBucket');
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
