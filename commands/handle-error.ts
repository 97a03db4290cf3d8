import type { ChalkInstance } from 'chalk';
import { ExitCode, MailengineError, isMailengineError } from '../src/errors.js';
import { withTargetFlags } from './terminal/follow-up.js';
import type { OutputStreams } from './terminal/streams.js';

export interface ErrorPresentation {
  streams: OutputStreams;
  chalk: ChalkInstance;
  debug: boolean;
  json: boolean;
  /** Target flags to repeat in the commands a message or suggestion names. */
  followUpFlags?: readonly string[];
}

/** The one place that prints an error and decides the exit code. No stack trace without --debug. */
export function handleError(err: unknown, p: ErrorPresentation): number {
  const error = pasteable(normalise(err), p.followUpFlags ?? []);
  if (p.json) {
    p.streams.stderr.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
  } else {
    p.streams.stderr.write(`${p.chalk.red(`error: ${error.message}`)}\n`);
    if (error.suggestion) p.streams.stderr.write(`${p.chalk.dim('  ↳')} ${error.suggestion}\n`);
  }
  if (p.debug) {
    let current: unknown = err;
    while (current instanceof Error) {
      p.streams.stderr.write(`${p.chalk.dim(current.stack ?? String(current))}\n`);
      current = current.cause;
      if (current) p.streams.stderr.write(p.chalk.dim('caused by:\n'));
    }
  }
  return error.exitCode;
}

/** The error with every command it names completed with the target flags, so it can be pasted as printed. */
function pasteable(error: MailengineError, flags: readonly string[]): MailengineError {
  if (flags.length === 0) return error;
  const message = withTargetFlags(error.message, flags);
  const suggestion = error.suggestion === undefined ? undefined : withTargetFlags(error.suggestion, flags);
  if (message === error.message && suggestion === error.suggestion) return error;
  return new MailengineError(error.code, message, { exitCode: error.exitCode, suggestion, details: error.details, cause: error.cause });
}

function normalise(err: unknown): MailengineError {
  if (isMailengineError(err)) return err;
  const name = (err as { name?: string })?.name;
  // @inquirer/prompts throws this when the user presses Ctrl-C at a prompt.
  if (name === 'ExitPromptError' || name === 'AbortPromptError') {
    return new MailengineError('INTERRUPTED', 'Interrupted.', { exitCode: ExitCode.Interrupted, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new MailengineError('INTERNAL', `Unexpected error: ${message}`, {
    cause: err,
    exitCode: ExitCode.Failed,
    suggestion: 'This is a bug in mailengine. Run again with --debug and report the output.',
  });
}
