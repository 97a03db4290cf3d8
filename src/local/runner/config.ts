import { z } from 'zod';

/**
 * Everything the runner process needs, resolved by `local up` (from the template, the provisioned
 * names and the environment) and handed over as one JSON file, so the process itself never has to
 * read a template or guess a stack.
 */
const queueSettings = z.object({
  /** SQS `VisibilityTimeout`. */
  visibilityTimeoutMs: z.number().int().nonnegative(),
  /** SQS `MessageRetentionPeriod`. */
  retentionMs: z.number().int().positive(),
  /** The redrive policy's `maxReceiveCount`. */
  maxReceiveCount: z.number().int().positive(),
  /** The event source mapping's `BatchSize` (SQS allows at most 10). */
  batchSize: z.number().int().min(1).max(10),
  /** `ScalingConfig.MaximumConcurrency`. */
  maxConcurrency: z.number().int().min(1),
  /** The function's `Timeout`. */
  functionTimeoutMs: z.number().int().positive(),
});

export type QueueSettings = z.infer<typeof queueSettings>;

const engineSettings = z.object({
  stackName: z.string().min(1),
  trackingTable: z.string().min(1),
  suppressionTable: z.string().min(1),
  templatesBucket: z.string().min(1),
  configurationSet: z.string().min(1),
  defaultFrom: z.object({ email: z.string().min(3), name: z.string().optional() }),
  softBounceThreshold: z.number().int().positive(),
  retentionDays: z.number().int().positive(),
});

export type RunnerEngineSettings = z.infer<typeof engineSettings>;

export const runnerConfigSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(0).max(65535),
  region: z.string().min(1),
  accountId: z.string().regex(/^\d{12}$/),
  /** Where the runner keeps what outlives it: the pause switch and the suppression hash key. */
  dataDir: z.string().min(1),
  endpoints: z.object({ dynamodb: z.url(), s3: z.url(), sesv2: z.url() }),
  /** The engine's custom bus; requests published anywhere else never reach the Sender. */
  engineBus: z.string().min(1),
  /** Absent when there is nothing to run against (nothing provisioned): requests then wait. */
  engine: engineSettings.optional(),
  unconfiguredReason: z.string().optional(),
  send: queueSettings,
  feedback: queueSettings,
  /** Time from an accepted SendEmail to each step of its synthesised SES events. */
  sesEventDelayMs: z.number().int().nonnegative(),
  /** SES's MaxSendRate (messages per second); absent means the emulator's own pace, unlimited. */
  sesMaxSendRate: z.number().positive().optional(),
  /**
   * The rate the Sender paces itself to (the template's MaxSendRate parameter); absent means
   * `sesMaxSendRate`. Set above it, it plays an account whose quota dropped after the deploy.
   */
  engineSendRate: z.number().positive().optional(),
  /** How throttled requests wait (the engine's defaults: 30 s doubling to 15 min, 6 h in all); tests shorten it. */
  requeuePolicy: z
    .object({ firstDelayMs: z.number().int().positive(), maxDelayMs: z.number().int().positive().max(900_000), giveUpAfterMs: z.number().int().positive() })
    .optional(),
});

export type RunnerConfig = z.infer<typeof runnerConfigSchema>;

const DAY_MS = 86_400_000;

/** The template's own numbers, used when it cannot be read or does not declare the queues. */
export const DEFAULT_SEND_QUEUE: QueueSettings = {
  visibilityTimeoutMs: 180_000,
  retentionMs: 14 * DAY_MS,
  maxReceiveCount: 8,
  batchSize: 10,
  maxConcurrency: 10,
  functionTimeoutMs: 30_000,
};

export const DEFAULT_FEEDBACK_QUEUE: QueueSettings = { ...DEFAULT_SEND_QUEUE, maxConcurrency: 5 };

export const DEFAULT_SES_EVENT_DELAY_MS = 250;

/** The environment variables that tune the runner (read by `local up`, passed on in its config). */
export const RUNNER_ENV = {
  /** Milliseconds between an accepted SendEmail and each step of its SES events. */
  sesEventDelayMs: 'MAILENGINE_LOCAL_SES_EVENT_DELAY_MS',
  /**
   * Seconds a failed request stays hidden before its retry, for both queues. The template says
   * 180 (six times the function timeout, as AWS advises); locally a shorter wait makes retries
   * visible sooner.
   */
  visibilityTimeoutSeconds: 'MAILENGINE_LOCAL_VISIBILITY_TIMEOUT_SECONDS',
  /** The From address used when a request and its template name none (DefaultFromEmail). */
  defaultFrom: 'MAILENGINE_LOCAL_DEFAULT_FROM',
  /**
   * The account's SES maximum send rate, in messages per second. SendEmail calls over it fail
   * with TooManyRequestsException (HTTP 429) as in SES; unset or 0 means no limit.
   */
  sesMaxSendRate: 'MAILENGINE_LOCAL_SES_MAX_SEND_RATE',
} as const;

/** A whole, non-negative number from the environment, or undefined when unset or not one. */
export function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

export function parseRunnerConfig(text: string): RunnerConfig {
  return runnerConfigSchema.parse(JSON.parse(text));
}
