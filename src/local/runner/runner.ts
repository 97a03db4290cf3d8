import type { SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { randomUUID } from 'node:crypto';
import { REQUEST_DETAIL_TYPE } from '../../model/request.js';
import { emailIdFromTags } from '../../model/ses-tags.js';
import { ENGINE_EVENT_SOURCE, STATUS_CHANGED_DETAIL_TYPE, silentLogger, type EngineLogger, type StatusChange, type StatusEventPublisher } from '../../engine/status-events.js';
import { VERSION } from '../../version.js';
import type { QueueSettings, RunnerConfig } from './config.js';
import { LocalEventBus, type BusRule } from './event-bus.js';
import { EventSource, type EventSourceState, type SqsHandler } from './event-source.js';
import { eventTime } from './put-events.js';
import type { RequeuePort } from '../../engine/requeue.js';
import { join } from 'node:path';
import { localRequeue } from './local-requeue.js';
import { LocalSchedules } from './schedules.js';
import { LocalQueue, type QueueDepth } from './queue.js';
import { startRunnerServer, type RunnerServer } from './server.js';
import { withSesSimulation } from './ses-client.js';
import { bareAddress, simulatedOutcome, synthesiseSesEvents, type SimulatedOutcome } from './simulator.js';

/** Identifies the runner in `/_mailengine/state`, so a health check knows it found the right server. */
export const RUNNER_ID = 'mailengine-local-runner';

/** The Sender and Feedback handlers the runner feeds. */
export interface EngineHandlers {
  sender: SqsHandler;
  feedback: SqsHandler;
  /** Releases what the handlers hold (SDK clients and their sockets) once the runner stops. */
  close?(): void;
}

/** What the runner hands the code that builds the engine's handlers. */
export interface EngineHooks {
  /** Wrap the SESv2 client given to the Sender: pause, and SES events after each send. */
  wrapSes<T extends { send(command: unknown, options?: unknown): Promise<unknown> }>(client: T): T;
  /** Records "Email Status Changed" on the engine bus, as the engine publishes them in AWS. */
  statusEvents: StatusEventPublisher;
  /** Gives a throttled request back to the send queue, delayed, without a receive (the SQS requeue's local twin). */
  requeue: RequeuePort;
  /** One-time schedules onto the send queue (EventBridge Scheduler's local twin), kept across restarts. */
  schedules: LocalSchedules;
  /** The runner's own PutEvents endpoint, for code that wants an EventBridge client instead. */
  eventsEndpoint: string;
  logger(fn: 'sender' | 'feedback'): EngineLogger;
}

export type EngineFactory = (hooks: EngineHooks) => EngineHandlers | Promise<EngineHandlers>;

export interface RunnerOptions {
  config: RunnerConfig;
  /** Builds the handlers; without it requests wait in the send queue (nothing to run them). */
  engine?: EngineFactory;
  log?: EngineLogger;
  /** Start paused, as a paused engine stays paused across restarts. */
  paused?: boolean;
  /** Told of every pause and resume, so the process can remember it. */
  onPauseChange?: (paused: boolean) => void | Promise<void>;
}

/** One SendEmail the Sender made, as the runner saw it. */
export interface RecordedSend {
  messageId: string;
  at: string;
  emailId?: string;
  template?: string;
  configurationSet?: string;
  from?: string;
  subject?: string;
  recipients: Array<{ address: string; simulated: SimulatedOutcome }>;
}

export interface QueueState extends QueueDepth {
  name: string;
  arn: string;
  visibilityTimeoutMs: number;
  maxReceiveCount?: number;
}

export interface RunnerState {
  runner: typeof RUNNER_ID;
  version: string;
  pid: number;
  paused: boolean;
  /** SES refuses every SendEmail as over the rate (a fault switched on through the control API). */
  sesThrottled: boolean;
  engine: { configured: boolean; stackName?: string; configurationSet?: string; bus: string; reason?: string };
  queues: { send: QueueState; sendDlq: QueueState; feedback: QueueState; feedbackDlq: QueueState };
  functions: { sender?: EventSourceState; feedback?: EventSourceState };
  /** SES events synthesised but not yet published. */
  pendingSesEvents: number;
  sends: number;
  /** One-time schedules waiting to put a scheduled email's wake-up on the send queue. */
  schedules: number;
  /** SendEmail calls the simulated SES took and refused as over the rate, since the runner started. */
  ses: { accepted: number; throttled: number };
  /** Nothing waiting, running or scheduled: every request so far has reached its outcome. */
  idle: boolean;
}

export interface LocalRunner {
  url: string;
  port: number;
  config: RunnerConfig;
  bus: LocalEventBus;
  queues: { send: LocalQueue; sendDlq: LocalQueue; feedback: LocalQueue; feedbackDlq: LocalQueue };
  state(): RunnerState;
  pause(): Promise<RunnerState>;
  resume(): Promise<RunnerState>;
  /** Makes the simulated SES refuse every SendEmail with TooManyRequestsException, or stop doing so. */
  throttleSes(on: boolean): RunnerState;
  sends(): RecordedSend[];
  close(): Promise<void>;
}

function queueArn(config: RunnerConfig, name: string): string {
  return `arn:aws:sqs:${config.region}:${config.accountId}:${name}`;
}

/** Where a queue's journal lives: under the runner's data directory, so a restarted runner finds it. */
export function queueJournalFile(config: RunnerConfig, name: string): string {
  return join(config.dataDir, 'queues', `${name}.jsonl`);
}

function queuePair(config: RunnerConfig, name: string, settings: QueueSettings, log: EngineLogger): { main: LocalQueue; dlq: LocalQueue } {
  const dlqName = `${name}-dlq`;
  const dlq = new LocalQueue(dlqName, queueArn(config, dlqName), { visibilityTimeoutMs: 30_000, retentionMs: settings.retentionMs, journalFile: queueJournalFile(config, dlqName) });
  const main = new LocalQueue(name, queueArn(config, name), {
    visibilityTimeoutMs: settings.visibilityTimeoutMs,
    retentionMs: settings.retentionMs,
    journalFile: queueJournalFile(config, name),
    redrive: {
      deadLetterQueue: dlq,
      maxReceiveCount: settings.maxReceiveCount,
      onMoved: (message) => log.warn('queue.dead-letter', { queue: name, dlq: dlqName, messageId: message.messageId, receiveCount: message.receiveCount }),
    },
  });
  return { main, dlq };
}

function queueState(queue: LocalQueue): QueueState {
  return {
    name: queue.name,
    arn: queue.arn,
    ...queue.depth(),
    visibilityTimeoutMs: queue.visibilityTimeoutMs,
    ...(queue.maxReceiveCount !== undefined ? { maxReceiveCount: queue.maxReceiveCount } : {}),
  };
}

/**
 * Starts the engine runner: the engine as it runs in AWS, on one loopback port. A bus with the
 * engine's two rules, the send and feedback queues with their DLQs, the Sender and Feedback behind
 * SQS event source mappings, SES events synthesised after each send, and the pause switch.
 *
 *   PutEvents ─▶ engine bus ─"Email Request"─▶ send queue ─▶ Sender ─▶ SES emulator
 *                                                              │ (wrapped SES client)
 *   default bus ◀── synthesised SES events (after the delay) ◀─┘
 *   default bus ─aws.ses + configuration set─▶ feedback queue ─▶ Feedback ─▶ "Email Status Changed"
 */
export async function startRunner(options: RunnerOptions): Promise<LocalRunner> {
  const { config } = options;
  const log = options.log ?? silentLogger;
  const prefix = config.engine?.stackName ?? 'mailengine';
  const sendPair = queuePair(config, `${prefix}-send`, config.send, log);
  const schedules = new LocalSchedules({ file: join(config.dataDir, 'schedules', `${prefix}.json`), queue: sendPair.main, log });
  const feedbackPair = queuePair(config, `${prefix}-feedback`, config.feedback, log);
  const configurationSet = config.engine?.configurationSet;

  const rules: BusRule[] = [
    // The template's EmailRequestRule and SesEventsRule, with the same patterns.
    { name: `${prefix}-email-request`, bus: config.engineBus, pattern: { 'detail-type': [REQUEST_DETAIL_TYPE] }, target: sendPair.main },
    ...(configurationSet
      ? [{ name: `${prefix}-ses-events`, bus: 'default', pattern: { source: ['aws.ses'], detail: { mail: { tags: { 'ses:configuration-set': [configurationSet] } } } }, target: feedbackPair.main }]
      : []),
  ];
  const bus = new LocalEventBus(new Set(['default', config.engineBus]), rules);

  let paused = options.paused === true;
  let sesThrottled = false;
  const sesCalls = { accepted: 0, throttled: 0 };
  const sendLog: RecordedSend[] = [];
  const pendingSes = new Set<NodeJS.Timeout>();

  const publishSesEvents = (input: SendEmailCommandInput, messageId: string, sentAt: Date) => {
    for (const { step, event } of synthesiseSesEvents({ input, messageId, sentAt }, { region: config.region, accountId: config.accountId, stepMs: config.sesEventDelayMs })) {
      const timer = setTimeout(() => {
        pendingSes.delete(timer);
        const recorded = bus.put('default', event);
        log.info('ses.event', { eventType: (event.detail as { eventType?: string }).eventType, messageId, routedTo: recorded.matchedRules });
      }, step * config.sesEventDelayMs);
      pendingSes.add(timer);
    }
  };

  const hooks: EngineHooks = {
    wrapSes: (client) =>
      withSesSimulation(client, {
        isSendingPaused: (set) => paused && set === configurationSet,
        onThrottled: () => void sesCalls.throttled++,
        onSent(input, output, sentAt) {
          sesCalls.accepted++;
          const messageId = output.MessageId ?? randomUUID();
          const tag = (name: string) => input.EmailTags?.find((t) => t.Name === name)?.Value;
          const d = input.Destination ?? {};
          const recipients = [...(d.ToAddresses ?? []), ...(d.CcAddresses ?? []), ...(d.BccAddresses ?? [])];
          sendLog.push({
            messageId,
            at: sentAt.toISOString(),
            emailId: emailIdFromTags(Object.fromEntries((input.EmailTags ?? []).map((t) => [t.Name ?? '', [t.Value ?? '']]))),
            template: tag('template'),
            configurationSet: input.ConfigurationSetName,
            from: input.FromEmailAddress,
            subject: input.Content?.Simple?.Subject?.Data,
            recipients: recipients.map((address) => ({ address: bareAddress(address), simulated: simulatedOutcome(address) })),
          });
          if (sendLog.length > 10_000) sendLog.shift();
          publishSesEvents(input, messageId, sentAt);
        },
      }, { maxSendRate: config.sesMaxSendRate, throttled: () => sesThrottled }),
    statusEvents: {
      async publish(change: StatusChange) {
        bus.put(config.engineBus, {
          version: '0',
          id: randomUUID(),
          'detail-type': STATUS_CHANGED_DETAIL_TYPE,
          source: ENGINE_EVENT_SOURCE,
          account: config.accountId,
          time: eventTime(new Date(change.time)),
          region: config.region,
          resources: [],
          detail: { ...change },
        });
      },
    },
    requeue: localRequeue(sendPair.main),
    schedules,
    eventsEndpoint: '',
    logger: (fn) => ({
      info: (event, fields) => log.info(event, { fn, ...fields }),
      warn: (event, fields) => log.warn(event, { fn, ...fields }),
      error: (event, fields) => log.error(event, { fn, ...fields }),
    }),
  };

  // The HTTP side comes up first (so the handlers' EventBridge client, if any, has an address),
  // but answers health checks only once the handlers exist.
  let ready = false;
  let sender: EventSource | undefined;
  let feedback: EventSource | undefined;
  let handlers: EngineHandlers | undefined;

  const state = (): RunnerState => {
    const queues = { send: queueState(sendPair.main), sendDlq: queueState(sendPair.dlq), feedback: queueState(feedbackPair.main), feedbackDlq: queueState(feedbackPair.dlq) };
    const busy = (q: QueueState) => q.visible + q.inFlight + q.delayed > 0;
    const functions = { ...(sender ? { sender: sender.state() } : {}), ...(feedback ? { feedback: feedback.state() } : {}) };
    return {
      runner: RUNNER_ID,
      version: VERSION,
      pid: process.pid,
      paused,
      sesThrottled,
      engine: {
        configured: Boolean(config.engine),
        ...(config.engine ? { stackName: config.engine.stackName, configurationSet: config.engine.configurationSet } : {}),
        bus: config.engineBus,
        ...(config.unconfiguredReason ? { reason: config.unconfiguredReason } : {}),
      },
      queues,
      functions,
      pendingSesEvents: pendingSes.size,
      sends: sendLog.length,
      schedules: schedules.size,
      ses: { ...sesCalls },
      idle: !busy(queues.send) && !busy(queues.feedback) && pendingSes.size === 0 && !functions.sender?.running && !functions.feedback?.running,
    };
  };

  const setPaused = async (value: boolean): Promise<RunnerState> => {
    if (value !== paused) {
      // The same order as the Pause function: stop consuming before SES refuses, open SES before consuming.
      if (value) {
        sender?.disable();
        paused = true;
      } else {
        paused = false;
        sender?.enable();
      }
      log.info(value ? 'engine.paused' : 'engine.resumed', { queued: sendPair.main.depth().visible });
      await options.onPauseChange?.(value);
    }
    return state();
  };

  const throttleSes = (on: boolean): RunnerState => {
    if (on !== sesThrottled) log.warn(on ? 'ses.throttling-on' : 'ses.throttling-off', {});
    sesThrottled = on;
    return state();
  };

  const server: RunnerServer = await startRunnerServer({
    host: config.host,
    port: config.port,
    isReady: () => ready,
    putEventsContext: { bus, region: config.region, accountId: config.accountId },
    state,
    pause: () => setPaused(true),
    resume: () => setPaused(false),
    throttleSes,
    sends: () => sendLog,
    queues: () => ({ send: sendPair.main, sendDlq: sendPair.dlq, feedback: feedbackPair.main, feedbackDlq: feedbackPair.dlq }),
    log,
  });
  hooks.eventsEndpoint = server.url;

  try {
    if (options.engine && config.engine) {
      handlers = await options.engine(hooks);
      const onInvocation = (o: { function: string; records: number; failed: string[]; error?: string; tookMs: number }) => {
        const fields = { fn: o.function, records: o.records, failed: o.failed.length, tookMs: o.tookMs, ...(o.error ? { error: o.error } : {}) };
        if (o.error) log.warn('invoke.failed', fields);
        else log.info('invoke', fields);
      };
      sender = new EventSource({
        name: 'sender',
        queue: sendPair.main,
        handler: handlers.sender,
        region: config.region,
        batchSize: config.send.batchSize,
        maxConcurrency: config.send.maxConcurrency,
        timeoutMs: config.send.functionTimeoutMs,
        enabled: !paused,
        onInvocation,
      });
      feedback = new EventSource({
        name: 'feedback',
        queue: feedbackPair.main,
        handler: handlers.feedback,
        region: config.region,
        batchSize: config.feedback.batchSize,
        maxConcurrency: config.feedback.maxConcurrency,
        timeoutMs: config.feedback.functionTimeoutMs,
        onInvocation,
      });
    } else {
      log.warn('engine.not-configured', { reason: config.unconfiguredReason ?? 'no engine handlers', detail: 'requests are accepted and wait in the send queue' });
    }
  } catch (err) {
    await server.close();
    schedules.close();
    throw err;
  }
  ready = true;

  const allQueues = [sendPair.main, sendPair.dlq, feedbackPair.main, feedbackPair.dlq];
  return {
    url: server.url,
    port: server.port,
    config,
    bus,
    queues: { send: sendPair.main, sendDlq: sendPair.dlq, feedback: feedbackPair.main, feedbackDlq: feedbackPair.dlq },
    state,
    pause: () => setPaused(true),
    resume: () => setPaused(false),
    throttleSes,
    sends: () => [...sendLog],
    async close() {
      ready = false;
      await server.close();
      schedules.close();
      await Promise.all([sender?.close(), feedback?.close()]);
      for (const timer of pendingSes) clearTimeout(timer);
      pendingSes.clear();
      bus.close();
      for (const queue of allQueues) queue.close();
      handlers?.close?.();
    },
  };
}

