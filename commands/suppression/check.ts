import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { keyValueTable } from '../terminal/render.js';
import { defineAction, type Runtime } from '../runtime.js';
import { accountText, checkLine, engineOnlyOption, engineText, openSuppressionLists } from './shared.js';

const checkOptions = (z: Zod) =>
  z.object({ address: z.string(), engineOnly: engineOnlyOption(z) });

  export function registerSuppressionCheck(suppression: Command, runtime: Runtime): void {
    suppression
      .command('check')
      .description('whether an address is suppressed, why and since when, on both lists (exit 0 either way; see "suppressed" in --json)')
      .argument('<address>', 'the email address')
      .option('--engine-only', "look only at the engine's table")
      .action(
        defineAction(
          runtime,
          'suppression check',
          checkOptions,
          async (options, ctx) => {
            const { parseAddress } = await import('../../src/operations/address.js');
            const { checkSuppression } = await import('../../src/operations/suppression.js');
            const address = parseAddress(options.address);
            const { lists } = await openSuppressionLists(ctx, options);
            const result = await checkSuppression(lists, address);
            ctx.io.result(result, (r) =>
              [checkLine(r), keyValueTable([
                ['engine', engineText(r.engine)],
                ['SES account list', accountText(r.account, r.accountListNote)],
              ])].join('\n'),
            );
          },
          ['address'],
        ),
      );
  }
