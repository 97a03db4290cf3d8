import { ExitCode, MailengineError } from '../errors.js';
import type { IoHost, IoMessage, IoRequest, IoResponse, Progress, ResultRenderer } from './io-host.js';
import { ensureNewline, formatMessage, type HostOptions } from './streams.js';

/**
 * For CI and pipes: never prompts. `--yes` answers every request with its affirmative or default;
 * without it a request fails with exit 2 and tells the user which flag to pass.
 */
export class NonInteractiveIoHost implements IoHost {
  readonly interactive: boolean = false;

  constructor(protected readonly options: HostOptions) {}

  notify(msg: IoMessage): void {
    if (msg.level === 'debug' && !this.options.debug) return;
    this.options.streams.stderr.write(ensureNewline(formatMessage(msg, this.options.chalk)));
  }

  async requestResponse<R extends IoRequest>(req: R): Promise<IoResponse<R>> {
    return answerWithoutAsking(req, this.options.yes === true);
  }

  progress(code: string, message: string): Progress {
    const line = (text: string) => this.notify({ code, level: 'info', message: text });
    line(`${message}...`);
    return {
      update: (text) => line(text),
      succeed: (text) => this.notify({ code, level: 'success', message: text ?? message }),
      fail: (text) => this.notify({ code, level: 'error', message: text ?? message }),
      stop: () => undefined,
    };
  }

  result<T>(data: T, render: ResultRenderer<T>): void {
    const text = render(data);
    if (text.length > 0) this.options.streams.stdout.write(ensureNewline(text));
  }
}

/**
 * What every host answers when it must not (or need not) ask: `--yes` accepts, anything else is a
 * usage error naming the way to answer up front.
 */
export function answerWithoutAsking<R extends IoRequest>(req: R, yes: boolean): IoResponse<R> {
  switch (req.kind) {
    case 'confirm':
    case 'type-to-confirm':
      if (req.kind === 'confirm' && req.flag) {
        throw new MailengineError('PROMPT_REQUIRED', `${req.message} — --yes does not answer this, and there is no one to ask.`, {
          exitCode: ExitCode.Usage,
          suggestion: `Pass ${req.flag} to accept, or run it in an interactive terminal without --yes. Nothing was changed.`,
          details: { request: req.code, flag: req.flag },
        });
      }
      if (yes) return true as IoResponse<R>;
      throw new MailengineError('PROMPT_REQUIRED', `${req.message} — confirmation needed, but there is no terminal to ask.`, {
        exitCode: ExitCode.Usage,
        suggestion: 'Re-run with --yes to accept, or run it in an interactive terminal. Nothing was changed.',
        details: { request: req.code },
      });
    case 'input':
    case 'select':
      if (yes && req.default !== undefined) return req.default as IoResponse<R>;
      throw new MailengineError('PROMPT_REQUIRED', `${req.message} — no value given, and there is no terminal to ask.`, {
        exitCode: ExitCode.Usage,
        suggestion: `Pass it with ${req.flag}.`,
        details: { request: req.code, flag: req.flag },
      });
  }
}
