import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { assertWritable, outputFile, writeOutputFile } from '../output-file.js';
import { defineAction, type Runtime } from '../runtime.js';
import { engineOnlyOption, openSuppressionLists } from './shared.js';

const exportOptions = (z: Zod) =>
  z.object({
    format: z.enum(['csv', 'ndjson'], { message: 'must be csv or ndjson' }).default('csv'),
    out: z.string().min(1).optional(),
    force: z.boolean().default(false),
    engineOnly: engineOnlyOption(z),
  });

export function registerSuppressionExport(suppression: Command, runtime: Runtime): void {
  suppression
    .command('export')
    .description('every suppressed address on both lists as CSV or NDJSON (erased addresses appear as their hmac: hash)')
    .option('--format <format>', 'csv or ndjson', 'csv')
    .option('--out <file>', 'write to this file (default: stdout)')
    .option('--force', 'replace the --out file if it exists')
    .option('--engine-only', "export only the engine's table")
    .action(
      defineAction(runtime, 'suppression export', exportOptions, async (options, ctx) => {
        const { exportSuppressions } = await import('../../src/operations/suppression-transfer.js');
        const { toCsv, toNdjson } = await import('../../src/operations/suppression-files.js');
        const file = options.out ? outputFile(ctx.runtime.cwd, options.out, options.force) : undefined;
        if (file) await assertWritable(file, '--out');
        const { lists } = await openSuppressionLists(ctx, options);
        const { rows, accountListNote } = await exportSuppressions(lists);
        const text = options.format === 'csv' ? toCsv(rows) : toNdjson(rows);
        if (accountListNote) ctx.io.notify({ code: 'suppression.account-list-skipped', level: 'warn', message: accountListNote });
        if (!file) {
          // The file itself is the result; with --json, the rows as one JSON document.
          ctx.io.result(rows, () => text.trimEnd());
          return;
        }
        await writeOutputFile(file, text, '--out');
        ctx.io.result({ file: file.shown, format: options.format, count: rows.length }, (r) => `Wrote ${r.count} suppressed address${r.count === 1 ? '' : 'es'} to ${r.file} (${r.format}).`);
      }),
    );
}
