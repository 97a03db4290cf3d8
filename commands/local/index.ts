import type { Command } from 'commander';
import type { Runtime } from '../runtime.js';
import { registerLocalDown } from './down.js';
import { registerLocalStatus } from './status.js';
import { registerLocalUp } from './up.js';

export function registerLocal(program: Command, runtime: Runtime, subcommands = true): void {
  const local = program
    .command('local')
    .description('the local stack: DynamoDB Local, an S3 emulator, an SES emulator with an inbox, and the engine runner (EventBridge PutEvents, the queues, the real Sender and Feedback) serving one stack, on loopback, no AWS account needed');
  // Without its subcommands the group still lists itself in the parent's help (see createProgram).
  if (!subcommands) return;
  registerLocalUp(local, runtime);
  registerLocalDown(local, runtime);
  registerLocalStatus(local, runtime);
}
