/**
 * The IO port: the only way the core reports progress or asks a question. The shell picks a host
 * (interactive, non-interactive, JSON, or recording in tests); the core never knows which.
 *
 * Every message carries a stable `code` (one of MESSAGE_CODES) so tests and `--json` consumers
 * match on codes, not prose.
 */
import type { MessageCode } from './message-codes.js';

export type MessageLevel = 'debug' | 'info' | 'success' | 'warn' | 'error';

export interface IoMessage {
  code: MessageCode;
  level: MessageLevel;
  message: string;
  data?: Record<string, unknown>;
}

interface BaseRequest {
  code: MessageCode;
  message: string;
  /**
   * The error to stop with when no one can answer and `--yes` does not (no terminal, CI): the
   * core names what was not done and how to answer up front. Without it the host's generic
   * PROMPT_REQUIRED error is thrown.
   */
  refusal?: () => Error;
}

/** A yes/no question. Destructive questions must default to `false`. */
export interface ConfirmRequest extends BaseRequest {
  kind: 'confirm';
  default: boolean;
  /**
   * For questions `--yes` must not answer (losing data nobody listed): only a person, or this
   * flag given up front (the core then does not ask), answers it.
   */
  flag?: string;
}

/** Free text. `flag` names the option that supplies the answer when nobody can be asked. */
export interface InputRequest extends BaseRequest {
  kind: 'input';
  flag: string;
  default?: string;
  validate?: (value: string) => true | string;
}

export interface SelectRequest extends BaseRequest {
  kind: 'select';
  flag: string;
  choices: ReadonlyArray<{ value: string; name?: string; description?: string }>;
  default?: string;
}

/** "Type the stack name to confirm": never answered by a default, only by `--yes` or typing. */
export interface TypeToConfirmRequest extends BaseRequest {
  kind: 'type-to-confirm';
  expected: string;
}

export type IoRequest = ConfirmRequest | InputRequest | SelectRequest | TypeToConfirmRequest;

export type IoResponse<R extends IoRequest> = R extends ConfirmRequest | TypeToConfirmRequest ? boolean : string;

/** A long-running step. On a TTY it is a spinner; elsewhere a start and an end line, or nothing. */
export interface Progress {
  update(message: string): void;
  succeed(message?: string): void;
  fail(message?: string): void;
  /** Stop without a verdict (for example before a prompt). */
  stop(): void;
}

/** How a result is shown to people; JSON hosts ignore it and print the data. */
export type ResultRenderer<T> = (data: T) => string;

export interface IoHost {
  /** True when the host may ask a person. */
  readonly interactive: boolean;
  notify(msg: IoMessage): void;
  requestResponse<R extends IoRequest>(req: R): Promise<IoResponse<R>>;
  progress(code: MessageCode, message: string): Progress;
  /** The command's result: a human rendering on stdout, or the data as JSON. Called once per command. */
  result<T>(data: T, render: ResultRenderer<T>): void;
}

/** Convenience helpers so core code reads as prose. */
export const say = {
  info: (io: IoHost, code: MessageCode, message: string, data?: Record<string, unknown>) => io.notify({ code, level: 'info', message, data }),
  success: (io: IoHost, code: MessageCode, message: string, data?: Record<string, unknown>) => io.notify({ code, level: 'success', message, data }),
  warn: (io: IoHost, code: MessageCode, message: string, data?: Record<string, unknown>) => io.notify({ code, level: 'warn', message, data }),
  debug: (io: IoHost, code: MessageCode, message: string, data?: Record<string, unknown>) => io.notify({ code, level: 'debug', message, data }),
};
