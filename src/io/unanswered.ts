import { ExitCode, MailengineError } from '../errors.js';
import type { IoRequest, IoResponse } from './io-host.js';

/**
 * What every host answers when it must not (or need not) ask: `--yes` accepts, anything else is a
 * usage error naming the way to answer up front (the request's own `refusal` when it has one).
 */
export function answerWithoutAsking<R extends IoRequest>(req: R, yes: boolean): IoResponse<R> {
  switch (req.kind) {
    case 'confirm':
    case 'type-to-confirm':
      if (req.kind === 'confirm' && req.flag) {
        throw refuse(req, new MailengineError('PROMPT_REQUIRED', `${req.message} — --yes does not answer this, and there is no one to ask.`, {
          exitCode: ExitCode.Usage,
          suggestion: `Pass ${req.flag} to accept, or run it in an interactive terminal without --yes. Nothing was changed.`,
          details: { request: req.code, flag: req.flag },
        }));
      }
      if (yes) return true as IoResponse<R>;
      throw refuse(req, new MailengineError('PROMPT_REQUIRED', `${req.message} — confirmation needed, but there is no terminal to ask.`, {
        exitCode: ExitCode.Usage,
        suggestion: 'Re-run with --yes to accept, or run it in an interactive terminal. Nothing was changed.',
        details: { request: req.code },
      }));
    case 'input':
    case 'select':
      if (yes && req.default !== undefined) return req.default as IoResponse<R>;
      throw refuse(req, new MailengineError('PROMPT_REQUIRED', `${req.message} — no value given, and there is no terminal to ask.`, {
        exitCode: ExitCode.Usage,
        suggestion: `Pass it with ${req.flag}.`,
        details: { request: req.code, flag: req.flag },
      }));
  }
}

function refuse(req: IoRequest, generic: MailengineError): Error {
  return req.refusal?.() ?? generic;
}
