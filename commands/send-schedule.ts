import type { Command } from 'commander';
import type { CancelResult, RescheduleResult } from '../src/operations/schedule/manage.js';
import { defineAction, type Runtime, type Zod } from './runtime.js';

const cancelOptions = (z: Zod) => z.object({ emailId: z.string().min(1) });
const rescheduleOptions = (z: Zod) => z.object({ emailId: z.string().min(1), at: z.string().min(1) });

export function renderCancel(r: CancelResult): string {
  return r.alreadyCancelled ? `${r.emailId} was already cancelled${r.cancelledAt ? ` (${r.cancelledAt})` : ''}; nothing changed.` : `✔ Cancelled ${r.emailId}${r.sendAt ? ` (was to be sent at ${r.sendAt})` : ''}: it will not be sent.`;
}

export function renderReschedule(r: RescheduleResult): string {
  return `✔ ${r.emailId} is now to be sent at ${r.sendAt}${r.previousSendAt ? ` (was ${r.previousSendAt})` : ''}.`;
}

/** `send cancel` and `send reschedule`: scheduled emails (a request's sendAt). */
export function registerSendSchedule(send: Command, runtime: Runtime): void {
  send
    .command('cancel')
    .description('cancel a scheduled email: it becomes `cancelled` and is never sent (not scheduled any more: exit 1; unknown: exit 4)')
    .argument('<emailId>', 'the scheduled email')
    .addHelpText('after', '\nOne conditional write on the email\'s record: if the email is being sent at that very moment, either the cancel or the send wins, never both.')
    .action(
      defineAction(
        runtime,
        'send cancel',
        cancelOptions,
        async (options, ctx) => {
          const { cancelScheduledEmail, checkEmailId } = await import('../src/operations/schedule/manage.js');
          checkEmailId(options.emailId);
          const { openEngine } = await import('../src/operations/engine-context.js');
          const engine = await openEngine(ctx.aws, await ctx.target());
          ctx.io.result(await cancelScheduledEmail(engine.stores.tracking, options.emailId, engine.where), renderCancel);
        },
        ['emailId'],
      ),
    );
  send
    .command('reschedule')
    .description('move a scheduled email to another time (not scheduled any more: exit 1; unknown: exit 4)')
    .argument('<emailId>', 'the scheduled email')
    // `send` has an --at of its own, which commander fills first; the action reads whichever has it.
    .option('--at <time>', 'the new time (required): ISO 8601 with an offset (2026-12-24T09:00:00+01:00), or from now: +10m, +2h, +3d; a past time sends now')
    .action(
      defineAction(
        runtime,
        'send reschedule',
        rescheduleOptions,
        async (options, ctx) => {
          const { checkEmailId, parseAtOption, rescheduleEmail } = await import('../src/operations/schedule/manage.js');
          checkEmailId(options.emailId);
          const at = parseAtOption(options.at);
          const { openEngine } = await import('../src/operations/engine-context.js');
          const engine = await openEngine(ctx.aws, await ctx.target());
          const result = await rescheduleEmail({ tracking: engine.stores.tracking, events: await ctx.aws.eventbridge(), eventBusName: engine.resources.eventBusName, where: engine.where }, options.emailId, at);
          ctx.io.result(result, renderReschedule);
        },
        ['emailId'],
      ),
    );
}
