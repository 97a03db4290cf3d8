import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { dataTable } from '../terminal/render.js';
import type { DeadLetter, DlqListReport } from '../../src/operations/dlq.js';
import { defineAction, type Runtime } from '../runtime.js';
import { openDeadLetters, queueOption, queuesFor } from './shared.js';

const limitOption = (z: Zod) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'is not a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(1, { message: 'must be 1 to 100' }).max(100, { message: 'must be 1 to 100' }));

const listOptions = (z: Zod) =>
  z.object({ queue: queueOption(z), limit: limitOption(z).default(20) });

  /** 90 → "1m 30s", 7200 → "2h 0m": how long ago the request was first queued. */
  export function age(seconds: number | undefined): string | undefined {
    if (seconds === undefined) return undefined;
    if (seconds < 60) return `${seconds}s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
    if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
    return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
  }

  const clip = (text: string | undefined, n: number) => (text && text.length > n ? `${text.slice(0, n - 1)}…` : text);

function what(m: DeadLetter): string {
  if (m.kind === 'ses-event') return `SES ${m.sesEventType ?? 'event'}`;
  return m.kind === 'email-request' ? 'request' : 'unreadable';
}

export function renderDlqList(r: DlqListReport): string {
  const blocks = r.queues.map((q) => {
    const head = `${q.queue} DLQ ${q.name}: ${q.approximate} message${q.approximate === 1 ? '' : 's'}${q.inFlight ? ` (+${q.inFlight} in flight)` : ''}`;
    if (q.messages.length === 0) return `${head}\n  (empty)`;
    const table = dataTable(
      ['emailId', 'what', 'recipient', 'template', 'receives', 'age', 'status', 'reason'],
      q.messages.map((m) => [m.emailId, what(m), m.recipient, m.template, m.receiveCount, age(m.ageSeconds), m.status, clip(`${m.reason}${m.note ? ` (${m.note})` : ''}`, 90)]),
    );
    return [head, table, ...(q.more ? [`Showing ${q.messages.length}; raise --limit to see more.`] : [])].join('\n');
  });
  const empty = r.queues.length === 1 ? `The ${r.queues[0].queue} dead-letter queue is empty.` : 'Both dead-letter queues are empty.';
  const tail = r.total === 0 ? empty : `${r.total} message${r.total === 1 ? '' : 's'} in all. \`mailengine dlq redrive\` moves them back to be processed again.`;
  return [...blocks, tail, ...r.notes.map((n) => `Note: ${n}`)].join('\n\n');
}

export function registerDlqList(dlq: Command, runtime: Runtime): void {
  dlq
    .command('list')
    .description('the messages in each dead-letter queue, with emailId, recipient, template, receives, age and the reason from the tracking record')
    .option('--queue <queue>', 'only this queue: send or feedback')
    .option('--limit <n>', 'messages shown per queue, 1-100', '20')
    .addHelpText(
      'after',
      '\nPeeking receives each message and makes it visible again as soon as the listing is done (it stays hidden at most 30 s if the\nCLI is interrupted). Each peek adds one to the message\'s receive count; the count shown leaves this peek out.',
    )
    .action(
      defineAction(runtime, 'dlq list', listOptions, async (options, ctx) => {
        const { listDeadLetters } = await import('../../src/operations/dlq.js');
        const { engine, source } = await openDeadLetters(ctx);
        const report = await listDeadLetters(source, engine.stores.tracking, { queues: queuesFor(options.queue), limit: options.limit });
        ctx.io.result(report, renderDlqList);
      }),
    );
}
