import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Zod } from '../runtime.js';
import { ExitCode, MailengineError, usageError } from '../../src/errors.js';
import { dataTable } from '../terminal/render.js';
import type { ImportReport } from '../../src/operations/suppression-transfer.js';
import { defineAction, type Runtime } from '../runtime.js';
import { engineOnlyOption, openSuppressionLists } from './shared.js';

const importOptions = (z: Zod) =>
  z.object({
    file: z.string().min(1),
    format: z.enum(['csv', 'ndjson'], { message: 'must be csv or ndjson' }).optional(),
    reason: z.enum(['import', 'manual', 'bounce', 'complaint'], { message: 'must be import, manual, bounce or complaint' }).default('import'),
    engineOnly: engineOnlyOption(z),
    dryRun: z.boolean().default(false),
  });

function render(r: ImportReport): string {
  const table = dataTable(
    ['line', 'address', 'reason', 'result', 'note'],
    r.rows.map((row) => [row.line, row.address, row.reason, row.outcome, row.message ?? row.accountError ?? (row.outcome === 'already' ? 'already suppressed' : undefined)]),
  );
  const counts = Object.entries(r.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return [r.dryRun ? 'Dry run: nothing was changed.' : undefined, table, `${r.rows.length} rows: ${counts || 'none'}.`, r.accountListNote].filter(Boolean).join('\n');
}

export function registerSuppressionImport(suppression: Command, runtime: Runtime): void {
  suppression
    .command('import')
    .description('suppress every address in a CSV or NDJSON file, with a report per row')
    .argument('<file>', 'CSV (address[,reason], header optional) or NDJSON ({"address": …, "reason": …} per line)')
    .option('--format <format>', 'csv or ndjson (default: from the file name, else from its content)')
    .option('--reason <reason>', 'for rows without one: import, manual, bounce or complaint', 'import')
    .option('--engine-only', "change only the engine's table")
    .option('--dry-run', 'check every row and show what would change, change nothing')
    .addHelpText('after', '\nExit codes: 0 every row imported or already there · 2 some rows invalid (the valid ones are imported) · 1 SES refused some rows.')
    .action(
      defineAction(
        runtime,
        'suppression import',
        importOptions,
        async (options, ctx) => {
          const { detectFormat, parseSuppressionFile } = await import('../../src/operations/suppression-files.js');
          const { importSuppressions } = await import('../../src/operations/suppression-transfer.js');
          const path = isAbsolute(options.file) ? options.file : resolve(ctx.runtime.cwd, options.file);
          let text: string;
          try {
            text = await readFile(path, 'utf8');
          } catch (err) {
            throw usageError('FILE_UNREADABLE', `Cannot read ${options.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`);
          }
          const rows = parseSuppressionFile(text, detectFormat(text, path, options.format), options.reason);
          if (rows.length === 0) throw usageError('FILE_EMPTY', `${options.file} holds no rows.`);
          const { lists } = await openSuppressionLists(ctx, options);
          const report = await importSuppressions(lists, rows, { dryRun: options.dryRun });
          ctx.io.result(report, render);
          if (report.counts.invalid > 0) {
            throw usageError('IMPORT_ROWS_INVALID', `${report.counts.invalid} of ${rows.length} rows in ${options.file} could not be read and were not imported.`, 'Fix the rows the report marks invalid and import the file again (rows already imported are reported as "already").');
          }
          if (report.counts.failed > 0) {
            throw new MailengineError('IMPORT_ROWS_FAILED', `${report.counts.failed} of ${rows.length} rows failed (see the report).`, { exitCode: ExitCode.Failed, suggestion: 'Run the same import again: it is safe to repeat.' });
          }
        },
        ['file'],
      ),
    );
}
