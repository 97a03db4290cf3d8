import type { Command } from 'commander';
import { z } from 'zod';
import { keyValueTable } from '../src/io/render.js';
import { defineAction, type Runtime } from './runtime.js';

const whoamiOptions = z.object({});

export function registerWhoami(program: Command, runtime: Runtime): void {
  program
    .command('whoami')
    .description('the AWS account, identity and region mailengine will act as (STS GetCallerIdentity)')
    .action(
      defineAction(runtime, 'whoami', whoamiOptions, async (_options, ctx) => {
        const progress = ctx.io.progress('whoami.lookup', 'Asking AWS who these credentials belong to');
        const { whoAmI } = await import('../src/aws/identity.js');
        try {
          const identity = await whoAmI(ctx.aws, ctx.settings);
          progress.stop();
          ctx.io.result(identity, (id) =>
            keyValueTable([
              ['account', id.account],
              ['identity', id.arn],
              ['region', id.region ?? undefined],
              ['profile', id.profile ?? 'default chain'],
            ]),
          );
        } catch (err) {
          progress.stop();
          throw err;
        }
      }),
    );
}
