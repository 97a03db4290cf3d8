import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { dataTable } from '../terminal/render.js';
import type { ListResult } from '../../src/operations/suppression.js';
import { defineAction, type Runtime } from '../runtime.js';
import { engineOnlyOption, openSuppressionLists } from './shared.js';

const listOptions = (z: Zod) =>
  z.object({
    reason: z.enum(['bounce', 'complaint', 'soft_bounce', 'manual', 'import'], { message: 'must be bounce, complaint, soft_bounce, manual or import' }).optional(),
    since: z.string().min(1).optional(),
    until: z.string().min(1).optional(),
    limit: z
      .string()
      .regex(/^\d+$/, { message: 'is not a whole number' })
      .transform(Number)
      .pipe(z.number().int().min(1, { message: 'must be 1 to 1000' }).max(1000, { message: 'must be 1 to 1000' }))
      .default(100),
    engineOnly: engineOnlyOption(z),
  });

function render(r: ListResult): string {
  if (r.entries.length === 0) return ['No suppressed addresses match.', r.accountListNote].filter(Boolean).join('\n');
  const table = dataTable(
    ['address', 'engine reason', 'suppressed at', 'SES account list'],
    r.entries.map((e) => [e.hashed ? `${e.address.slice(0, 17)}… (erased)` : e.address, e.engine?.reason, e.engine?.suppressedAt, e.account ? `${e.account.reason} ${e.account.lastUpdate}` : r.accountListNote ? undefined : 'not listed']),
  );
  return [table, r.truncated ? `Showing the newest ${r.entries.length}; raise --limit, or use \`mailengine suppression export\` for all.` : undefined, r.accountListNote].filter(Boolean).join('\n');
}

export function registerSuppressionList(suppression: Command, runtime: Runtime): void {
  suppression
    .command('list')
    .description('suppressed addresses on both lists, newest first, with reason and date')
    .option('--reason <reason>', 'only this reason: bounce, complaint, soft_bounce, manual or import')
    .option('--since <time>', 'suppressed since: a date, a date-time or an age such as 7d')
    .option('--until <time>', 'suppressed until')
    .option('--limit <n>', 'at most this many (1-1000)', '100')
    .option('--engine-only', "list only the engine's table")
    .action(
      defineAction(runtime, 'suppression list', listOptions, async (options, ctx) => {
        const { parseTimeOption } = await import('../../src/operations/time-range.js');
        const { listSuppressions } = await import('../../src/operations/suppression.js');
        const now = new Date();
        const since = options.since ? parseTimeOption(options.since, '--since', now) : undefined;
        const until = options.until ? parseTimeOption(options.until, '--until', now, true) : undefined;
        const { lists } = await openSuppressionLists(ctx, options);
        const result = await listSuppressions(lists, { reason: options.reason, since, until, limit: options.limit });
        ctx.io.result(result, render);
      }),
    );
}
