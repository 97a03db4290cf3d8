import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { dataTable } from '../terminal/render.js';
import type { AddResult } from '../../src/operations/suppression.js';
import { defineAction, type Runtime } from '../runtime.js';
import { engineOnlyOption, openSuppressionLists } from './shared.js';

const addOptions = (z: Zod) =>
  z.object({
    addresses: z.array(z.string()).min(1),
    reason: z.enum(['manual', 'bounce', 'complaint'], { message: 'must be manual, bounce or complaint' }).default('manual'),
    engineOnly: engineOnlyOption(z),
    dryRun: z.boolean().default(false),
  });

function render(rows: AddResult[], dryRun: boolean, note?: string): string {
  const table = dataTable(['address', 'reason', 'engine', 'SES account list'], rows.map((r) => [r.address, r.existingReason ?? r.reason, r.engine, r.account === 'failed' ? `failed: ${r.accountError}` : r.account]));
  return [dryRun ? 'Dry run: nothing was changed.' : undefined, table, note].filter(Boolean).join('\n');
}

export function registerSuppressionAdd(suppression: Command, runtime: Runtime): void {
  suppression
    .command('add')
    .description('suppress addresses on both lists (a stronger existing reason is kept)')
    .argument('<address...>', 'one or more email addresses')
    .option('--reason <reason>', 'manual, bounce or complaint', 'manual')
    .option('--engine-only', "change only the engine's table")
    .option('--dry-run', 'show what would change, change nothing')
    .action(
      defineAction(
        runtime,
        'suppression add',
        addOptions,
        async (options, ctx) => {
          const { parseAddress } = await import('../../src/operations/address.js');
          const { addSuppression, accountFailures } = await import('../../src/operations/suppression.js');
          const addresses = [...new Set(options.addresses.map((a) => parseAddress(a)))];
          const { lists } = await openSuppressionLists(ctx, options);
          const rows: AddResult[] = [];
          for (const address of addresses) rows.push(await addSuppression(lists, address, { reason: options.reason, dryRun: options.dryRun }));
          const note = lists.account.list ? undefined : lists.account.note;
          ctx.io.result({ dryRun: options.dryRun, rows, ...(note ? { accountListNote: note } : {}) }, (r) => render(r.rows, r.dryRun, note));
          const failed = accountFailures(rows);
          if (failed) throw failed;
        },
        ['addresses'],
      ),
    );
}
