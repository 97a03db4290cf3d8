import type { AwsClientFactory } from '../aws/clients.js';
import { ExitCode, MailengineError, isMailengineError } from '../errors.js';
import { localStackResources } from '../local/resources.js';
import { localStackStatus } from '../local/status.js';
import { VERSION } from '../version.js';
import { runnerState } from '../local/runner/client.js';
import { runnerSending, servesStack } from '../local/runner/serving.js';
import type { RunnerState } from '../local/runner/runner.js';
import type { QueueDepth } from './queue-depth.js';
import type { SendingView } from './sending-state.js';

export interface LocalTableInfo {
  logicalId: string;
  name: string;
  status: string;
  itemCount?: number;
  indexes: string[];
  ttlAttribute?: string;
}

export interface LocalBucketInfo {
  logicalId: string;
  name: string;
  exists: boolean;
  objects?: number;
}

export interface LocalStackInfo {
  target: 'local';
  stackName: string;
  /** The local stack runs this CLI's own engine code, so its version is the CLI's. */
  engineVersion: string;
  running: boolean;
  parts: Array<{ name: string; label: string; state: string; healthy: boolean; endpoint: string }>;
  inbox: string;
  tables: LocalTableInfo[];
  buckets: LocalBucketInfo[];
  /** Paused or not, as the engine runner reports it (absent when it serves another stack). */
  sending?: SendingView;
  /** The runner's queues and DLQs (absent when it serves another stack). */
  queues?: Array<Omit<QueueDepth, 'url'>>;
  /** What the local stack does not have, so nobody looks for it. */
  notAvailable: string[];
}

/**
 * `info --local`: which parts of the local stack run, and the tables and bucket provisioned for
 * this stack name, read from the emulators themselves.
 */
export async function localStackInfo(input: { aws: AwsClientFactory; cwd: string; stackName: string }): Promise<LocalStackInfo> {
  const status = await localStackStatus({ dir: input.cwd });
  if (!status.running) {
    throw new MailengineError('LOCAL_STACK_DOWN', 'The local stack is not running in this directory.', {
      exitCode: ExitCode.Environment,
      suggestion: 'Start it with `mailengine local up`.',
      details: { parts: status.parts.map((p) => ({ name: p.name, state: p.state, healthy: p.healthy })) },
    });
  }
  const recorded = localStackResources(input.cwd, input.stackName);
  if (!recorded) {
    throw new MailengineError('STACK_NOT_FOUND', `Stack ${input.stackName} is not provisioned on the local stack.`, {
      exitCode: ExitCode.NotFound,
      suggestion: 'Run `mailengine deploy --local` (or `mailengine local up`) for it, or name another with --stack.',
    });
  }
  const { DescribeTableCommand, DescribeTimeToLiveCommand } = await import('@aws-sdk/client-dynamodb');
  const { HeadBucketCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const ddb = await input.aws.dynamodb();
  const s3 = await input.aws.s3();
  const tables: LocalTableInfo[] = [];
  const buckets: LocalBucketInfo[] = [];
  for (const [logicalId, name] of Object.entries(recorded)) {
    try {
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: name }));
      const ttl = (await ddb.send(new DescribeTimeToLiveCommand({ TableName: name }))).TimeToLiveDescription;
      tables.push({
        logicalId,
        name,
        status: Table?.TableStatus ?? 'UNKNOWN',
        ...(Table?.ItemCount !== undefined ? { itemCount: Table.ItemCount } : {}),
        indexes: (Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName ?? '').sort(),
        ...(ttl?.TimeToLiveStatus === 'ENABLED' && ttl.AttributeName ? { ttlAttribute: ttl.AttributeName } : {}),
      });
      continue;
    } catch (err) {
      if (!isMailengineError(err) || err.code !== 'NOT_FOUND') throw err;
    }
    // Not a table: the recorded names mix tables and buckets, keyed by logical id.
    try {
      await s3.send(new HeadBucketCommand({ Bucket: name }));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: name, MaxKeys: 1000 }));
      buckets.push({ logicalId, name, exists: true, objects: listed.KeyCount ?? 0 });
    } catch (err) {
      if (!isMailengineError(err) || err.code !== 'NOT_FOUND') throw err;
      buckets.push({ logicalId, name, exists: false });
    }
  }
  const engine = await runnerView(input.aws.settings.local?.eventbridge, input.stackName);
  return {
    target: 'local',
    stackName: input.stackName,
    engineVersion: VERSION,
    running: status.running,
    parts: status.parts.map((p) => ({ name: p.name, label: p.label, state: p.state, healthy: p.healthy, endpoint: p.endpoint })),
    inbox: status.inbox,
    tables,
    buckets,
    ...(engine.sending ? { sending: engine.sending, queues: engine.queues } : {}),
    notAvailable: ['SES account and identities (the SES emulator only sends)', ...engine.missing],
  };
}

/** Pause state and queue depths from the engine runner, when it serves this stack. */
async function runnerView(endpoint: string | undefined, stackName: string): Promise<{ sending?: SendingView; queues?: Array<Omit<QueueDepth, 'url'>>; missing: string[] }> {
  let state: RunnerState;
  try {
    if (!endpoint) throw new Error('no endpoint');
    state = await runnerState(endpoint);
  } catch {
    return { missing: ['pause state and queue depths (the engine runner did not answer)'] };
  }
  if (!servesStack(state.engine, stackName)) {
    return { missing: [`pause state and queue depths (the engine runner serves ${state.engine.stackName ? `stack ${state.engine.stackName}` : 'no engine'})`] };
  }
  const q = state.queues;
  const depth = (name: string, s: RunnerState['queues']['send']) => ({ name, waiting: s.visible, inFlight: s.inFlight, delayed: s.delayed });
  return {
    sending: runnerSending(state),
    queues: [depth('send', q.send), depth('send-dlq', q.sendDlq), depth('feedback', q.feedback), depth('feedback-dlq', q.feedbackDlq)],
    missing: [],
  };
}
