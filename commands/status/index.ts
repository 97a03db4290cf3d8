import type { Command } from 'commander';
import type { Runtime } from '../runtime.js';
import { registerStatusLookup } from './lookup.js';

/** The `status` command group. */
export function registerStatus(program: Command, runtime: Runtime): void {
  const status = program.command('status').description('what happened to the emails the engine sent');
  registerStatusLookup(status, runtime);
}
