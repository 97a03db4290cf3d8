import { Chalk } from 'chalk';
import type { HostOptions, OutputStreams } from '../../commands/terminal/streams.js';

export interface CapturedStreams extends OutputStreams {
  out(): string;
  err(): string;
}

export function captureStreams(stderrIsTTY = false): CapturedStreams {
  let out = '';
  let err = '';
  return {
    stdout: { write: (chunk: string) => (out += chunk) },
    stderr: { write: (chunk: string) => (err += chunk), isTTY: stderrIsTTY },
    out: () => out,
    err: () => err,
  };
}

export function hostOptions(streams: OutputStreams, extra: Partial<HostOptions> = {}): HostOptions {
  return { streams, chalk: new Chalk({ level: 0 }), ...extra };
}
