import type { AwsClientFactory } from '../aws/clients.js';
import type { ResolvedSettings } from '../config/settings.js';
import { localStackResources } from '../local/resources.js';
import { runnerQueues, runnerState, type RunnerQueueView } from '../local/runner/client.js';
import { serveCommand, servedDescription, servesStack } from '../local/runner/serving.js';
import { localStackStatus } from '../local/status.js';
import type { LocalDoctorFacts } from '../operations/doctor/local.js';
import type { QueueFacts } from '../operations/doctor/queues.js';

/** The template's logical ids of the local stack's tables and templates bucket. */
const TABLES = ['TrackingTable', 'SuppressionTable'];

/** A runner queue as doctor sees it: its depths, and how long its oldest message has waited (from the messages themselves). */
export function queueFacts(name: QueueFacts['name'], q: RunnerQueueView, now: number): QueueFacts {
  const oldest = q.messages.reduce((min, m) => Math.min(min, m.sentAt), Number.POSITIVE_INFINITY);
  return { name, waiting: q.visible, inFlight: q.inFlight, delayed: q.delayed, ...(Number.isFinite(oldest) ? { oldestAgeSeconds: Math.max(0, (now - oldest) / 1000) } : {}) };
}

/** What `doctor --local` checks, read from the local stack's processes, its recorded names and the engine runner. */
export async function localDoctorFacts(aws: AwsClientFactory, cwd: string, settings: ResolvedSettings, now = Date.now()): Promise<LocalDoctorFacts> {
  const stackName = settings.stackName;
  const status = await localStackStatus({ dir: cwd });
  const recorded = localStackResources(cwd, stackName);
  // Only this directory's runner: another project's may answer on the same default port.
  const part = status.parts.find((p) => p.name === 'eventbridge');
  const endpoint = part?.state === 'running' ? part.endpoint : undefined;
  let runner: LocalDoctorFacts['runner'];
  try {
    if (!endpoint) throw new Error('it is not running in this directory');
    const state = await runnerState(endpoint);
    const serves = servesStack(state.engine, stackName);
    const queues = serves ? await runnerQueues(endpoint) : undefined;
    runner = {
      serves,
      served: servedDescription(state.engine),
      paused: state.paused,
      queues: queues
        ? [queueFacts('send', queues.send, now), queueFacts('send-dlq', queues.sendDlq, now), queueFacts('feedback', queues.feedback, now), queueFacts('feedback-dlq', queues.feedbackDlq, now)]
        : [],
    };
  } catch (err) {
    runner = { error: err instanceof Error ? err.message : String(err) };
  }
  return {
    stackName,
    parts: status.parts.map((p) => ({ name: p.name, label: p.label, state: p.state, healthy: p.healthy, endpoint: p.endpoint })),
    ...(recorded ? { provisioned: { tables: TABLES.map((id) => recorded[id]).filter((n): n is string => Boolean(n)), ...(recorded.TemplatesBucket ? { templatesBucket: recorded.TemplatesBucket } : {}) } } : {}),
    serveCommand: serveCommand({ stackName, environment: settings.environment }),
    runner,
    ...(aws.settings.local ? { s3: await aws.s3() } : {}),
  };
}
