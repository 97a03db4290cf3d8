import type { Command } from 'commander';
import { z } from 'zod';
import { openSendingTarget, renderSendingControl } from './pause.js';
import { defineAction, type Runtime } from './runtime.js';

const noOptions = z.object({});

export function registerResume(program: Command, runtime: Runtime): void {
  program
    .command('resume')
    .description("start sending again after a pause (manual or automatic): SES sending first, then the Sender's queue mapping")
    .addHelpText('after', '\nResuming a running engine changes nothing. Requests that waited in the send queue go out right away.')
    .action(
      defineAction(runtime, 'resume', noOptions, async (_options, ctx) => {
        const { resumeEngine } = await import('../src/operations/sending-control.js');
        const { resources, target } = await openSendingTarget(ctx);
        const result = await resumeEngine(target, resources.configurationSet);
        for (const note of result.notes) ctx.io.notify({ code: 'RESUME_NOTE', level: 'warn', message: note });
        ctx.io.result({ ...result }, (r) => renderSendingControl({ ...r, notes: [] }));
      }),
    );
}
