import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { ExitCode, MailengineError } from '../errors.js';
import type { LocalPart } from './parts/index.js';
import { probePort } from './ports.js';
import { isProcessAlive } from './processes.js';
import { pollUntil } from '../util/poll.js';

const POLL_MS = 100;
const PROBE_TIMEOUT_MS = 2000;
const EXIT_EVENT_WAIT_MS = 1000;

function exitOf(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The end of a log, to quote in an error so the user sees why without opening the file. */
export async function logTail(file: string, lines = 15): Promise<string> {
  try {
    const text = (await readFile(file, 'utf8')).trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface WaitForReadyOptions {
  part: LocalPart;
  endpoint: string;
  pid: number;
  logFile: string;
  timeoutMs: number;
  /** The process we just spawned: its exit ends the wait at once. */
  child?: ChildProcess;
  signal?: AbortSignal;
}

/**
 * Polls the part until it answers like itself. Fails fast if the process dies (quoting its log),
 * and names the part, the endpoint and the log file when it times out.
 */
export async function waitForReady(options: WaitForReadyOptions): Promise<void> {
  const { part, endpoint, pid, logFile, child, signal } = options;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const onExit = (code: number | null, sig: NodeJS.Signals | null) => (exited = { code, signal: sig });
  child?.once('exit', onExit);
  try {
    const ready = await pollUntil(
      async () => {
        if (signal?.aborted) {
          throw new MailengineError('INTERRUPTED', `Interrupted while waiting for ${part.label}.`, { exitCode: ExitCode.Interrupted });
        }
        if (await part.isHealthy(endpoint, PROBE_TIMEOUT_MS)) return { done: true, value: undefined };
        if (exited || !isProcessAlive(pid)) {
          // The process can be gone before its 'exit' event is delivered: wait a moment for its code.
          if (!exited && child) {
            await exitOf(child, EXIT_EVENT_WAIT_MS);
            if (child.exitCode !== null || child.signalCode !== null) exited ??= { code: child.exitCode, signal: child.signalCode };
          }
          const how = exited ? (exited.signal ? `was killed by ${exited.signal}` : `exited with code ${exited.code}`) : 'exited';
          const tail = await logTail(logFile);
          const port = Number(new URL(endpoint).port);
          // It has exited, so whatever holds its port now is another program: the likely cause.
          const taken = port > 0 && (await probePort(port)) === 'busy';
          throw new MailengineError('LOCAL_START_FAILED', `${part.label} ${how} before it answered on ${endpoint}.${taken ? ` Port ${port} is in use by another program.` : ''}${tail ? `\nLast lines of its log:\n${tail}` : ''}`, {
            exitCode: ExitCode.Environment,
            suggestion: taken ? `Free port ${port}, or choose another for ${part.label} (see \`mailengine local up --help\`). Its log: ${logFile}` : `See its log: ${logFile}`,
            details: { part: part.name, endpoint, log: logFile, ...exited },
          });
        }
        return { done: false, value: undefined };
      },
      { timeoutMs: options.timeoutMs, delayMs: POLL_MS },
    );
    if (!ready.done) {
      throw new MailengineError('LOCAL_START_TIMEOUT', `${part.label} did not answer on ${endpoint} within ${options.timeoutMs < 1000 ? `${options.timeoutMs} ms` : `${Math.round(options.timeoutMs / 100) / 10} s`}.`, {
        exitCode: ExitCode.Environment,
        suggestion: `See its log: ${logFile}. A slow machine may need a longer --timeout.`,
        details: { part: part.name, endpoint, log: logFile, timeoutMs: options.timeoutMs },
      });
    }
  } finally {
    child?.off('exit', onExit);
  }
}
