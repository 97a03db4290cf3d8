import type { IoHost, IoMessage, IoRequest, IoResponse, Progress, ResultRenderer } from '../../src/io/io-host.js';
import type { MessageCode } from '../../src/io/message-codes.js';
import { answerWithoutAsking } from '../../src/io/unanswered.js';

export interface RecordedProgress {
  code: MessageCode;
  messages: string[];
  outcome?: 'succeed' | 'fail' | 'stop';
}

/**
 * For tests: remembers every message, request, progress step and result. Answers come from
 * `responses` (by request code); a request with no scripted answer is answered as a
 * non-interactive host would, so a test fails loudly if the core asks something unexpected.
 */
export class RecordingIoHost implements IoHost {
  readonly messages: IoMessage[] = [];
  readonly requests: IoRequest[] = [];
  readonly progressLog: RecordedProgress[] = [];
  readonly results: unknown[] = [];
  readonly rendered: string[] = [];

  constructor(
    private readonly responses: Partial<Record<MessageCode, boolean | string>> = {},
    readonly interactive = false,
    private readonly yes = false,
  ) {}

  notify(msg: IoMessage): void {
    this.messages.push(msg);
  }

  async requestResponse<R extends IoRequest>(req: R): Promise<IoResponse<R>> {
    this.requests.push(req);
    if (req.code in this.responses) return this.responses[req.code] as IoResponse<R>;
    return answerWithoutAsking(req, this.yes);
  }

  progress(code: MessageCode, message: string): Progress {
    const entry: RecordedProgress = { code, messages: [message] };
    this.progressLog.push(entry);
    return {
      update: (text) => entry.messages.push(text),
      succeed: (text) => {
        entry.outcome = 'succeed';
        if (text) entry.messages.push(text);
      },
      fail: (text) => {
        entry.outcome = 'fail';
        if (text) entry.messages.push(text);
      },
      stop: () => {
        entry.outcome = 'stop';
      },
    };
  }

  result<T>(data: T, render: ResultRenderer<T>): void {
    this.results.push(data);
    this.rendered.push(render(data));
  }

  codes(): string[] {
    return this.messages.map((m) => m.code);
  }
}
