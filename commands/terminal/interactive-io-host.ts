import ora, { type Ora } from 'ora';
import type { IoMessage, IoRequest, IoResponse, Progress } from '../../src/io/io-host.js';
import type { MessageCode } from '../../src/io/message-codes.js';
import { answerWithoutAsking } from '../../src/io/unanswered.js';
import { NonInteractiveIoHost } from './non-interactive-io-host.js';
import { ensureNewline, formatMessage, type HostOptions } from './streams.js';

/**
 * A person at a terminal: spinners on stderr, prompts through @inquirer/prompts. `--yes` still
 * answers without asking, so the same command line behaves the same in a terminal and in CI.
 */
export class InteractiveIoHost extends NonInteractiveIoHost {
  override readonly interactive = true;
  private active: Ora | undefined;

  constructor(options: HostOptions) {
    super(options);
  }

  override notify(msg: IoMessage): void {
    if (msg.level === 'debug' && !this.options.debug) return;
    const line = ensureNewline(formatMessage(msg, this.options.chalk));
    // Print above a running spinner instead of through it.
    if (this.active?.isSpinning) {
      this.active.clear();
      this.options.streams.stderr.write(line);
      this.active.render();
    } else {
      this.options.streams.stderr.write(line);
    }
  }

  override progress(_code: MessageCode, message: string): Progress {
    const spinner = ora({ text: message, stream: this.options.streams.stderr as NodeJS.WritableStream, discardStdin: false }).start();
    this.active = spinner;
    const done = () => {
      if (this.active === spinner) this.active = undefined;
    };
    return {
      update: (text) => {
        spinner.text = text;
      },
      succeed: (text) => {
        spinner.succeed(text ?? message);
        done();
      },
      fail: (text) => {
        spinner.fail(text ?? message);
        done();
      },
      stop: () => {
        spinner.stop();
        done();
      },
    };
  }

  override async requestResponse<R extends IoRequest>(req: R): Promise<IoResponse<R>> {
    if (this.options.yes) return answerWithoutAsking(req, true);
    this.active?.stop();
    const prompts = await import('@inquirer/prompts');
    const output = this.options.streams.stderr as NodeJS.WritableStream;
    const context = { output };
    switch (req.kind) {
      case 'confirm':
        return (await prompts.confirm({ message: req.message, default: req.default }, context)) as IoResponse<R>;
      case 'type-to-confirm': {
        const typed = await prompts.input({ message: `${req.message} Type ${req.expected} to confirm:` }, context);
        return (typed.trim() === req.expected) as IoResponse<R>;
      }
      case 'input':
        return (await prompts.input({ message: req.message, default: req.default, validate: req.validate }, context)) as IoResponse<R>;
      case 'select':
        return (await prompts.select({ message: req.message, choices: [...req.choices], default: req.default }, context)) as IoResponse<R>;
    }
  }
}
