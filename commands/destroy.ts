import type { Command } from 'commander';
import type { Zod } from './runtime.js';
import type { DestroyResult } from '../src/stack/destroy.js';
import { clientsForRegion } from './deploy.js';
import { defineAction, type Runtime } from './runtime.js';

const destroyOptions = (z: Zod) =>
  z.object({
    purgeArtifacts: z.boolean().default(false),
    wait: z.boolean().default(true),
    force: z.boolean().default(false),
  });

function render(r: DestroyResult, describe: (item: DestroyResult['retained'][number]) => string, usd: (n: number) => string): string {
  const lines =
    r.action === 'absent'
      ? [`No stack named ${r.stackName} in ${r.region}; nothing was deleted.`]
      : [`Deleted stack ${r.stackName} in ${r.region} (${r.seconds} s).`];
  if (r.retained.length > 0) {
    lines.push('', `Still there (checked after the delete), about ${usd(r.retainedMonthlyUsd)} a month:`);
    for (const item of r.retained) lines.push(`  ${describe(item)}`);
    lines.push(
      '',
      `A later \`mailengine deploy --stack ${r.stackName}\` offers to adopt them again.`,
      'To remove them for good: aws dynamodb delete-table --table-name NAME; aws secretsmanager delete-secret --secret-id NAME --force-delete-without-recovery; aws sqs delete-queue --queue-url URL; aws logs delete-log-group --log-group-name NAME; aws s3 rb s3://NAME --force (empty its versions first).',
    );
  }
  if (r.deletedData.length > 0) lines.push('', `Deleted with the stack (checked): ${r.deletedData.map((i) => i.name).join(', ')}.`);
  if (r.unchecked.length > 0) {
    lines.push('', 'Could not check whether these are still there:');
    for (const { item, reason } of r.unchecked) lines.push(`  ${describe(item)}: ${reason}`);
  }
  if (r.artifacts) {
    const a = r.artifacts;
    if (a.absent) lines.push('', `No artifacts bucket ${a.bucket} to purge.`);
    else if (a.bucketDeleted) lines.push('', `Deleted ${a.deleted} artifact versions and the bucket ${a.bucket}.`);
    else lines.push('', `Deleted ${a.deleted} artifact versions of ${r.stackName}; kept the bucket ${a.bucket}, which other stacks use (${a.otherStacks.join(', ')}).`);
  }
  return lines.join('\n');
}

export function registerDestroy(program: Command, runtime: Runtime): void {
  program
    .command('destroy')
    .description('delete the engine stack; tables, templates bucket, hash key, queues and log groups stay when RetainData is true (the default)')
    .option('--purge-artifacts', "also delete this stack's packaged code from the artifacts bucket, and the bucket once empty")
    .option('--no-wait', 'if another operation is running on the stack, stop instead of waiting for it')
    .option('--force', 'delete even though requests wait in the queues or DLQs (--yes alone does not)')
    .addHelpText('after', '\nOn a terminal you type the stack name to confirm; without one, pass --yes.\nWith requests waiting in a queue or DLQ it asks first (or needs --force), naming the counts.')
    .action(
      defineAction(runtime, 'destroy', destroyOptions, async (options, ctx) => {
        const target = await ctx.target();
        const { describeDataItem } = await import('../src/stack/destroy.js');
        const { formatUsd } = await import('../src/stack/retained-cost.js');
        const result = await target.destroy(ctx.io, {
          withRegion: clientsForRegion(ctx),
          purgeArtifacts: options.purgeArtifacts,
          wait: options.wait,
          force: options.force,
          signal: ctx.runtime.signal,
        });
        ctx.io.result(result, (r) => render(r, describeDataItem, formatUsd));
      }),
    );
}
