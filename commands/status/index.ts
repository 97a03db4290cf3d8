import type { Command } from 'commander';
import type { Runtime } from '../runtime.js';
import { registerStatusLookup } from './lookup.js';

/** The `status` command group. */
export function registerStatus(program: Command, runtime: Runtime, subcommands = true): void {
  const status = program.command('status').description('what happened to the emails the engine sent');
  // Without its subcommands the group still lists itself in the parent's help (see createProgram).
  if (!subcommands) return;
  registerStatusLookup(status, runtime);
}
