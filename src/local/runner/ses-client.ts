import { MessageRejected, SendingPausedException, TooManyRequestsException, type SendEmailCommandInput, type SendEmailCommandOutput } from '@aws-sdk/client-sesv2';

/** What the runner learns from each SendEmail the Sender makes. */
export interface SesSendHooks {
  /** True while the configuration set's sending is off (the engine is paused). */
  isSendingPaused(configurationSet: string | undefined): boolean;
  /** Called after SES (the emulator) accepted a message. */
  onSent(input: SendEmailCommandInput, output: SendEmailCommandOutput, sentAt: Date): void;
  /** Called when a SendEmail is refused as over the rate. */
  onThrottled?(): void;
}

/** Limits that the emulator lacks but SES enforces on an account. */
export interface SesSimulationLimits {
  /**
   * The account's maximum send rate (messages per second), as SES's `MaxSendRate` quota. Unset
   * means unlimited, as the emulator alone is.
   */
  maxSendRate?: number;
  /** While this says true, every SendEmail is refused as over the rate (fault tests: sustained throttling). */
  throttled?: () => boolean;
  /** Clock for the rate limit (tests). */
  now?: () => number;
}

/**
 * A token bucket holding at most one second's worth of sends: SES lets an account send
 * `MaxSendRate` messages in any second and refuses the ones over it, rather than queueing them.
 * Returns a function that takes one token, or says there is none.
 */
export function sendRateLimiter(maxPerSecond: number, now: () => number = () => performance.now()): () => boolean {
  const capacity = Math.max(1, maxPerSecond);
  let tokens = capacity;
  let last = now();
  return () => {
    const t = now();
    tokens = Math.min(capacity, tokens + ((t - last) / 1000) * maxPerSecond);
    last = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

interface Sendable {
  send(command: unknown, options?: unknown): Promise<unknown>;
}

/**
 * The SES emulator parses request bodies of at most 25 MB and answers a bigger one with a bare
 * 413 that no Sender would recognise; SES itself takes 40 MB. What goes over it is refused as
 * SES refuses a message, so the email ends `failed` saying why instead of circling to the DLQ.
 */
export const EMULATOR_MAX_REQUEST_BYTES = 25 * 1024 * 1024;

function emulatorRefusal(input: SendEmailCommandInput): MessageRejected | undefined {
  const attachments = input.Content?.Simple?.Attachments ?? [];
  if (attachments.length === 0) return undefined;
  // The request is JSON with each attachment base64-encoded; the bodies go as they are.
  const encoded = attachments.reduce((sum, a) => sum + Math.ceil((a.RawContent?.length ?? 0) / 3) * 4, 0);
  const body = Buffer.byteLength(JSON.stringify({ ...input, Content: { Simple: { ...input.Content?.Simple, Attachments: [] } } }), 'utf8');
  if (encoded + body <= EMULATOR_MAX_REQUEST_BYTES) return undefined;
  return new MessageRejected({
    message: `The local SES emulator takes requests up to 25 MB and this one is ${((encoded + body) / 1024 / 1024).toFixed(1)} MB with its attachments (SES itself takes 40 MB; mailengine local runner).`,
    $metadata: { httpStatusCode: 400 },
  });
}

const isSendEmail = (command: unknown): command is { input: SendEmailCommandInput } =>
  // By name rather than instanceof: the Sender may hold another copy of the SDK module.
  (command as { constructor?: { name?: string } })?.constructor?.name === 'SendEmailCommand';

/**
 * Wraps the SESv2 client the Sender is given, so the runner can play the parts of SES that the
 * emulator lacks: configuration-set sending switched off (SendEmail fails with
 * `SendingPausedException`, as SES does for a paused configuration set), and the events SES
 * publishes after each accepted message, and (with `limits.maxSendRate`) the account's maximum
 * send rate. Every other call goes through unchanged.
 */
export function withSesSimulation<T extends Sendable>(client: T, hooks: SesSendHooks, limits: SesSimulationLimits = {}): T {
  const takeToken = limits.maxSendRate ? sendRateLimiter(limits.maxSendRate, limits.now) : undefined;
  const send = async (command: unknown, options?: unknown) => {
    if (!isSendEmail(command)) return client.send(command, options);
    if (hooks.isSendingPaused(command.input.ConfigurationSetName)) {
      throw new SendingPausedException({
        message: `Sending is paused for configuration set ${command.input.ConfigurationSetName ?? ''} (mailengine local runner).`,
        $metadata: { httpStatusCode: 400 },
      });
    }
    // Over the rate SES answers 429 TooManyRequestsException and accepts nothing: the Sender's
    // own retry and backoff must cope, which is what the throughput benchmark measures.
    if (limits.throttled?.() || (takeToken && !takeToken())) {
      hooks.onThrottled?.();
      throw new TooManyRequestsException({
        message: `Maximum sending rate exceeded (${limits.maxSendRate}/s, mailengine local runner).`,
        $metadata: { httpStatusCode: 429 },
      });
    }
    const refused = emulatorRefusal(command.input);
    if (refused) throw refused;
    const output = (await client.send(command, options)) as SendEmailCommandOutput;
    hooks.onSent(command.input, output, new Date());
    return output;
  };
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'send') return send;
      return Reflect.get(target, property, receiver);
    },
  });
}
