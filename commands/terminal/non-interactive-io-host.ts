import type { IoHost, IoMessage, IoRequest, IoResponse, Progress, ResultRenderer } from '../../src/io/io-host.js';
import type { MessageCode } from '../../src/io/message-codes.js';
import { answerWithoutAsking } from '../../src/io/unanswered.js';
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

  progress(code: MessageCode, message: string): Progress {
    const line = (text: string) => this.notify({ code, level: 'info', message: text });
    line(`${message}...`);
    return {
      update: (text) => line(text),
      succeed: (text) => this.notify({ code, level: 'success', message: text ?? message }),
      // The step's own mark, as a spinner shows it: the error that stopped it is printed once, as `error:`.
      fail: (text) => this.options.streams.stderr.write(ensureNewline(`${this.options.chalk.red('✖')} ${text ?? message}`)),
      stop: () => undefined,
    };
  }

  result<T>(data: T, render: ResultRenderer<T>): void {
    const text = render(data);
    if (text.length > 0) this.options.streams.stdout.write(ensureNewline(text));
  }
}
