import type { Command } from 'commander';
import type { Zod } from './runtime.js';
import { keyValueTable } from './terminal/render.js';
import { describeCounts } from '../src/operations/erase-counts.js';
import type { ErasureReceipt } from '../src/operations/erase.js';
import { assertWritable, outputFile, writeOutputFile } from './output-file.js';
import { defineAction, type Runtime } from './runtime.js';

const eraseOptions = (z: Zod) =>
  z.object({
    address: z.string(),
    dryRun: z.boolean().default(false),
    forgetSuppression: z.boolean().default(false),
    force: z.boolean().default(false),
    receipt: z.string().min(1).optional(),
  });

function render(r: ErasureReceipt, receiptFile?: string): string {
  const head = r.nothingFound
    ? `Nothing is stored about ${r.address}${r.suppression.kept === 'keyed-hash' ? ' (only the keyed hash that keeps it suppressed)' : ''}; nothing to erase.`
    : r.dryRun
      ? `Dry run: this would be erased for ${r.address}. Nothing was changed.`
      : `Erased ${r.address}.`;
  const rows: Array<[string, string | undefined]> = [
    [r.dryRun ? 'would delete' : 'deleted', describeCounts(r.dryRun ? r.found : r.deleted)],
    ['suppression', r.suppression.suppressed ? `${r.suppression.reason}; ${r.suppression.kept === 'keyed-hash' ? 'kept as a keyed hash only (the address itself is gone)' : 'dropped (--forget-suppression)'}` : 'was not suppressed'],
    ['SES account list', r.accountList.note ?? r.accountList.status],
    ['backups', r.backups.pointInTimeRecovery ? `point-in-time recovery holds the deleted items until ${r.backups.deletedDataRecoverableUntil} (${r.backups.windowDays} days)` : r.backups.note],
    ['finished', r.finishedAt],
  ];
  if (receiptFile) rows.push(['receipt', receiptFile]);
  return [head, keyValueTable(rows), ...r.notes.map((n) => `Note: ${n}`)].join('\n');
}

export function registerErase(program: Command, runtime: Runtime): void {
  program
    .command('erase')
    .description('GDPR right to erasure: delete every tracking record, history entry and suppression entry for an address, with a receipt')
    .argument('<address>', 'the email address to erase')
    .option('--dry-run', 'count what would be erased, change nothing')
    .option('--forget-suppression', 'also drop its suppression: keep no hash, so the address can be mailed again')
    .option('--receipt <file>', 'also write the receipt as JSON to this file (it contains the address)')
    .option('--force', 'with --forget-suppression, drop a complaint too; replace an existing --receipt file')
    .addHelpText(
      'after',
      [
        '',
        'When the address was suppressed, only a keyed hash (HMAC-SHA256 under the stack\'s secret) stays on the',
        'suppression list, so the engine can never mail it by accident. Running erase again is safe: it finds nothing.',
        'Deleted items remain in DynamoDB point-in-time recovery for 35 days; the receipt says until when.',
      ].join('\n'),
    )
    .action(
      defineAction(
        runtime,
        'erase',
        eraseOptions,
        async (options, ctx) => {
          const { parseAddress } = await import('../src/operations/address.js');
          parseAddress(options.address);
          const receiptFile = options.receipt ? outputFile(ctx.runtime.cwd, options.receipt, options.force) : undefined;
          if (receiptFile) await assertWritable(receiptFile, '--receipt');
          const { openEngine } = await import('../src/operations/engine-context.js');
          const { eraseAddress } = await import('../src/operations/erase.js');
          const target = await ctx.target();
          const engine = await openEngine(ctx.aws, target);
          const receipt = await eraseAddress(
            {
              tracking: engine.stores.tracking,
              db: engine.stores.db,
              trackingTable: engine.resources.trackingTable,
              suppressionTable: engine.resources.suppressionTable,
              hashKey: (create) => target.hashKey({ create }),
              account: await target.accountSuppressionList(),
              attachments: { s3: await ctx.aws.s3(), bucket: engine.resources.templatesBucket },
              io: ctx.io,
              engine: { stackName: target.stackName, facts: (finishedAt) => target.erasureFacts(finishedAt) },
            },
            { address: options.address, dryRun: options.dryRun, forgetSuppression: options.forgetSuppression, force: options.force },
          );
          if (receiptFile) await writeOutputFile(receiptFile, `${JSON.stringify(receipt, null, 2)}\n`, '--receipt');
          ctx.io.result(receipt, (r) => render(r, options.receipt));
        },
        ['address'],
      ),
    );
}
