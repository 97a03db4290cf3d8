import type { ChalkInstance } from 'chalk';
import type { IoMessage } from '../../src/io/io-host.js';

/** The bits of a process's stdio a host needs; injected so tests can capture them. */
export interface OutputStreams {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
}

export interface HostOptions {
  streams: OutputStreams;
  chalk: ChalkInstance;
  /** `--yes`: accept every confirmation and every default without asking. */
  yes?: boolean;
  /** `--debug`: show debug messages. */
  debug?: boolean;
}

export function formatMessage(msg: IoMessage, chalk: ChalkInstance): string {
  switch (msg.level) {
    case 'error':
      return chalk.red(`error: ${msg.message}`);
    case 'warn':
      return chalk.yellow(`warning: ${msg.message}`);
    case 'success':
      return `${chalk.green('✔')} ${msg.message}`;
    case 'debug':
      return chalk.dim(`[${msg.code}] ${msg.message}`);
    default:
      return msg.message;
  }
}

export function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
