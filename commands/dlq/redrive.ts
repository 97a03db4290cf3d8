import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { dataTable } from '../terminal/render.js';
import type { RedriveItem, RedriveReport } from '../../src/operations/dlq.js';
import { defineAction, type Runtime } from '../runtime.js';
import { openDeadLetters, queueOption, queuesFor } from './shared.js';

const redriveOptions = (z: Zod) =>
  z.object({ queue: queueOption(z), dryRun: z.boolean().default(false) });

  function outcome(i: RedriveItem): string {
    switch (i.action) {
      case 'empty':
        return 'nothing to move';
      case 'would-move':
        return `would move ${i.messages}`;
      case 'moved':
        return `moved ${i.moved ?? i.messages}`;
      case 'started':
        return `moving ${i.messages} (task ${i.taskHandle ?? '?'})`;
      case 'already-running':
        return `a move is already running (${i.runningTask?.moved ?? 0} of ${i.runningTask?.toMove ?? '?'} moved); left to it`;
    }
  }

  export function renderRedrive(r: RedriveReport): string {
    const head = r.dryRun ? 'Dry run: nothing was moved.' : r.items.every((i) => i.action === 'empty') ? 'The dead-letter queues are empty; nothing to redrive.' : `Redrive for ${r.title}:`;
    const table = dataTable(
      ['queue', 'from', 'to', 'messages', 'result'],
      r.items.map((i) => [i.queue, i.from, i.to, i.messages, outcome(i)]),
    );
    const lines = [head, table];
    if (r.items.some((i) => i.action === 'started')) lines.push('SQS moves the messages in the background; `mailengine dlq list` shows what is left.');
    return lines.join('\n');
  }

  export function registerDlqRedrive(dlq: Command, runtime: Runtime): void {
    dlq
      .command('redrive')
      .description('move the messages of each dead-letter queue back to the queue it serves, to be processed again')
      .option('--queue <queue>', 'only this queue: send or feedback')
      .option('--dry-run', 'say what would move; move nothing')
      .addHelpText('after', '\nUses SQS StartMessageMoveTask (redriven messages are new messages to SQS). Asks first on a terminal; elsewhere pass --yes.')
      .action(
        defineAction(runtime, 'dlq redrive', redriveOptions, async (options, ctx) => {
          const { redriveDeadLetters } = await import('../../src/operations/dlq.js');
          const { source } = await openDeadLetters(ctx);
          const report = await redriveDeadLetters(source, { queues: queuesFor(options.queue), dryRun: options.dryRun }, ctx.io);
          ctx.io.result(report, renderRedrive);
        }),
      );
  }
