import type { Command } from 'commander';
import type { Zod } from './runtime.js';
import { keyValueTable } from './terminal/render.js';
import { defineAction, type Runtime } from './runtime.js';

const showOptions = (z: Zod) =>
  z.object({});

  // The config file's own region rule; its module loads zod, so it is imported when the command runs.
  const initOptions = async (z: Zod) => {
    const { regionSchema } = await import('../src/config/schema.js');
    return z.object({
      force: z.boolean().default(false),
      defaultRegion: regionSchema.default('us-east-1'),
      adminEmail: z.email({ message: 'is not an email address' }).optional(),
    });
  };


export function registerConfig(program: Command, runtime: Runtime): void {
  const config = program.command('config').description('the settings mailengine resolves from flags, mailengine.config.json and your AWS setup');

  config
    .command('show')
    .description('print the stack, region, profile and parameters a command would use, and where each came from')
    .action(
      defineAction(runtime, 'config show', showOptions, async (_options, ctx) => {
        const { describeSettings } = await import('../src/config/describe.js');
        const report = describeSettings(ctx.settings);
        ctx.io.result(report, (r) =>
          keyValueTable([
            ['stack', `${r.stackName} (${r.sources.stackName})`],
            ['region', r.region ? `${r.region} (${r.sources.region})` : 'from the AWS SDK (AWS_REGION or the profile)'],
            ['profile', r.profile ? `${r.profile} (${r.sources.profile})` : 'AWS SDK default chain'],
            ['environment', r.environment ?? undefined],
            ['target', r.local ? 'local stack' : 'AWS'],
            ['config file', r.configFile ?? 'none found'],
            ['parameters', Object.keys(r.parameters).length ? Object.entries(r.parameters).map(([k, v]) => `${k}=${v}`).join('\n') : undefined],
          ]),
        );
      }),
    );

  config
    .command('init')
    .description('write a mailengine.config.json with dev, staging and prod environments')
    .option('--force', 'replace an existing file')
    .option('--default-region <region>', 'region for every environment', 'us-east-1')
    .option('--admin-email <email>', 'address for alarm notifications (AdminEmail parameter)')
    .action(
      defineAction(runtime, 'config init', initOptions, async (options, ctx) => {
        const { initConfig } = await import('../src/config/init-config.js');
        const result = await initConfig({ dir: ctx.runtime.cwd, force: options.force, region: options.defaultRegion, adminEmail: options.adminEmail });
        ctx.io.result(result, (r) => `${r.overwritten ? 'Replaced' : 'Wrote'} ${r.path} with environments: ${r.environments.join(', ')}.`);
      }),
    );
}
