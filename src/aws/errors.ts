import { ExitCode, MailengineError } from '../errors.js';
import { isThrottling } from './error-names.js';

/** What the client boundary knows about the call that failed. */
export interface AwsCallContext {
  /** Our service key: cloudformation, sesv2, dynamodb, s3, sqs, lambda, eventbridge, sts. */
  service: string;
  /** SDK operation name, e.g. DescribeStacks. */
  operation: string;
  region?: string;
  profile?: string;
  /** The command's input, used to name the missing resource. */
  input?: Record<string, unknown>;
  /** Set when the client points at the local stack. */
  localEndpoint?: string;
  maxAttempts?: number;
}

/** IAM action prefixes differ from our service keys in places. */
const IAM_PREFIX: Record<string, string> = {
  cloudformation: 'cloudformation',
  cloudwatch: 'cloudwatch',
  logs: 'logs',
  sesv2: 'ses',
  dynamodb: 'dynamodb',
  s3: 's3',
  sqs: 'sqs',
  lambda: 'lambda',
  eventbridge: 'events',
  sts: 'sts',
};

/** S3 operations whose IAM action has another name. */
const S3_ACTIONS: Record<string, string> = {
  ListObjectsV2: 'ListBucket',
  HeadObject: 'GetObject',
  HeadBucket: 'ListBucket',
  DeleteObjects: 'DeleteObject',
};

