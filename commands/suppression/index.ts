import type { Command } from 'commander';
import type { Runtime } from '../runtime.js';
import { registerSuppressionAdd } from './add.js';
import { registerSuppressionCheck } from './check.js';
import { registerSuppressionExport } from './export.js';
import { registerSuppressionImport } from './import.js';
import { registerSuppressionList } from './list.js';
import { registerSuppressionRemove } from './remove.js';

/** The `suppression` command group: the engine's table and the SES account-level list together. */
export function registerSuppression(program: Command, runtime: Runtime, subcommands = true): void {
  const suppression = program
    .command('suppression')
    .description("addresses the engine never mails: its own table and the SES account-level list, kept together")
    .addHelpText('after', "\nSES's account-level list takes only BOUNCE and COMPLAINT; other reasons are stored there as BOUNCE.\nIn the SES sandbox, and on the local stack, only the engine's table is used (each command says so).");
  // Without its subcommands the group still lists itself in the parent's help (see createProgram).
  if (!subcommands) return;
  registerSuppressionList(suppression, runtime);
  registerSuppressionCheck(suppression, runtime);
  registerSuppressionAdd(suppression, runtime);
  registerSuppressionRemove(suppression, runtime);
  registerSuppressionImport(suppression, runtime);
  registerSuppressionExport(suppression, runtime);
}
