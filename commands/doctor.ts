import type { Command } from 'commander';
import { ExitCode, MailengineError } from '../src/errors.js';
import { resolverOption } from './domain/check.js';
import { defineAction, type Runtime, type Zod } from './runtime.js';
import { renderDoctorReport } from './terminal/doctor-report.js';

const doctorOptions = (z: Zod) =>
  z.object({
    resolver: resolverOption(z),
  });

export function registerDoctor(program: Command, runtime: Runtime): void {
  program
    .command('doctor')
    .description('check everything sending depends on (credentials, stack, SES sandbox and quota, DKIM/SPF/DMARC, alarm email, pause, queues, reputation, templates), each pass/warn/fail with the fix')
    .option('--resolver <servers>', "ask these DNS servers for the live DNS checks (comma-separated, e.g. your provider's name servers)")
    .addHelpText(
      'after',
      "\nExit 0 when no check fails (warnings allowed), 1 when any does. A check that could not run is listed as not checked and never fails by itself; what kept it from running does. With --local, checks the local stack's parts and marks the AWS-only checks as not applicable.",
    )
    .action(
      defineAction(runtime, 'doctor', doctorOptions, async (options, ctx) => {
        const target = await ctx.target();
        const report = await target.doctor(ctx.io, { dns: options.resolver ? { servers: options.resolver } : {} });
        ctx.io.result(report, renderDoctorReport);
        if (!report.ok) {
          const failed = report.checks.filter((c) => c.status === 'fail');
          throw new MailengineError('DOCTOR_FAILED', `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((c) => c.id).join(', ')}.`, {
            exitCode: ExitCode.Failed,
            suggestion: 'Each failed check above says how to fix it; run `mailengine doctor` again afterwards.',
            details: { failed: failed.map((c) => c.id) },
          });
        }
      }),
    );
}
