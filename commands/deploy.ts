import type { Command } from 'commander';
import { z } from 'zod';
import { AwsClientFactory, type AwsClientSettings } from '../src/aws/clients.js';
import { keyValueTable } from './terminal/render.js';
import { APPROVAL_POLICIES } from '../src/stack/approval.js';
import type { DeployResult } from '../src/stack/deploy.js';
import type { LocalDeployResult } from '../src/stack/deploy-local.js';
import { shownPath } from './local/shared.js';
import { defineAction, type CommandContext, type Runtime } from './runtime.js';


const deployOptions = z.object({
  parameters: z.array(z.string()).default([]),
  requireApproval: z.enum(APPROVAL_POLICIES, { message: `must be one of ${APPROVAL_POLICIES.join(', ')}` }).default('broadening'),
  execute: z.boolean().default(true),
  wait: z.boolean().default(true),
  adoptRetained: z.boolean().default(false),
  outputsFile: z.string().min(1).optional(),
});

/** Builds clients for a region the user chose at a prompt, the same way the runtime builds them. */
export function clientsForRegion(ctx: CommandContext): (region: string) => AwsClientFactory {
  return (region) => {
    const settings: AwsClientSettings = { ...ctx.aws.settings, region };
    return ctx.runtime.awsFactory ? ctx.runtime.awsFactory(settings) : new AwsClientFactory(settings);
  };
}

function renderOutputs(outputs: Record<string, string>, order: (o: Record<string, string>) => Array<[string, string]>): string {
  const rows = order(outputs);
  return rows.length ? keyValueTable(rows.map(([k, v]) => [k, v.length > 120 ? `${v.slice(0, 117)}...` : v])) : '';
}

function render(r: DeployResult, order: (o: Record<string, string>) => Array<[string, string]>, cwd: string): string {
  const where = `stack ${r.stackName} in ${r.region}`;
  switch (r.action) {
    case 'no-changes':
      return `No changes: ${where} is up to date (engine ${r.previousEngineVersion ?? r.engineVersion}).`;
    case 'change-set-created':
      return [
        `Change set ${r.changeSet!.name} created for ${where}; nothing was executed.`,
        `Review it:   ${r.changeSet!.consoleUrl}`,
        `Execute it:  ${r.changeSet!.executeCommand}`,
        'Or discard it and run `mailengine deploy` again later.',
      ].join('\n');
    case 'created':
    case 'updated': {
      const verb = r.action === 'created' ? 'installed' : r.previousEngineVersion && r.previousEngineVersion !== r.engineVersion ? `upgraded from ${r.previousEngineVersion}` : 'updated';
      const lines = [`Engine ${r.engineVersion} ${verb}: ${where} (${r.seconds} s).`];
      if (r.adopted.length) lines.push(`Adopted from an earlier stack: ${r.adopted.join(', ')}.`);
      lines.push('', renderOutputs(r.outputs, order));
      if (r.outputsFile) lines.push('', `Outputs written to ${shownPath(cwd, r.outputsFile)}.`);
      if (r.action === 'created') lines.push('', `Next: \`mailengine info --stack ${r.stackName} --region ${r.region}\` shows the SES account, identity and queues.`);
      return lines.join('\n');
    }
  }
}

function renderLocal(r: LocalDeployResult): string {
  const rows = [
    ...r.tables.map((t): [string, string] => [t.logicalId, `table ${t.name}: ${t.status}${t.changes.length ? ` (${t.changes.join(', ')})` : ''}`]),
    ...r.buckets.map((b): [string, string] => [b.logicalId, `bucket ${b.name}: ${b.status}`]),
  ];
  return [`Stack ${r.stackName} provisioned on the local stack (engine ${r.engineVersion}).`, '', keyValueTable(rows)].join('\n');
}

export function registerDeploy(program: Command, runtime: Runtime): void {
  program
    .command('deploy')
    .description('install or upgrade the engine: upload its code, show the change set, confirm, execute and follow it')
    .option('--parameters <Key=Value...>', 'template parameters, e.g. SendConcurrency=20 AdminEmail=ops@example.com (others keep their values)')
    .option('--require-approval <policy>', 'when to ask before executing: never, broadening (IAM, security or data loss), any-change', 'broadening')
    .option('--no-execute', 'create the change set and show it, but do not execute it')
    .option('--no-wait', 'if another operation is running on the stack, stop instead of waiting for it')
    .option('--adopt-retained', 'adopt tables and the hash key kept by an earlier `destroy` into the new stack')
    .option('--outputs-file <file>', 'also write the stack outputs to this file as JSON')
    .addHelpText('after', '\nIn CI (no terminal) a change that needs approval stops with exit 2 unless --yes is given; nothing is changed.')
    .action(
      defineAction(runtime, 'deploy', deployOptions, async (options, ctx) => {
        const { parseParameterFlags } = await import('../src/stack/parameters.js');
        const flags = parseParameterFlags(options.parameters);
        if (ctx.settings.local) {
          const { deployLocal } = await import('../src/stack/deploy-local.js');
          const result = await deployLocal({ aws: ctx.aws, io: ctx.io, cwd: ctx.runtime.cwd, stackName: ctx.settings.stackName, parameters: { ...ctx.settings.parameters, ...flags }, env: ctx.runtime.env });
          ctx.io.result(result, renderLocal);
          return;
        }
        const { deploy } = await import('../src/stack/deploy.js');
        const { orderedOutputs } = await import('../src/stack/stack-outputs.js');
        const result = await deploy({
          aws: ctx.aws,
          io: ctx.io,
          stackName: ctx.settings.stackName,
          configParameters: ctx.settings.parameters,
          flagParameters: flags,
          withRegion: clientsForRegion(ctx),
          requireApproval: options.requireApproval,
          execute: options.execute,
          wait: options.wait,
          adoptRetained: options.adoptRetained,
          outputsFile: options.outputsFile,
          cwd: ctx.runtime.cwd,
          signal: ctx.runtime.signal,
        });
        ctx.io.result(result, (r) => render(r, orderedOutputs, ctx.runtime.cwd));
      }),
    );
}
