import type { Command } from 'commander';
import type { Runtime } from '../runtime.js';
import { registerDlqList } from './list.js';
import { registerDlqRedrive } from './redrive.js';

/** The `dlq` command group: the send and feedback dead-letter queues. */
export function registerDlq(program: Command, runtime: Runtime): void {
  const dlq = program.command('dlq').description('what sits in the dead-letter queues (send, feedback) and why; move it back to be processed again');
  registerDlqList(dlq, runtime);
  registerDlqRedrive(dlq, runtime);
}
