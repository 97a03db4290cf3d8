import type { Command } from 'commander';
import type { Runtime } from '../runtime.js';
import { registerDlqList } from './list.js';
import { registerDlqRedrive } from './redrive.js';

/** The `dlq` command group: the send and feedback dead-letter queues. */
export function registerDlq(program: Command, runtime: Runtime, subcommands = true): void {
  const dlq = program.command('dlq').description('what sits in the dead-letter queues (send, feedback) and why; move it back to be processed again');
  // Without its subcommands the group still lists itself in the parent's help (see createProgram).
  if (!subcommands) return;
  registerDlqList(dlq, runtime);
  registerDlqRedrive(dlq, runtime);
}
