import { CommanderError } from 'commander';
import { ExitCode } from '../src/errors.js';
import { handleError } from './handle-error.js';
import { createProgram } from './program.js';
import { targetFlags } from './terminal/follow-up.js';
import type { Runtime } from './runtime.js';

// For cli.ts, so that it loads the command tree and the exit codes in one import.
export { ExitCode } from '../src/errors.js';

/** Runs one CLI invocation and returns its exit code. Never calls process.exit itself. */
export async function main(argv: string[], given: Runtime): Promise<number> {
  const runtime: Runtime = { ...given, followUpFlags: targetFlags(argv) };
  const program = createProgram(runtime, argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExitCode(err);
    const json = argv.includes('--json');
    const debug = argv.includes('--debug');
    const color = !argv.includes('--no-color');
    // Colour is loaded only when there is an error to print: --help and --version never need it.
    const { makeChalk } = await import('./io.js');
    return handleError(err, { streams: runtime.streams, chalk: makeChalk({ color }, runtime.env), debug, json, followUpFlags: runtime.followUpFlags });
  }
}

/** Commander has already printed its message; only the exit code is ours to choose. */
function commanderExitCode(err: CommanderError): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.Ok;
  return ExitCode.Usage;
}
