import { ExitCode, MailengineError } from '../../errors.js';
import { httpRequest } from '../http.js';
import type { RecordedEvent } from './event-bus.js';
import type { QueueDepth, QueuedMessage } from './queue.js';
import type { RecordedSend, RunnerState } from './runner.js';
import { pollUntil } from '../../util/poll.js';

/**
 * Talks to a running engine runner's `/_mailengine/*` endpoints: for the demo, tests, and the
 * commands that operate a local engine (`send --test`, `pause`, `resume`, `dlq list` and
 * `dlq redrive` with `--local`). `endpoint` is the local stack's `eventbridge` endpoint.
 */
async function call<T>(endpoint: string, method: 'GET' | 'POST', path: string, timeoutMs = 5000): Promise<T> {
  const url = `${endpoint.replace(/\/+$/, '')}/_mailengine/${path}`;
  let res;
  try {
    res = await httpRequest(url, { method, timeoutMs });
  } catch (err) {
    // The same error every --local command gives when the stack is down (see src/aws/errors.ts).
    throw new MailengineError('LOCAL_STACK_DOWN', `The local stack is not answering at ${endpoint} (engine runner: ${(err as Error).message || (err as { code?: string }).code || 'no answer'}).`, {
      exitCode: ExitCode.Environment,
      cause: err,
      suggestion: 'Start it with `mailengine local up` (in this project directory), or check it with `mailengine local status`.',
    });
  }
  if (res.status !== 200) {
    throw new MailengineError('LOCAL_RUNNER_ERROR', `The local engine runner answered ${method} ${path} with HTTP ${res.status}: ${res.body.slice(0, 300)}`, {
      exitCode: ExitCode.Environment,
      suggestion: 'See its log: .mailengine/local/logs/eventbridge.log',
    });
  }
  return JSON.parse(res.body) as T;
}

export function runnerState(endpoint: string): Promise<RunnerState> {
  return call(endpoint, 'GET', 'state');
}

/** Pauses the local engine: the Sender stops consuming and SES refuses its configuration set. */
export function pauseRunner(endpoint: string): Promise<RunnerState> {
  return call(endpoint, 'POST', 'pause');
}

export function resumeRunner(endpoint: string): Promise<RunnerState> {
  return call(endpoint, 'POST', 'resume');
}

/** Switches the runner's simulated SES to refuse every SendEmail as over the rate (a fault for tests and the benchmark), or back. */
export function throttleRunnerSes(endpoint: string, on: boolean): Promise<RunnerState> {
  return call(endpoint, 'POST', `ses/throttle?on=${on}`);
}

export interface EventQuery {
  bus?: string;
  detailType?: string;
  source?: string;
  emailId?: string;
  /** Only events with a higher sequence number (the `last` of an earlier answer). */
  after?: number;
  /** Wait up to this long (at most 30 s) for a first matching event. */
  waitMs?: number;
}

/** Events the runner's buses received: requests, SES events, and "Email Status Changed". */
export function runnerEvents(endpoint: string, query: EventQuery = {}): Promise<{ events: RecordedEvent[]; last: number }> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  return call(endpoint, 'GET', `events?${params}`, (query.waitMs ?? 0) + 5000);
}

/** The SendEmail calls the Sender made, optionally for one emailId. */
export async function runnerSends(endpoint: string, emailId?: string): Promise<RecordedSend[]> {
  const query = emailId ? `?${new URLSearchParams({ emailId })}` : '';
  return (await call<{ sends: RecordedSend[] }>(endpoint, 'GET', `sends${query}`)).sends;
}

/**
 * Resolves once the runner is idle (nothing queued, running or scheduled) and `until` (if given)
 * holds; throws after `timeoutMs`.
 */
export async function waitForRunnerIdle(endpoint: string, options: { timeoutMs?: number; until?: (state: RunnerState) => boolean | Promise<boolean> } = {}): Promise<RunnerState> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { done, value: state } = await pollUntil(
    async () => {
      const state = await runnerState(endpoint);
      return { done: state.idle && (!options.until || (await options.until(state))), value: state };
    },
    { timeoutMs, delayMs: 100 },
  );
  if (!done) {
    throw new MailengineError('LOCAL_RUNNER_BUSY', `The local engine did not settle within ${Math.round(timeoutMs / 1000)} s (send queue ${state.queues.send.visible} waiting, ${state.queues.send.inFlight} in flight, ${state.queues.send.delayed} delayed; ${state.pendingSesEvents} SES events pending).`, {
      exitCode: ExitCode.Failed,
      suggestion: 'See .mailengine/local/logs/eventbridge.log for what the Sender and Feedback did.',
      details: { state },
    });
  }
  return state;
}

/** One of the runner's queues with every message it holds, as `GET /_mailengine/queues` reports it. */
export interface RunnerQueueView extends QueueDepth {
  name: string;
  arn: string;
  messages: QueuedMessage[];
}

export type RunnerQueueKey = 'send' | 'sendDlq' | 'feedback' | 'feedbackDlq';

/** The send and feedback queues and their DLQs, messages included. Reading them hides nothing. */
export async function runnerQueues(endpoint: string): Promise<Record<RunnerQueueKey, RunnerQueueView>> {
  return (await call<{ queues: Record<RunnerQueueKey, RunnerQueueView> }>(endpoint, 'GET', 'queues')).queues;
}

export interface RunnerRedrive {
  queue: 'send' | 'feedback';
  from: string;
  to: string;
  moved: number;
  /** The ids the messages got in the source queue (redriven messages are new messages). */
  messageIds: string[];
}

/** Moves everything in the `queue`'s DLQ back to `queue`, as SQS StartMessageMoveTask would. */
export function redriveRunnerQueue(endpoint: string, queue: 'send' | 'feedback'): Promise<RunnerRedrive> {
  return call(endpoint, 'POST', `queues/redrive?${new URLSearchParams({ queue })}`);
}
