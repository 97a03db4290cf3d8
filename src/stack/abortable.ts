import { ExitCode, MailengineError } from '../errors.js';
import { sleep } from '../util/sleep.js';

/** Thrown when Ctrl-C arrives while the core waits; `commands/main.ts` turns it into exit 130. */
export class WaitInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'WaitInterrupted';
  }
}

/** Sleeps, or rejects with WaitInterrupted the moment the signal fires. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new WaitInterrupted();
  try {
    await sleep(ms, signal);
  } catch (err) {
    if (signal?.aborted) throw new WaitInterrupted();
    throw err;
  }
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new WaitInterrupted();
}

/** The user-facing form of an interruption: what state things were left in, and what to do next. */
export function interrupted(message: string, suggestion: string): MailengineError {
  return new MailengineError('INTERRUPTED', message, { exitCode: ExitCode.Interrupted, suggestion });
}
