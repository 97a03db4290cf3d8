import type { AwsClientFactory } from '../aws/clients.js';
import { ExitCode, MailengineError, isMailengineError } from '../errors.js';
import { VERSION } from '../version.js';
import { compareEngineToCli, stackEngineVersion, type VersionComparison } from './engine-version.js';
import { readSesAccount, readSesIdentity, type SesAccount, type SesIdentity } from './ses-account.js';
import { readSendingState, type SendingView } from './sending-state.js';
import { readAutoPauseAlarms, type AutoPauseAlarm } from './alarms.js';
import { queueDepth, type QueueDepth } from './queue-depth.js';
import { consoleUrl, describeStack } from './stack-status.js';

export type { QueueDepth };

/** A part of `info` that could not be read; the rest is still reported. */
export interface InfoProblem {
  section: string;
  code: string;
  message: string;
  exitCode: number;
}

export interface StackInfo {
  target: 'aws';
  stackName: string;
  region: string;
  stack: { id: string; status: string; statusReason?: string; createdAt?: string; updatedAt?: string; consoleUrl: string };
  version: VersionComparison;
  outputs: Record<string, string>;
  ses?: SesAccount;
  identity?: SesIdentity;
  queues: QueueDepth[];
  sending?: SendingView;
  /** The alarms that pause the engine, and their states. */
  alarms?: AutoPauseAlarm[];
  problems: InfoProblem[];
}

const QUEUES: Array<[string, string]> = [
  ['send', 'SendQueueUrl'],
  ['send-dlq', 'SendDeadLetterQueueUrl'],
  ['feedback', 'FeedbackQueueUrl'],
  ['feedback-dlq', 'FeedbackDeadLetterQueueUrl'],
];

/** The outputs the sending state and queue depths are read through. */
const INFO_OUTPUTS = ['ConfigurationSetName', 'SenderEventSourceMappingId', ...QUEUES.map(([, key]) => key)];

/**
 * Everything worth knowing about a deployed engine, each part read independently: a part the
 * credentials may not read is reported as a problem and the rest still shows.
 */
export async function stackInfo(input: { aws: AwsClientFactory; stackName: string; version?: string }): Promise<StackInfo> {
  const { aws, stackName } = input;
  const region = (await (await aws.cloudformation()).config.region()) ?? aws.settings.region ?? '';
  const stack = await describeStack(aws, stackName);
  if (!stack) {
    throw new MailengineError('STACK_NOT_FOUND', `No stack named ${stackName} in ${region}.`, {
      exitCode: ExitCode.NotFound,
      suggestion: 'Run `mailengine deploy` to install it, or point at the right one with --stack, --region or --env.',
    });
  }
  const problems: InfoProblem[] = [];
  const attempt = async <T>(section: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      if (!isMailengineError(err)) throw err;
      problems.push({ section, code: err.code, message: err.message, exitCode: err.exitCode });
      return undefined;
    }
  };
  // What info reads its other parts through: without these outputs those parts cannot be read.
  const missing = INFO_OUTPUTS.filter((key) => !stack.outputs[key]);
  if (missing.length > 0) {
    problems.push({
      section: 'outputs',
      code: 'STACK_INCOMPLETE',
      message: `stack ${stackName} (${stack.status}) has no output${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, so its sending state${missing.some((k) => k.endsWith('QueueUrl')) ? ' and queues' : ''} cannot be read`,
      exitCode: ExitCode.NotFound,
    });
  }
  const identityName = stack.parameters.SenderIdentity;
  if (!identityName) {
    problems.push({ section: 'identity', code: 'STACK_INCOMPLETE', message: `stack ${stackName} has no SenderIdentity parameter, so the SES identity cannot be read`, exitCode: ExitCode.NotFound });
  }
  const [ses, identity, queues, sending, alarms] = await Promise.all([
    attempt('ses', () => readSesAccount(aws)),
    identityName ? attempt('identity', () => readSesIdentity(aws, identityName)) : Promise.resolve(undefined),
    Promise.all(QUEUES.filter(([, key]) => stack.outputs[key]).map(([name, key]) => attempt(`queue ${name}`, () => queueDepth(aws, name, stack.outputs[key])))),
    missing.length === 0 ? attempt('sending', () => readSendingState(aws, stack.outputs)) : Promise.resolve(undefined),
    attempt('alarms', () => readAutoPauseAlarms(aws, stackName)),
  ]);
  return {
    target: 'aws',
    stackName,
    region,
    stack: {
      id: stack.stackId,
      status: stack.status,
      ...(stack.statusReason ? { statusReason: stack.statusReason } : {}),
      ...(stack.createdAt ? { createdAt: stack.createdAt.toISOString() } : {}),
      ...(stack.updatedAt ? { updatedAt: stack.updatedAt.toISOString() } : {}),
      consoleUrl: consoleUrl(region, stack.stackId),
    },
    version: compareEngineToCli(stackEngineVersion(stack), input.version ?? VERSION),
    outputs: stack.outputs,
    ...(ses ? { ses } : {}),
    ...(identity ? { identity } : {}),
    queues: queues.filter((q): q is QueueDepth => q !== undefined),
    ...(sending ? { sending } : {}),
    ...(alarms ? { alarms } : {}),
    problems,
  };
}

/** The error `info` ends with when parts were unreadable: printed after the result, so both show. */
export function incompleteInfoError(problems: InfoProblem[]): MailengineError {
  const codes = new Set(problems.map((p) => p.exitCode));
  return new MailengineError('INFO_INCOMPLETE', `Some of it could not be read: ${problems.map((p) => `${p.section} (${p.message})`).join('; ')}`, {
    exitCode: codes.size === 1 ? ([...codes][0] as MailengineError['exitCode']) : ExitCode.Failed,
    suggestion: [
      'Everything else above is current.',
      problems.some((p) => p.code === 'STACK_INCOMPLETE') ? 'The stack lacks what a complete mailengine stack has: `mailengine deploy` completes or upgrades it.' : '',
      problems.some((p) => p.code !== 'STACK_INCOMPLETE')
        ? 'Grant the missing read permissions (ses:GetAccount, ses:GetEmailIdentity, sqs:GetQueueAttributes, ses:GetConfigurationSet, lambda:GetEventSourceMapping, cloudwatch:DescribeAlarms) to see the rest.'
        : '',
    ]
      .filter(Boolean)
      .join(' '),
    details: { problems },
  });
}
