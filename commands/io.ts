import { Chalk, chalkStderr, type ChalkInstance } from 'chalk';
import type { IoHost } from '../src/io/io-host.js';
import type { GlobalOptions } from './global-options.js';
import type { Runtime } from './runtime.js';

/**
 * NO_COLOR (any non-empty value), --no-color and FORCE_COLOR=0 turn colour off; FORCE_COLOR=1..3
 * forces it. Otherwise colour follows stderr, where everything coloured is written.
 */
export function makeChalk(globals: Pick<GlobalOptions, 'color'>, env: NodeJS.ProcessEnv): ChalkInstance {
  const off = !globals.color || (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.FORCE_COLOR === '0';
  if (off) return new Chalk({ level: 0 });
  if (env.FORCE_COLOR && /^[123]$/.test(env.FORCE_COLOR)) return new Chalk({ level: Number(env.FORCE_COLOR) as 1 | 2 | 3 });
  return chalkStderr;
}

/** CI=true, a pipe on stdin or stderr, or --json: nobody can be asked. */
export function canPrompt(globals: Pick<GlobalOptions, 'json'>, runtime: Pick<Runtime, 'env' | 'stdinIsTTY' | 'streams'>): boolean {
  const ci = runtime.env.CI !== undefined && runtime.env.CI !== '' && runtime.env.CI !== 'false' && runtime.env.CI !== '0';
  return !globals.json && !ci && runtime.stdinIsTTY && runtime.streams.stderr.isTTY === true;
}

export async function createIoHost(globals: GlobalOptions, runtime: Runtime, chalk: ChalkInstance): Promise<IoHost> {
  const options = { streams: runtime.streams, chalk, yes: globals.yes, debug: globals.debug };
  if (globals.json) {
    const { JsonIoHost } = await import('./terminal/json-io-host.js');
    return new JsonIoHost(options);
  }
  if (canPrompt(globals, runtime)) {
    const { InteractiveIoHost } = await import('./terminal/interactive-io-host.js');
    return new InteractiveIoHost(options);
  }
  const { NonInteractiveIoHost } = await import('./terminal/non-interactive-io-host.js');
  return new NonInteractiveIoHost(options);
}
