import type { Command } from 'commander';
import type { Zod } from './runtime.js';
import type { Identity, LocalIdentity } from '../src/operations/whoami.js';
import { keyValueTable } from './terminal/render.js';
import { defineAction, type Runtime } from './runtime.js';

const whoamiOptions = (z: Zod) =>
  z.object({});

  function render(id: Identity | LocalIdentity): string {
    if ('local' in id) {
      return [
        'No AWS account: with --local, mailengine talks to the local stack on this machine.',
        keyValueTable([
          ['region', id.region],
          ['credentials', `${id.credentials.accessKeyId} / ${id.credentials.secretAccessKey} (the emulators accept any key; s3rver insists on these)`],
          ...Object.entries(id.endpoints).map(([service, url]): [string, string] => [service, url]),
        ]),
        'Whether it is running: mailengine local status',
      ].join('\n');
    }
    return keyValueTable([
      ['account', id.account],
      ['identity', id.arn],
      ['region', id.region ?? undefined],
      ['profile', id.profile ?? 'default chain'],
    ]);
  }

  export function registerWhoami(program: Command, runtime: Runtime): void {
    program
      .command('whoami')
      .description('the AWS account, identity and region mailengine will act as (STS GetCallerIdentity); with --local, the local endpoints and credentials')
      .action(
        defineAction(runtime, 'whoami', whoamiOptions, async (_options, ctx) => {
          ctx.io.result(await (await ctx.target()).identity(ctx.io), render);
        }),
      );
  }
