import type { Command } from 'commander';
import type { Zod } from './runtime.js';
import { openSendingTarget, renderSendingControl } from './pause.js';
import { defineAction, type Runtime } from './runtime.js';

const resumeOptions = (z: Zod) =>
  z.object({ force: z.boolean().default(false) });

  export function registerResume(program: Command, runtime: Runtime): void {
    program
      .command('resume')
      .description("start sending again after a pause (manual or automatic): SES sending first, then the Sender's queue mapping")
      .option('--force', 'resume even while an auto-pause alarm is in ALARM (or the alarms cannot be read)')
      .addHelpText(
        'after',
        '\nResuming a running engine changes nothing. Requests that waited in the send queue go out right away.\nWhile the bounce or complaint rate alarm that pauses the engine is in ALARM, resume refuses without --force.',
      )
      .action(
        defineAction(runtime, 'resume', resumeOptions, async (options, ctx) => {
          const { resumeEngine } = await import('../src/operations/sending-control.js');
          const { resources, target } = await openSendingTarget(ctx);
          const result = await resumeEngine(target, resources.configurationSet, { force: options.force });
          for (const note of result.notes) ctx.io.notify({ code: 'resume.note', level: 'warn', message: note });
          ctx.io.result({ ...result }, (r) => renderSendingControl({ ...r, notes: [] }));
        }),
      );
  }
