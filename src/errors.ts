/**
 * Exit codes are part of the CLI's contract with scripts (documented in the README).
 */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  Environment: 3,
  NotFound: 4,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface MailengineErrorOptions {
  /** What the user can do about it, in one or two sentences. */
  suggestion?: string;
  cause?: unknown;
  exitCode?: ExitCode;
  /** Structured detail for `--json` consumers (field errors, resource names). */
  details?: Record<string, unknown>;
}

/**
 * The one error type the core throws. `code` is stable and meant for scripts and tests;
 * `message` and `suggestion` are for people.
 */
export class MailengineError extends Error {
  readonly code: string;
  readonly suggestion?: string;
  readonly exitCode: ExitCode;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, options: MailengineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MailengineError';
    this.code = code;
    this.suggestion = options.suggestion;
    this.exitCode = options.exitCode ?? ExitCode.Failed;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.suggestion ? { suggestion: this.suggestion } : {}),
      exitCode: this.exitCode,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isMailengineError(err: unknown): err is MailengineError {
  return err instanceof MailengineError;
}

/** Bad flags, arguments or input files: exit 2. */
export function usageError(code: string, message: string, suggestion?: string, details?: Record<string, unknown>): MailengineError {
  return new MailengineError(code, message, { suggestion, exitCode: ExitCode.Usage, details });
}
