import type { IoMessage, Progress, ResultRenderer } from '../../src/io/io-host.js';
import type { MessageCode } from '../../src/io/message-codes.js';
import { NonInteractiveIoHost } from './non-interactive-io-host.js';
import { ensureNewline, formatMessage } from './streams.js';

const silentProgress: Progress = { update() {}, succeed() {}, fail() {}, stop() {} };

/**
 * `--json`: stdout carries exactly one JSON document, the result. Warnings and errors still reach
 * stderr so a person watching a pipe learns of them; progress is silent.
 */
export class JsonIoHost extends NonInteractiveIoHost {
  override notify(msg: IoMessage): void {
    const show = msg.level === 'warn' || msg.level === 'error' || (msg.level === 'debug' && this.options.debug);
    if (show) this.options.streams.stderr.write(ensureNewline(formatMessage(msg, this.options.chalk)));
  }

  override progress(_code: MessageCode, _message: string): Progress {
    return silentProgress;
  }

  override result<T>(data: T, _render: ResultRenderer<T>): void {
    this.options.streams.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  }
}