const CREDENTIALS_MISSING = new Set(['CredentialsProviderError']);
const CREDENTIALS_EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired', 'RequestExpired']);
const CREDENTIALS_INVALID = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'InvalidAccessKeyId',
  'AuthFailure',
  'MissingAuthenticationToken',
]);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'Forbidden']);
const NOT_FOUND = new Set([
  'ResourceNotFoundException',
  'NotFoundException',
  'NoSuchBucket',
  'NoSuchKey',
  'NotFound',
  'StackNotFoundException',
  'ChangeSetNotFound',
  'ChangeSetNotFoundException',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  hostname?: string;
  address?: string;
  port?: number;
  /** Node wraps a failed connection to every address of a host (IPv4 and IPv6) in an AggregateError. */
  errors?: unknown[];
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
}

/** The action an AccessDenied message names, e.g. "not authorized to perform: ses:SendEmail on resource". */
function deniedAction(message: string | undefined, ctx: AwsCallContext): string {
  const match = message?.match(/not authorized to perform:?\s+([a-z0-9-]+:[A-Za-z0-9*]+)/);
  if (match) return match[1];
  const prefix = IAM_PREFIX[ctx.service] ?? ctx.service;
  const action = prefix === 's3' ? (S3_ACTIONS[ctx.operation] ?? ctx.operation) : ctx.operation;
  return `${prefix}:${action}`;
}

function deniedPrincipal(message: string | undefined): string | undefined {
  return message?.match(/User:\s+(arn:[^\s]+)\s/)?.[1];
}

function resourceName(ctx: AwsCallContext): string | undefined {
  const input = ctx.input ?? {};
  for (const key of ['StackName', 'TableName', 'Bucket', 'Key', 'EmailIdentity', 'ConfigurationSetName', 'FunctionName', 'QueueUrl', 'ChangeSetName', 'EventBusName']) {
    const value = input[key];
    if (typeof value === 'string') return key === 'Key' && typeof input.Bucket === 'string' ? `s3://${input.Bucket}/${value}` : value;
  }
  return undefined;
}

function where(ctx: AwsCallContext): string {
  if (ctx.localEndpoint) return 'on the local stack';
  return ctx.region ? `in ${ctx.region}` : 'in the default region';
}

function profileHint(ctx: AwsCallContext): string {
  return ctx.profile ? ` --profile ${ctx.profile}` : '';
}

/**
 * The regions AWS had when this was written. A DNS failure for one of them is a network problem;
 * for any other name, most likely a mistyped region (a newer region reads as that too, and the
 * message still names the region as the thing to check).
 */
const KNOWN_REGIONS = new Set([
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'ca-west-1', 'mx-central-1', 'sa-east-1',
  'eu-central-1', 'eu-central-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-south-1', 'eu-south-2', 'eu-north-1',
  'af-south-1', 'il-central-1', 'me-south-1', 'me-central-1',
  'ap-east-1', 'ap-east-2', 'ap-south-1', 'ap-south-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
  'us-gov-east-1', 'us-gov-west-1', 'cn-north-1', 'cn-northwest-1', 'eusc-de-east-1',
]);

const TLS_CODES = /^(CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH|ERR_OSSL)/;

type Fail = (code: string, text: string, suggestion: string, exitCode: ExitCode) => MailengineError;

/** The Node error code of a failed connection, looking inside an AggregateError. */
function networkCodeOf(err: unknown): { code?: string; host?: string; detail: SdkErrorShape } {
  const e = (err ?? {}) as SdkErrorShape;
  const inner = (e.errors?.[0] ?? {}) as SdkErrorShape;
  const code = e.code ?? inner.code;
  const host = e.hostname ?? inner.hostname ?? (e.address ?? inner.address ? `${e.address ?? inner.address}${(e.port ?? inner.port) ? `:${e.port ?? inner.port}` : ''}` : undefined);
  return { code, host, detail: e };
}

/**
 * No route, no DNS answer, a TLS failure and a refused connection each have their own cause and
 * fix; none of them means the region does not exist, unless the region's name is not one.
 */
function translateNetworkError(err: unknown, ctx: AwsCallContext, fail: Fail): MailengineError | undefined {
  const { code, host, detail } = networkCodeOf(err);
  if (!code) return undefined;
  const target = host ?? `${ctx.service} ${where(ctx)}`;
  if (ctx.localEndpoint && ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) {
    return fail('LOCAL_STACK_DOWN', `The local stack is not answering at ${ctx.localEndpoint}.`, 'Start it with `mailengine local up` (in this project directory), or check it with `mailengine local status`.', ExitCode.Environment);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const awsHost = /amazonaws\.com/.test(`${detail.hostname ?? ''} ${detail.message ?? ''}`);
    if (code === 'ENOTFOUND' && awsHost && ctx.region && !KNOWN_REGIONS.has(ctx.region)) {
      return fail(
        'UNKNOWN_REGION',
        `The region "${ctx.region}" does not exist, or ${ctx.service} is not offered there.`,
        'Check --region (for example eu-west-1). `aws account list-regions` lists the regions enabled for your account.',
        ExitCode.Environment,
      );
    }
    return fail(
      'DNS_FAILURE',
      `Could not look up ${target}: ${code === 'EAI_AGAIN' ? 'the DNS server did not answer in time' : 'DNS has no such name'} (${code}).`,
      `Check your network connection, DNS and proxy settings (HTTPS_PROXY), and any AWS_ENDPOINT_URL setting.${ctx.region ? ` If you are online, check that ${ctx.region} offers ${ctx.service} and is enabled for your account.` : ''}`,
      ExitCode.Environment,
    );
  }
  if (code === 'ENETUNREACH' || code === 'EHOSTUNREACH' || code === 'ENETDOWN' || code === 'EHOSTDOWN') {
    return fail('NO_ROUTE', `No network route to ${target} (${code}).`, 'Check that this machine is online (VPN, firewall, a VPC without a NAT gateway or endpoint), then run it again.', ExitCode.Environment);
  }
  if (TLS_CODES.test(code)) {
    return fail(
      'TLS_FAILURE',
      `The secure connection to ${target} failed: ${detail.message || code} (${code}).`,
      'A proxy or firewall that inspects TLS is the usual cause: point NODE_EXTRA_CA_CERTS at its CA certificate, or check the clock and AWS_ENDPOINT_URL.',
      ExitCode.Environment,
    );
  }
  if (code === 'ECONNREFUSED') {
    return fail(
      'CONNECTION_REFUSED',
      `Nothing is listening at ${target}: the connection was refused (${code}).`,
      'Check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, endpoint_url in your AWS profile and any proxy settings; for the local stack, pass --local and run `mailengine local up`.',
      ExitCode.Environment,
    );
  }
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') {
    return fail('NETWORK_ERROR', `Could not reach ${ctx.service} ${where(ctx)}: ${detail.message || code} (${code}).`, 'Check your network connection and any proxy or AWS_ENDPOINT_URL settings, then run it again.', ExitCode.Environment);
  }
  return undefined;
}

/**
 * Turns an AWS SDK (or network) error into a MailengineError a person can act on. Anything it
 * does not recognise is still wrapped, keeping the AWS error code and request id in `details`.
 */
