import type { ChalkInstance } from 'chalk';
import { ExitCode, MailengineError, isMailengineError } from '../src/errors.js';
import type { OutputStreams } from './terminal/streams.js';

export interface ErrorPresentation {
  streams: OutputStreams;
  chalk: ChalkInstance;
  debug: boolean;
  json: boolean;
}

/** The one place that prints an error and decides the exit code. No stack trace without --debug. */
export function handleError(err: unknown, p: ErrorPresentation): number {
  const error = normalise(err);
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
