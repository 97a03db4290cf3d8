import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { keyValueTable } from '../terminal/render.js';
import type { RemoveResult } from '../../src/operations/suppression.js';
import { defineAction, type Runtime } from '../runtime.js';
import { engineOnlyOption, openSuppressionLists } from './shared.js';

const removeOptions = (z: Zod) =>
  z.object({
    address: z.string(),
    force: z.boolean().default(false),
    engineOnly: engineOnlyOption(z),
    dryRun: z.boolean().default(false),
  });

function render(r: RemoveResult, dryRun: boolean, note?: string): string {
  const changed = [r.engine, r.hash, r.account].some((o) => o === 'removed' || o === 'would-remove');
  const head = !changed ? `${r.address} was not suppressed; nothing to remove.` : dryRun ? `Dry run: ${r.address} would be mailable again.` : `${r.address} can be mailed again.`;
  return [
    head,
    keyValueTable([
      ['engine', r.engine],
      ['erasure hash', r.hash === 'not-listed' ? 'none' : r.hash],
      ['SES account list', r.account === 'skipped' ? (note ?? 'skipped') : r.account],
      ['was suppressed for', r.reasons.join(', ') || undefined],
    ]),
  ].join('\n');
}

export function registerSuppressionRemove(suppression: Command, runtime: Runtime): void {
  suppression
    .command('remove')
    .description('take an address off both lists (a complaint needs --force)')
    .argument('<address>', 'the email address')
    .option('--force', 'remove it even though the recipient complained (marked your email as spam)')
    .option('--engine-only', "change only the engine's table")
    .option('--dry-run', 'show what would change, change nothing')
    .action(
      defineAction(
        runtime,
        'suppression remove',
        removeOptions,
        async (options, ctx) => {
          const { parseAddress } = await import('../../src/operations/address.js');
          const { removeSuppression } = await import('../../src/operations/suppression.js');
          const address = parseAddress(options.address);
          const { lists } = await openSuppressionLists(ctx, options);
          const result = await removeSuppression(lists, address, { force: options.force, dryRun: options.dryRun });
          const note = lists.account.list ? undefined : lists.account.note;
          ctx.io.result({ ...result, dryRun: options.dryRun, ...(note ? { accountListNote: note } : {}) }, (r) => render(r, r.dryRun, note));
        },
        ['address'],
      ),
    );
}