export function translateAwsError(err: unknown, ctx: AwsCallContext): MailengineError {
  if (err instanceof MailengineError) return err;
  const e = (err ?? {}) as SdkErrorShape;
  const name = e.name ?? e.code ?? 'Error';
  const message = e.message ?? String(err);
  const status = e.$metadata?.httpStatusCode;
  const details = {
    awsError: name,
    service: ctx.service,
    operation: ctx.operation,
    ...(status ? { httpStatusCode: status } : {}),
    ...(e.$metadata?.requestId ? { requestId: e.$metadata.requestId } : {}),
  };
  const fail = (code: string, text: string, suggestion: string, exitCode: ExitCode) =>
    new MailengineError(code, text, { suggestion, exitCode, cause: err, details });

  if (CREDENTIALS_MISSING.has(name) || /Could not load credentials/i.test(message)) {
    if (/profile/i.test(message) && /(could not be found|not found)/i.test(message)) {
      return fail(
        'PROFILE_NOT_FOUND',
        `The AWS profile "${ctx.profile ?? ''}" is not in your AWS config files.`,
        'Check the name with `aws configure list-profiles`, or create it with `aws configure --profile NAME`.',
        ExitCode.Environment,
      );
    }
    return fail(
      'CREDENTIALS_MISSING',
      'No AWS credentials were found.',
      'Configure them with `aws configure` or `aws sso login`, pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. To try mailengine without AWS, use --local.',
      ExitCode.Environment,
    );
  }

  if (CREDENTIALS_EXPIRED.has(name) || /(token|session).*(has )?expired/i.test(message)) {
    return fail(
      'CREDENTIALS_EXPIRED',
      'Your AWS session has expired.',
      `Sign in again, e.g. \`aws sso login${profileHint(ctx)}\`, or refresh your temporary credentials.`,
      ExitCode.Environment,
    );
  }

  if (CREDENTIALS_INVALID.has(name)) {
    return fail(
      'CREDENTIALS_INVALID',
      `AWS rejected your credentials (${name}).`,
      'Check the access key and secret (`aws sts get-caller-identity` should succeed), and that the system clock is correct.',
      ExitCode.Environment,
    );
  }

  if (ACCESS_DENIED.has(name) || (status === 403 && !CREDENTIALS_INVALID.has(name))) {
    const action = deniedAction(message, ctx);
    const principal = deniedPrincipal(message);
    return fail(
      'ACCESS_DENIED',
      `Access denied: your credentials may not call ${action}${principal ? ` (as ${principal})` : ''}.`,
      `Grant ${action} to this identity, or use a profile that has it.`,
      ExitCode.Environment,
    );
  }

  if (/Region is missing/i.test(message)) {
    return fail(
      'REGION_MISSING',
      'No AWS region is set.',
      'Pass --region, set "region" for the environment in mailengine.config.json, or set AWS_REGION.',
      ExitCode.Environment,
    );
  }

  const network = translateNetworkError(err, ctx, fail);
  if (network) return network;

  if (isThrottling(err)) {
    const tries = e.$metadata?.attempts ?? ctx.maxAttempts;
    return fail(
      'THROTTLED',
      `AWS is throttling ${ctx.service} ${ctx.operation} calls${tries ? ` (gave up after ${tries} attempts)` : ''}.`,
      'Wait a minute and run it again; if it keeps happening, run fewer operations at once or ask AWS for a higher limit.',
      ExitCode.Failed,
    );
  }

  const stackMissing = name === 'ValidationError' && /Stack with id .* does not exist/i.test(message);
  if (NOT_FOUND.has(name) || stackMissing || status === 404) {
    const resource = resourceName(ctx);
    if (ctx.service === 'cloudformation' && (stackMissing || ctx.input?.StackName)) {
      return fail(
        'STACK_NOT_FOUND',
        `No stack named ${resource ?? '?'} ${where(ctx)}.`,
        'Run `mailengine deploy` first, or point at the right one with --stack, --region or --env.',
        ExitCode.NotFound,
      );
    }
    return fail(
      'NOT_FOUND',
      `${resource ? `${resource} was not found` : `${ctx.service} ${ctx.operation}: not found`} ${where(ctx)}.`,
      'Check the name, the region and the stack; `mailengine info` shows what is deployed.',
      ExitCode.NotFound,
    );
  }
  if (status !== undefined && status >= 500) {
    return fail('AWS_SERVICE_ERROR', `${ctx.service} ${ctx.operation} failed on the AWS side (${name}, HTTP ${status}).`, 'This is usually temporary: run it again in a minute.', ExitCode.Failed);
  }

  return fail('AWS_ERROR', `${ctx.service} ${ctx.operation} failed: ${message} (${name})`, 'See the message from AWS above; --debug shows the full error.', ExitCode.Failed);
}
