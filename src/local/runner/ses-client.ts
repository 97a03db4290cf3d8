import { SendingPausedException, type SendEmailCommandInput, type SendEmailCommandOutput } from '@aws-sdk/client-sesv2';

/** What the runner learns from each SendEmail the Sender makes. */
export interface SesSendHooks {
  /** True while the configuration set's sending is off (the engine is paused). */
  isSendingPaused(configurationSet: string | undefined): boolean;
  /** Called after SES (the emulator) accepted a message. */
  onSent(input: SendEmailCommandInput, output: SendEmailCommandOutput, sentAt: Date): void;
}

interface Sendable {
  send(command: unknown, options?: unknown): Promise<unknown>;
}

const isSendEmail = (command: unknown): command is { input: SendEmailCommandInput } =>
  // By name rather than instanceof: the Sender may hold another copy of the SDK module.
  (command as { constructor?: { name?: string } })?.constructor?.name === 'SendEmailCommand';

/**
 * Wraps the SESv2 client the Sender is given, so the runner can play the parts of SES that the
 * emulator lacks: configuration-set sending switched off (SendEmail fails with
 * `SendingPausedException`, as SES does for a paused configuration set), and the events SES
 * publishes after each accepted message. Every other call goes through unchanged.
 */
export function withSesSimulation<T extends Sendable>(client: T, hooks: SesSendHooks): T {
  const send = async (command: unknown, options?: unknown) => {
    if (!isSendEmail(command)) return client.send(command, options);
    if (hooks.isSendingPaused(command.input.ConfigurationSetName)) {
      throw new SendingPausedException({
        message: `Sending is paused for configuration set ${command.input.ConfigurationSetName ?? ''} (mailengine local runner).`,
        $metadata: { httpStatusCode: 400 },
      });
    }
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
